"""MIDI -> bar-level piano-roll tensors: files/s of midistyle vs the readers a user would reach for.

    python benchmarks/representation.py [--every 8] [--data ../shared/data]

Side by side on the same files in one run: midistyle (symusic reader + pretty_midi pairing +
per-track onset/sustain/velocity roll cut at barlines), pretty_midi load + get_piano_roll,
pypianoroll read (if installed), and symusic parse + resample + piano roll alone (the floor).
"""
from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def midistyle_roll(path: Path):
    from midistyle.representation import read, song_to_roll
    return song_to_roll(read(path)).onset.shape


def pretty_midi_roll(path: Path):
    import pretty_midi
    pm = pretty_midi.PrettyMIDI(str(path))
    beats = pm.get_beats()
    fs = 4.0 / max(float(np.median(np.diff(beats))), 1e-3) if len(beats) > 1 else 8.0
    return pm.get_piano_roll(fs=fs).shape


def pypianoroll_roll(path: Path):
    import pypianoroll
    return pypianoroll.read(str(path), resolution=4).blend().shape


def symusic_roll(path: Path):
    import symusic
    score = symusic.Score(str(path)).resample(4, min_dur=1)
    return score.pianoroll(modes=["onset", "frame"], pitch_range=(24, 108), encode_velocity=True).shape


def time_reader(fn, files):
    times, failed = [], 0
    for f in files:
        t = time.perf_counter()
        try:
            fn(f)
        except Exception:
            failed += 1
            continue
        times.append(time.perf_counter() - t)
    return np.asarray(times), failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--every", type=int, default=8, help="take every Nth MIDI file (pretty_midi is slow)")
    args = ap.parse_args()
    files = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    if not files:
        print(f"no MIDI files under {args.data}: the shared corpus is absent, nothing to measure")
        return
    files = files[::args.every]
    warnings.simplefilter("ignore")
    readers = [("midistyle read + bar roll", midistyle_roll), ("symusic parse + roll (floor)", symusic_roll),
               ("pretty_midi load + piano roll", pretty_midi_roll)]
    try:
        import pypianoroll  # noqa: F401
        readers.append(("pypianoroll read + blend", pypianoroll_roll))
    except ImportError:
        print("(pypianoroll not installed: skipped)")
    for _, fn in readers:  # warm imports and caches
        time_reader(fn, files[:3])
    rows = []
    for name, fn in readers:
        times, failed = time_reader(fn, files)
        rows.append((name, times, failed))
    ours = rows[0][1]
    print(f"\n{len(files)} MIDI files from {args.data} (every {args.every}th), one process\n")
    print(f"{'reader':<32}{'median ms':>10}{'mean ms':>10}{'files/s':>10}{'failed':>8}{'ours faster by':>16}")
    for name, times, failed in rows:
        ratio = times.sum() / ours.sum()
        print(f"{name:<32}{np.median(times) * 1e3:>10.2f}{times.mean() * 1e3:>10.2f}"
              f"{len(times) / times.sum():>10.0f}{failed:>8}{ratio:>15.2f}x")
    print("\n'ours faster by' = total time of that reader / total time of midistyle (below 1: it is faster).")


if __name__ == "__main__":
    main()
