#!/usr/bin/env bash
# GPU (bf16) StarGAN run for a lent device: at most 9 minutes, checkpoints back under $OUT.
# NOT RUN: no GPU was lent to the session that wrote it; untested on a device.
# Carry the prepared corpus as a compressed archive (the travelling tree is capped at 64 MiB):
#   tar -C /work -cf - prepared4 | zstd -19 -o shared/prepared4.tar.zst     (beforehand, on the CPU machine)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out}
mkdir -p /tmp/prep "$OUT"
[ -f /tmp/prep/prepared4/index.json ] || zstd -dc shared/prepared4.tar.zst | tar -C /tmp/prep -xf -
# brunner preset on CUDA: bf16 autocast, channels_last and compile are on by default there
timeout 540 .venv/bin/midistyle train stargan --data /tmp/prep/prepared4 --preset brunner --max-steps 100000 \
    -o /tmp/run --device cuda || true   # stopped by the time limit; last/ is saved every checkpoint_every steps
cp -r /tmp/run/last/config.json /tmp/run/metrics.jsonl "$OUT"/ 2>/dev/null || true
[ -d /tmp/run/best ] && cp -r /tmp/run/best "$OUT"/best
du -sh "$OUT"/*
