#!/usr/bin/env bash
# CPU recipe for the any-to-any StarGAN (issue 14): prepare, then train in the background, resumable.
#   examples/train_stargan.sh            # start (or continue: it resumes when RUN/last exists)
#   tail -f $RUN/train.log               # progress; kill it any time, rerun to resume at the saved step
# The settings live in RECIPE (default examples/recipes/to_jazz.toml, the shipped to_jazz: E22 jazz-small,
# E16's settings focused on jazz, 2,500 steps, seed 0), which examples/train_stargan_gpu.py reads too.
# STEPS, PRESET, FOCUS (FOCUS= trains for every genre, E16), SEED and SETS (more `--set key=value`) override
# it; PREP, RUN, CONFIG, SUBSET, WAIT say where and how. SUBSET (default: the recipe's 12,000; SUBSET= for the
# whole corpus) trains on `midistyle subset PREP --train 12000 --val 300` of the corpus. Snapshots every 250
# steps (RUN/step<N>) to pick from on songs the report never uses:
#   python benchmarks/transfer.py --prepared $PREP --skip 10 --per-genre 3 --real 8 --model RUN/step500 ...
# As written this is the recipe of the shipped to_jazz (judged jazz by style judge v2 in 100% of the report's
# songs, 96% of 52), whose weights came from the same run on a lent GPU; on 2 CPU cores the 2,500 steps take
# 40-75 min. The result depends on the seed (docs/results/log.md: E18, E19, E22). WAIT=1 trains in the foreground
# (examples/train_shipped_models.sh uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
MS=${MS:-.venv/bin/midistyle}
PY=${PY:-.venv/bin/python}
RECIPE=${RECIPE:-examples/recipes/to_jazz.toml}
corpus() {  # a value of the recipe's [corpus] table
    "$PY" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["corpus"].get(sys.argv[2], ""))' "$RECIPE" "$1"
}
CONFIG=${CONFIG:-$(corpus config)}
PREP=${PREP:-prepared}
RUN=${RUN:-runs/stargan}
SUBSET=${SUBSET-$(corpus subset_train)}
SUBSET_VAL=${SUBSET_VAL:-$(corpus subset_val)}
WAIT=${WAIT:-0}
overrides=()
[ -n "${STEPS:-}" ] && overrides+=(--max-steps "$STEPS")
[ -n "${PRESET:-}" ] && overrides+=(--preset "$PRESET")
[ -n "${SEED:-}" ] && overrides+=(--seed "$SEED")
[ -n "${FOCUS+set}" ] && overrides+=(--set "focus=$FOCUS")
for s in ${SETS:-}; do overrides+=(--set "$s"); done
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

[ -f "$PREP/index.json" ] || nice -n 10 $MS prepare --config "$CONFIG" -o "$PREP"
DATA=$PREP
if [ -n "$SUBSET" ]; then
    DATA="$PREP-subset$SUBSET"
    [ -f "$DATA/index.json" ] || $MS subset "$PREP" -o "$DATA" --train "$SUBSET" --val "${SUBSET_VAL:-300}"
fi
resume=()
[ -f "$RUN/last/config.json" ] && resume=(--resume)
mkdir -p "$RUN"
cmd=(nice -n 10 $MS train stargan --recipe "$RECIPE" --data "$DATA" "${overrides[@]}" "${resume[@]}" -o "$RUN")
if [ "$WAIT" = 1 ]; then
    "${cmd[@]}" 2>&1 | tee -a "$RUN/train.log"
else
    nohup "${cmd[@]}" >> "$RUN/train.log" 2>&1 &
    echo "training in the background (pid $!); log: $RUN/train.log; best generator: $RUN/best"
fi
echo "convert: $MS convert song.mid --model $RUN/best --to ${FOCUS:-jazz} [--from pop]"
