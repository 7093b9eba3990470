#!/usr/bin/env bash
# Reproduce midistyle/pretrained/ from the development corpus (../shared/data) on a 2-core CPU.
# Each shipped model's recipe is a file in examples/recipes/ (see midistyle/pretrained/README.md):
#   classifier.toml: the genre classifier, small preset, 30,000 steps (about 5 minutes);
#   to_classical/to_pop/to_folk/to_rock.toml: one GAN per target genre but jazz (source = every other genre),
#   small preset, 1,500 steps (about 10-15 minutes each), content-loss weight 2 for classical, pop and rock and
#   10 for folk (chosen on the held-out evaluation songs: docs/results/transfer.md);
#   to_jazz.toml: the StarGAN of examples/train_stargan.sh (E16's settings focused on jazz, 2,500 steps on a
#   12,000-phrase-per-genre subset of the 12-step corpus, 40-75 min on 2 cores; the shipped weights came from the
#   same recipe on a lent GPU), run here in the foreground unless STARGAN_RUN/best is there already.
# In all about 2-2.5 hours on a 2-core CPU. PRESET overrides every recipe's preset (brunner on a GPU for the
# paper's sizes); GAN_STEPS / CLF_STEPS their step counts.
set -euo pipefail
cd "$(dirname "$0")/.."
MS=${MS:-.venv/bin/midistyle}
PREP=${PREP:-prepared}
RUNS=${RUNS:-runs}
overrides=()
[ -n "${PRESET:-}" ] && overrides+=(--preset "$PRESET")
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# The shipped models but to_jazz are on the 4-step grid (Brunner et al.; the recipes' [corpus]); the config file says 12.
[ -f "$PREP/index.json" ] || $MS prepare --config examples/shared_corpus.toml --steps-per-beat 4 -o "$PREP"
$MS train classifier --recipe examples/recipes/classifier.toml --data "$PREP" "${overrides[@]}" \
    ${CLF_STEPS:+--max-steps "$CLF_STEPS"} -o "$RUNS/classifier"
for g in classical pop folk rock; do
    $MS train gan --recipe "examples/recipes/to_$g.toml" --data "$PREP" "${overrides[@]}" \
        ${GAN_STEPS:+--max-steps "$GAN_STEPS"} -o "$RUNS/to_$g"
done
for run in classifier to_classical to_pop to_folk to_rock; do
    mkdir -p "midistyle/pretrained/$run"
    cp "$RUNS/$run/best/config.json" "$RUNS/$run/best/model.safetensors" "midistyle/pretrained/$run/"
done
STARGAN_RUN=${STARGAN_RUN:-runs/stargan}
STARGAN_PREP=${STARGAN_PREP:-prepared12}
[ -f "$STARGAN_RUN/best/config.json" ] || WAIT=1 RUN="$STARGAN_RUN" PREP="$STARGAN_PREP" MS="$MS" examples/train_stargan.sh
cp "$STARGAN_RUN/best/config.json" "$STARGAN_RUN/best/model.safetensors" midistyle/pretrained/to_jazz/
echo "shipped models updated in midistyle/pretrained/"
