#!/usr/bin/env bash
# CPU recipe for the any-to-any StarGAN (issue 14): prepare, then train in the background, resumable.
#   examples/train_stargan.sh            # start (or continue: it resumes when RUN/last exists)
#   tail -f $RUN/train.log               # progress; kill it any time, rerun to resume at the saved step
# STEPS, PRESET, PREP, RUN, CONFIG override the defaults. Step rate of the small preset measured with
# `python benchmarks/train.py --task stargan --presets small --devices cpu`: 2.2 phrases per CPU-second
# (0.58 phrases/s wall on 2 cores at load average 9.9, shared with other jobs), so one batch of 16 takes
# about 7 CPU-seconds: 2,000 steps are about 4 hours of one idle 2-core machine.
# NOT RUN to completion in the session that wrote it (no training results yet; see README).
set -euo pipefail
cd "$(dirname "$0")/.."
MS=${MS:-.venv/bin/midistyle}
CONFIG=${CONFIG:-examples/shared_corpus.toml}
PREP=${PREP:-prepared}
RUN=${RUN:-runs/stargan}
PRESET=${PRESET:-small}
STEPS=${STEPS:-2000}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

[ -f "$PREP/index.json" ] || nice -n 10 $MS prepare --config "$CONFIG" -o "$PREP"
resume=()
[ -f "$RUN/last/config.json" ] && resume=(--resume)
mkdir -p "$RUN"
nohup nice -n 10 $MS train stargan --data "$PREP" --preset "$PRESET" --max-steps "$STEPS" "${resume[@]}" \
    -o "$RUN" >> "$RUN/train.log" 2>&1 &
echo "training in the background (pid $!); log: $RUN/train.log; best generator: $RUN/best"
echo "convert: $MS convert song.mid --model $RUN/best --to jazz [--from pop]"
