#!/usr/bin/env bash
# Evaluate every shipped generator on held-out songs of a prepared corpus, with full reports:
# sources = 2 validation-split MIDI files from each other genre, real target music = 8 of the target
# (the same seeded sample as benchmarks/transfer.py, which does the work).
#   benchmarks/evaluate_shipped.sh [PREPARED_DIR] [OUT_DIR]
set -eu
cd "$(dirname "$0")/.."
PREP=${1:-prepared}
OUT=${2:-eval-shipped}
exec .venv/bin/python benchmarks/transfer.py --prepared "$PREP" --model shipped --per-genre 2 --real 8 -o "$OUT"
