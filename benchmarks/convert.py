"""Cold `midistyle convert` of a 3-minute song vs the `import torch` floor, and batch files/s.

    python benchmarks/convert.py [--model DIR] [--files N]

Every timing is a fresh process (cold imports included), best of 3. The batch row converts N
generated songs with all cores through `midistyle convert FOLDER -o OUT`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))


def three_minute_song(path: Path) -> None:
    """The band example repeated to ~3 minutes (100 qpm: 75 bars of 4/4)."""
    from make_examples import band
    from midistyle.representation import Track, write_midi

    song = band()
    tracks = []
    for t in song.tracks:
        reps = [(t.start + 64 * k, t.end + 64 * k) for k in range(5)]
        tracks.append(Track(t.name, t.program, t.is_drum, np.concatenate([r[0] for r in reps]),
                            np.concatenate([r[1] for r in reps]), np.tile(t.pitch, 5), np.tile(t.velocity, 5)))
    write_midi(song.with_tracks(tracks), path)


def best_of(cmd: list[str], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", help="checkpoint folder (default: the shipped jazz model)")
    ap.add_argument("--files", type=int, default=16, help="songs in the batch row")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "midistyle.cli"]
    model = ["--model", args.model] if args.model else ["--edit"]  # the edit models' speed (arrange_speed.py: the arrangement)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        song = tmp / "song.mid"
        three_minute_song(song)
        floor = best_of([sys.executable, "-c", "import torch"])
        cold = best_of(exe + ["convert", str(song), "--to", "jazz", "--from", "pop", "-o", str(tmp / "o.mid"),
                              "--force"] + model)
        detect = best_of(exe + ["convert", str(song), "--to", "jazz", "-o", str(tmp / "o.mid"), "--force"] + model)
        corpus = tmp / "corpus"
        corpus.mkdir()
        for i in range(args.files):
            (corpus / f"s{i}.mid").write_bytes(song.read_bytes())
        t = time.perf_counter()
        subprocess.run(exe + ["convert", str(corpus), "--to", "jazz", "--from", "pop", "-o", str(tmp / "out"),
                              "--force"] + model, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        batch = time.perf_counter() - t
    print(f"\n3-minute song (75 bars, 4 tracks), cold processes, best of 3, {os.cpu_count()} cores\n")
    print(f"{'what':<44}{'seconds':>9}{'x torch import':>16}")
    floor_name = 'python -c "import torch" (floor)'
    print(f"{floor_name:<44}{floor:>9.2f}{1:>15.2f}x")
    print(f"{'midistyle convert --from pop':<44}{cold:>9.2f}{cold / floor:>15.2f}x")
    print(f"{'midistyle convert (source genre detected)':<44}{detect:>9.2f}{detect / floor:>15.2f}x")
    print(f"\nbatch: {args.files} songs in {batch:.1f} s = {args.files / batch:.2f} files/s "
          f"(all cores, process start included)")


if __name__ == "__main__":
    main()
