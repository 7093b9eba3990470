"""Speed of the arrangement transfer (`convert --arrange`) beside the edit model, cold and in a folder.

    nice -n 10 python benchmarks/arrange_speed.py [--files 20] [--rounds 5] [--workers 2]

Goals (issue 30, point 6): a cold `convert --arrange` of a 3-minute song within 2x a cold
`python -c "import torch"`; a folder at >= 3 files/s on 2 cores. Every timing is a fresh process
(imports included); the arms alternate round by round so a change in the machine's load hits all
of them. The songs are `benchmarks/convert.py`'s 3-minute band (examples/make_examples.py's band
repeated five times), the folder's copies each transposed by another interval (-5..+6 semitones,
drums kept). Prints the load average before and after: the machine may be shared.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert import three_minute_song  # noqa: E402  (benchmarks/ is not a package)


def transposed_copies(song_path: Path, folder: Path, n: int) -> None:
    """``n`` copies of the song, copy ``k`` with its pitched notes moved ``k % 12 - 5`` semitones."""
    from midistyle.representation import read, write_midi

    song = read(song_path)
    folder.mkdir(parents=True)
    for k in range(n):
        shift = k % 12 - 5
        tracks = [t if t.is_drum else t.replace_notes(t.start, t.end, t.pitch + shift, t.velocity)
                  for t in song.tracks]
        write_midi(song.with_tracks(tracks), folder / f"song{k:02d}.mid")


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def versions() -> str:
    from importlib.metadata import version

    libs = ", ".join(f"{name} {version(name)}" for name in ("torch", "numpy", "symusic"))
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=Path(__file__).parent).stdout.strip() or "unknown"
    return f"Python {platform.python_version()}, {libs}, midistyle at commit {rev}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=20, help="songs in the folder rows")
    ap.add_argument("--rounds", type=int, default=5, help="cold runs per single-song arm")
    ap.add_argument("--folder-rounds", type=int, default=2, help="runs per folder arm")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    exe = [sys.executable, "-m", "midistyle.cli"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        song = tmp / "song.mid"
        three_minute_song(song)
        from midistyle.representation import read
        s = read(song)
        length = f"{s.duration_seconds():.0f} s ({s.end / 4:.0f} bars of 4/4 at 100 qpm, {len(s.tracks)} tracks, " \
                 f"{s.n_notes()} notes)"
        arms = {
            'python -c "import torch" (floor)': [sys.executable, "-c", "import torch"],
            "convert --arrange (shipped jazz assets)": exe + ["convert", str(song), "--to", "jazz", "--arrange",
                                                              "-o", str(tmp / "a.mid"), "--force"],
            "convert, edit model (shipped to_jazz, --from pop)": exe + ["convert", str(song), "--to", "jazz", "--edit",
                                                                        "--from", "pop", "-o", str(tmp / "e.mid"), "--force"],
        }
        cold = {name: [] for name in arms}
        for _ in range(args.rounds):
            for name, cmd in arms.items():
                cold[name].append(wall(cmd))
        corpus = tmp / "corpus"
        transposed_copies(song, corpus, args.files)
        folder_arms = {
            "folder, convert --arrange": ["--arrange"],
            "folder, edit model (--from pop)": ["--edit", "--from", "pop"],
        }
        folder = {name: [] for name in folder_arms}
        for _ in range(args.folder_rounds):
            for name, extra in folder_arms.items():
                folder[name].append(wall(exe + ["convert", str(corpus), "--to", "jazz", "-o", str(tmp / "out"),
                                               "--force", "--workers", str(args.workers)] + extra))
    load_after = os.getloadavg()
    floor = statistics.median(cold['python -c "import torch" (floor)'])
    print(f"\n{datetime.date.today()}, {platform.machine()} {os.cpu_count()} cores, {versions()}")
    print(f"song: {length}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    print(f"| cold, one 3-minute song ({args.rounds} runs, arms alternating) | median s | min s | x torch import |")
    print("|---|---|---|---|")
    for name, times in cold.items():
        med = statistics.median(times)
        print(f"| {name} | {med:.2f} | {min(times):.2f} | {med / floor:.2f}x |")
    print(f"\n| folder of {args.files} songs, {args.workers} workers ({args.folder_rounds} runs) | median s | "
          "files/s (median) | best files/s |")
    print("|---|---|---|---|")
    for name, times in folder.items():
        med = statistics.median(times)
        print(f"| {name} | {med:.1f} | {args.files / med:.2f} | {args.files / min(times):.2f} |")


if __name__ == "__main__":
    main()
