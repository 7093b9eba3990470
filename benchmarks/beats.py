"""Beat tracking from notes (midistyle.representation.beats) against known beats, on ../shared/data.

    python benchmarks/beats.py [--data ../shared/data] [--per-genre 40] [--seed 0]

1. Beat-aligned files (score MIDI from ASAP, freemidi pop and rock, Nottingham folk; only files
   with at least 80% of onsets on a 12-step grid of their own map, so their map is their beat) are
   rewritten with every note at its real time under a wrong flat map: 120 qpm, 4/4, after a random
   lead-in of 0.5-4 s. ``align_beats(..., "on")`` must recover the beats.
2. Doug McKenzie's keyboard takes, as they are: their own maps are roughly right.

Reported per set: beat F-measure (+-70 ms, mir_eval.beat.f_measure, beats before 5 s trimmed as
mir_eval does) against the true quarter notes, F at the best of quarter / eighth / half / dotted
quarter (a tracker counting another metrical level), the share of true downbeats found within
70 ms, and the time per file (tracking and re-timing, not the reading). Goal: median F >= 0.85
on the rewritten files. Prints that the data is absent and exits 0 when it is.

mir_eval comes with the test extra (``pip install -e '.[test]'``); without it the F-measure is
midistyle's own ``beats.f_measure`` (checked against mir_eval in tests/test_beats.py), and the
last line names which one scored.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from midistyle.representation import Song, read
from midistyle.representation import beats as B
from midistyle.representation.roll import bar_lines

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "score (ASAP)": "classical/asap",
    "pop (freemidi)": "pop/freemidi_via_rp-bot_Ultimate-MIDI-Scraper",
    "rock (freemidi)": "rock",
    "folk (Nottingham)": "folk/nottingham/MIDI",
}
DOUG = "jazz/doug_mckenzie_via_EricElmoznino_MusicGenerator"
GOAL_F = 0.85


def files(folder: Path) -> list[Path]:
    found = [p for p in folder.rglob("*") if p.suffix.lower() in (".mid", ".midi")]
    return sorted(found, key=lambda p: hashlib.sha1(str(p.relative_to(folder)).encode()).hexdigest())


def flat(song: Song, lead: float) -> tuple[Song, float]:
    """The song's notes at their real times (plus ``lead`` seconds) under 120 qpm 4/4."""
    tracks = [t.replace_notes((song.seconds(t.start) + lead) * 2, (song.seconds(t.end) + lead) * 2,
                              t.pitch, t.velocity) for t in song.tracks]
    return Song(tracks, [(0.0, 120.0)], [(0.0, 4, 4)], [], song.resolution, song.source), lead


def truth(song: Song) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Quarter-note and downbeat times of the song's own map within its notes' span."""
    starts = np.concatenate([t.start for t in song.tracks if t.n_notes])
    ends = np.concatenate([t.end for t in song.tracks if t.n_notes])
    lo, hi = float(song.seconds(starts.min())), float(song.seconds(ends.max()))
    q = song.seconds(np.arange(0, np.ceil(song.end) + 1))
    bars = song.seconds(bar_lines(song))
    keep = lambda t: t[(t >= lo - 0.07) & (t <= hi + 0.07)]  # noqa: E731
    return keep(q), keep(bars), lo, hi


def levels(quarters: np.ndarray) -> list[np.ndarray]:
    """Quarters, eighths, halves (both phases) and dotted quarters (three phases)."""
    mids = (quarters[:-1] + quarters[1:]) / 2
    eighths = np.sort(np.concatenate([quarters, mids]))
    return [quarters, eighths, quarters[::2], quarters[1::2], *(eighths[k::3] for k in range(3))]


def scorer() -> tuple[str, object, object]:
    """(name, trim, f_measure): mir_eval's when it is installed (``pip install -e '.[test]'``), else
    midistyle's own equivalent (B.f_measure, checked against mir_eval in tests/test_beats.py, and
    mir_eval's trimming of the first 5 s)."""
    try:
        import mir_eval.beat
    except ImportError:
        return "midistyle.representation.beats.f_measure (mir_eval not installed)", \
            (lambda t: t[t >= 5.0]), B.f_measure
    return f"mir_eval {mir_eval.__version__}", mir_eval.beat.trim_beats, mir_eval.beat.f_measure


SCORER = scorer()


