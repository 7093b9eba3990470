"""Folder convert on the local pool against Dask on the same machine (a LocalCluster).

    python benchmarks/engine.py [--files N] [--workers W] [--repeats R]

Each row is a fresh `midistyle convert FOLDER -o OUT --workers W [--engine dask]` process (cold
imports and, for Dask, the cluster's start included) on N copies of the 3-minute song of
benchmarks/convert.py; best of R. Prints the table of benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from convert import three_minute_song  # noqa: E402


def timed(cmd: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    exe = [sys.executable, "-m", "midistyle.cli", "convert"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus"
        corpus.mkdir()
        three_minute_song(corpus / "s0.mid")
        for i in range(1, args.files):
            (corpus / f"s{i}.mid").write_bytes((corpus / "s0.mid").read_bytes())
        rows = []
        for engine in ("local", "dask"):
            cmd = exe + [str(corpus), "--to", "jazz", "--from", "pop", "-o", str(tmp / engine), "--force",
                         "--workers", str(args.workers), "--engine", engine]
            rows.append((engine, timed(cmd, args.repeats)))
    print(f"\n{args.files} 3-minute songs to jazz, {args.workers} workers, {os.cpu_count()} cores, best of {args.repeats}\n")
    print("| engine | seconds | files/s | x local |\n|---|---|---|---|")
    for engine, s in rows:
        print(f"| {engine} | {s:.1f} | {args.files / s:.2f} | {s / rows[0][1]:.2f} |")


if __name__ == "__main__":
    main()
