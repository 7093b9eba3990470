#!/usr/bin/env bash
# Reproduce the shipped arrangement transfer (convert's default) from the development corpus (../shared/data) on a
# 2-core CPU, in the background, resumable (issue 30, point 6). Three stages, each logged with its wall time:
#   1. prepare: the arrangement corpus of examples/arrangement_data.toml (examples/prepare_arrangements.py
#      --prepare-only; every piece is cached, so a rerun continues where it stopped);
#   2. bank: each genre's instruments, kit, feel and bank of real bars, each bar weighed by how typical of its
#      genre it is against the other genres banked (`midistyle train bank`; the shipped
#      midistyle/pretrained/arrangement holds jazz, classical, pop, folk and rock, 1,500 bars each);
#   3. judge: the arrangement judge that `evaluate` and the ship bar use (`midistyle judge fit --features
#      arrangement`, the settings of docs/results/arrangement_judge.md; needs the `train` extra: scikit-learn;
#      its feature cache makes a rerun resume). JUDGE=0 skips it.
#   examples/train_arrangement.sh         # start or continue in the background; log: $RUN/train.log
#   tail -f runs/arrangement/train.log    # progress; kill it any time (kill -- -PID), rerun to resume
# A stage whose output is complete is skipped on a rerun (delete the output to redo it). Outputs: $PREP (the
# corpus), $ASSETS (convert --model $ASSETS), $JUDGE_OUT; INSTALL=1 then copies both into midistyle/pretrained/.
# Overrides: DATA (corpus root), RUN, PREP, ASSETS, JUDGE_OUT, GENRES (banked), MAX_BARS, WORKERS, JUDGE_GENRES,
# JUDGE (0: skip), INSTALL (1: copy into midistyle/pretrained), WAIT (1: run in the foreground), MS, PY (commands,
# split on spaces: MS="python -m midistyle" works).
# Measured on 2 shared cores: 23 minutes in all (prepare 14, bank 0.1, judge 10; docs/training.md#the-arrangement-transfer).
set -euo pipefail
cd "$(dirname "$0")/.."
MS=${MS:-.venv/bin/midistyle}
PY=${PY:-.venv/bin/python}
DATA=${DATA:-../shared/data}
RUN=${RUN:-runs/arrangement}
PREP=${PREP:-$RUN/corpus}
ASSETS=${ASSETS:-$RUN/assets}
JUDGE_OUT=${JUDGE_OUT:-$RUN/arrangement_judge}
GENRES=${GENRES:-jazz,classical,pop,folk,rock}
JUDGE_GENRES=${JUDGE_GENRES:-jazz,classical,pop,folk,rock,country}
MAX_BARS=${MAX_BARS:-1500}
WORKERS=${WORKERS:-2}
JUDGE=${JUDGE:-1}
INSTALL=${INSTALL:-0}
WAIT=${WAIT:-0}
mkdir -p "$RUN"
if [ "$WAIT" != 1 ]; then  # run this same script in the foreground of a background process
    WAIT=1 MS="$MS" PY="$PY" DATA="$DATA" RUN="$RUN" PREP="$PREP" ASSETS="$ASSETS" JUDGE_OUT="$JUDGE_OUT" \
        GENRES="$GENRES" JUDGE_GENRES="$JUDGE_GENRES" MAX_BARS="$MAX_BARS" WORKERS="$WORKERS" JUDGE="$JUDGE" \
        INSTALL="$INSTALL" nohup nice -n 10 "$0" >> "$RUN/train.log" 2>&1 &
    echo "training the arrangement transfer in the background (pid $!); log: $RUN/train.log"
    echo "then: $MS convert song.mid --to jazz --model $ASSETS"
    exit 0
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$RUN/numba-cache}
stage() {  # stage NAME DONE_FILE CMD...: run CMD unless DONE_FILE exists, and log its wall time
    local name=$1 done=$2 t0
    shift 2
    if [ -f "$done" ]; then echo "[$(date -u +%FT%TZ)] $name: done already ($done)"; return; fi
    echo "[$(date -u +%FT%TZ)] $name: $*"
    t0=$(date +%s)
    "$@"
    echo "[$(date -u +%FT%TZ)] $name: finished in $(( $(date +%s) - t0 )) s"
}
echo "[$(date -u +%FT%TZ)] start (data $DATA, run $RUN)"
stage prepare "$PREP/index.json" $PY examples/prepare_arrangements.py --data "$DATA" --out "$PREP" \
    --workers "$WORKERS" --prepare-only
stage bank "$ASSETS/arrangement.json" $MS train bank --data "$PREP" -o "$ASSETS" --genres "$GENRES" \
    --max-bars "$MAX_BARS"
if [ "$JUDGE" = 1 ]; then
    stage judge "$JUDGE_OUT/config.json" $MS judge fit --data "$DATA" --cache "$RUN/judge_cache" \
        --out "$JUDGE_OUT" --features arrangement --genres "$JUDGE_GENRES" --per-source 250 --val-per-source 80 \
        --cap classical/haydn_mozart_quartets=40,15 --cap classical/music21_corpus=80,25 --seed 0 --align auto \
        --no-augment --grid 0 --balance collection --workers "$WORKERS"
fi
if [ "$INSTALL" = 1 ]; then
    rm -rf midistyle/pretrained/arrangement.new
    cp -r "$ASSETS" midistyle/pretrained/arrangement.new
    rm -rf midistyle/pretrained/arrangement && mv midistyle/pretrained/arrangement.new midistyle/pretrained/arrangement
    [ "$JUDGE" = 1 ] && cp "$JUDGE_OUT"/config.json "$JUDGE_OUT"/model.safetensors midistyle/pretrained/arrangement_judge/
    echo "[$(date -u +%FT%TZ)] installed into midistyle/pretrained/"
fi
echo "[$(date -u +%FT%TZ)] all done: convert --to jazz --model $ASSETS"