def score(ref_q: np.ndarray, ref_down: np.ndarray, al: B.Alignment) -> tuple[float, float, float]:
    _, trim, f_measure = SCORER
    est = trim(al.beats)
    f = f_measure(trim(ref_q), est)
    f_any = max(f_measure(trim(r), est) for r in levels(ref_q))
    found = np.array([np.abs(al.downbeats - d).min() <= B.TOL_S for d in ref_down]) if al.downbeats.size else \
        np.zeros(ref_down.size, bool)
    return f, f_any, float(found.mean()) if found.size else 0.0


def run_set(paths: list[Path], n: int, rewrite: bool, rng) -> dict:
    rows = []
    for path in paths:
        if len(rows) >= n:
            break
        try:
            song = read(path)
        except Exception:
            continue
        if rewrite and B.on_grid_share(song, 12) < B.QUANTISED_SHARE:
            continue  # not beat-aligned itself: no ground truth
        ref_q, ref_down, lo, hi = truth(song)
        if hi - lo < 20 or ref_q.size < 16:
            continue
        if rewrite:
            lead = float(rng.uniform(0.5, 4.0))
            song, _ = flat(song, lead)
            ref_q, ref_down = ref_q + lead, ref_down + lead
        t = time.perf_counter()
        try:
            al = B.align_beats(song, "on")
        except B.NoRhythmError:
            rows.append((0.0, 0.0, 0.0, time.perf_counter() - t, hi - lo))
            continue
        el = time.perf_counter() - t
        rows.append((*score(ref_q, ref_down, al), el, hi - lo))
    return rows


def summarise(rows) -> dict:
    if not rows:
        return {"n": 0}
    f, fa, d, t, dur = (np.array(c) for c in zip(*rows))
    return {"n": len(rows), "median_f": float(np.median(f)), "mean_f": float(f.mean()),
            "median_f_any": float(np.median(fa)), "downbeats": float(np.mean(d)),
            "share_f85": float((f >= GOAL_F).mean()), "s_per_file": float(t.mean()), "median_len_s": float(np.median(dur))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("MIDISTYLE_SHARED_DATA", DEFAULT_DATA)))
    ap.add_argument("--per-genre", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"shared data not found at {args.data}: nothing to benchmark")
        return 0
    warnings.simplefilter("ignore")
    import librosa.beat  # noqa: F401  (its ~4 s import is not a file's time)
    B.align_beats(_warm(), "on")
    rng = np.random.default_rng(args.seed)
    results, pooled = [], []
    for name, rel in SETS.items():
        folder = args.data / rel
        if folder.is_dir():
            rows = run_set(files(folder), args.per_genre, True, rng)
            pooled.extend(rows)
            results.append((f"{name}, rewritten", summarise(rows)))
    if pooled:
        results.append(("all rewritten files", summarise(pooled)))
    doug = args.data / DOUG
    if doug.is_dir():
        results.append(("Doug McKenzie takes, as they are", summarise(run_set(files(doug), 10 ** 6, False, rng))))
    head = (f"{'set':<36} {'files':>5} {'median F':>8} {'mean F':>7} {'F>=.85':>7} {'F any level':>11} "
            f"{'downbeats':>9} {'s/file':>7} {'median len s':>12}")
    print(head)
    print("-" * len(head))
    for name, r in results:
        if not r["n"]:
            print(f"{name:<36} {0:>5}")
            continue
        print(f"{name:<36} {r['n']:>5} {r['median_f']:>8.3f} {r['mean_f']:>7.3f} {r['share_f85']:>7.0%} "
              f"{r['median_f_any']:>11.3f} {r['downbeats']:>9.0%} {r['s_per_file']:>7.2f} {r['median_len_s']:>12.0f}")
    print("\nF: beat F-measure (+-70 ms) against the true quarter notes; 'F any level': the best of"
          " quarters, eighths, halves and dotted quarters; downbeats: share of true downbeats within 70 ms of an"
          " estimated one; s/file: tracking and re-timing only (librosa imported beforehand).")
    if pooled:
        med = summarise(pooled)["median_f"]
        print(f"goal: median F >= {GOAL_F} on the rewritten files: {med:.3f}, {'met' if med >= GOAL_F else 'NOT met'}")
    print(f"beat F-measure by {SCORER[0]}; load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def _warm() -> Song:
    """A small played song, so numba's first-call compilation is not any file's time."""
    from midistyle.representation import Track

    t = np.arange(0, 30, 0.5)
    return Song([Track.from_notes("p", 0, False, [(x * 2, x * 2 + 0.5, 60, 80) for x in t])],
                [(0.0, 120.0)], [(0.0, 4, 4)], source="<warm-up>")


if __name__ == "__main__":
    sys.exit(main())
