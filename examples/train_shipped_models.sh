#!/usr/bin/env bash
# Reproduce midistyle/pretrained/ from the development corpus (../shared/data).
#   PRESET=small (default, 2-core CPU) or brunner (GPU); STEPS=N caps each run's optimiser steps.
set -euo pipefail
cd "$(dirname "$0")/.."
MS=${MS:-.venv/bin/midistyle}
PREP=${PREP:-prepared}
RUNS=${RUNS:-runs}
PRESET=${PRESET:-small}
STEPS=${STEPS:+--max-steps $STEPS}

[ -f "$PREP/index.json" ] || $MS prepare --config examples/shared_corpus.toml -o "$PREP"
$MS train classifier --data "$PREP" --preset "$PRESET" -o "$RUNS/classifier" $STEPS
for g in jazz classical pop folk rock; do
    # Domain A = every other genre, B = the target: G (A->B) is the shipped "to_$g" model.
    $MS train cyclegan --data "$PREP" --a rest --b "$g" --preset "$PRESET" -o "$RUNS/to_$g" $STEPS
done
for run in classifier to_jazz to_classical to_pop to_folk to_rock; do
    mkdir -p "midistyle/pretrained/$run"
    cp "$RUNS/$run/best/config.json" "$RUNS/$run/best/model.safetensors" "midistyle/pretrained/$run/"
done
echo "shipped models updated in midistyle/pretrained/"
