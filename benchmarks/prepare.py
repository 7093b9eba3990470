"""Corpus preparation speed on ../shared/data: midistyle.prepare (1 worker, all workers) against
a plain single-process pretty_midi pipeline doing the same job, against music21's own routes for
scores (stripTies) and ABC books, and the whole corpus as examples/shared_corpus.toml lays it out.

    python benchmarks/prepare.py [--data ../shared/data] [--baseline-files 200] [--abc-tunes 600]
                                 [--score-files 16] [--no-whole]

The pretty_midi baseline (load, piano roll on a 16th grid of quarter-note ticks, cut 4-bar
phrases at downbeats, pad to 64 steps, drop empty ones) runs on a deterministic subset of the
MIDI files because it is slow; midistyle runs on the same subset and on all MIDI files. Rolling
bar by bar with pretty_midi (each get_piano_roll call renders the whole song) is much slower
still: it is timed on a tiny subset only, and its speed-up column compares it with itself.
Prints that the data is absent and exits 0 when it is.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from midistyle.config import RollConfig
from midistyle.data.corpus import prepare
from midistyle.data.units import load_sources_file
from midistyle.representation.abc import book_tunes
from midistyle.representation.files import MIDI_SUFFIXES, SCORE_SUFFIXES

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPUS_CONFIG = Path(__file__).resolve().parents[1] / "examples" / "shared_corpus.toml"
GOAL_S = 600  # issue 13: the whole shared corpus, 12 steps per quarter and beat-aligned, in 10 minutes on 2 cores
GENRES = ("jazz", "classical", "pop", "folk", "rock")


def midi_files(data: Path) -> dict[str, list[Path]]:
    return {g: sorted(p for p in (data / g).rglob("*") if p.suffix.lower() in MIDI_SUFFIXES)
            for g in GENRES if (data / g).is_dir()}


def subset(files: dict[str, list[Path]], n: int) -> dict[str, list[Path]]:
    """About ``n`` files spread over the genres, chosen by hash of the path (deterministic)."""
    per = max(1, n // len(files))
    key = lambda p: hashlib.sha1(str(p).encode()).hexdigest()  # noqa: E731
    return {g: sorted(sorted(fs, key=key)[:per]) for g, fs in files.items()}


def pretty_midi_baseline(files: list[Path], per_bar: bool = False, spb: int = 4, bars: int = 4,
                         low: int = 24, high: int = 107):
    """The plain pipeline: returns (pieces, phrases). ``per_bar``: one get_piano_roll call per bar
    (each call renders the whole song, then samples it) instead of one per file."""
    import pretty_midi

    pieces = phrases = 0
    width = bars * 4 * spb
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pm = pretty_midi.PrettyMIDI(str(path))
            except Exception:
                continue
        if not any(not i.is_drum and i.notes for i in pm.instruments):
            continue
        step_ticks = pm.resolution / spb
        end_tick = pm.time_to_tick(pm.get_end_time())
        grid = np.array([pm.tick_to_time(int(round(t))) for t in np.arange(0, end_tick + step_ticks, step_ticks)])
        downbeats = np.searchsorted(grid, pm.get_downbeats() - 1e-6)
        bounds = np.append(downbeats, len(grid) - 1)
        onsets = np.zeros((len(grid), 128), bool)
        for inst in pm.instruments:
            if inst.is_drum:
                continue
            for note in inst.notes:
                onsets[min(np.searchsorted(grid, note.start - 1e-6), len(grid) - 1), note.pitch] = True
        whole = None if per_bar else pm.get_piano_roll(times=grid) > 0  # [128, steps] sustain
        bar_rolls = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b <= a:
                continue
            roll = pm.get_piano_roll(times=grid[a:b]) > 0 if per_bar else whole[:, a:b]
            bar_rolls.append(np.stack([onsets[a:b].T, roll])[:, low:high + 1].transpose(0, 2, 1))
        kept = 0
        for s in range(0, max(len(bar_rolls) - bars + 1, 1), bars):
            phrase = np.concatenate(bar_rolls[s:s + bars], axis=1)[:, :width]
            out = np.zeros((2, width, high - low + 1), np.uint8)
            out[:, :phrase.shape[1]] = phrase
            kept += bool(out[0].any())
        pieces += 1
        phrases += kept
    return pieces, phrases


def music21_books_baseline(books: list[Path], limit: int):
    """music21's own route for ABC: parse each book whole, convert every tune (read_all)."""
    from midistyle.representation.scores import read_all

    pieces = 0
    for book in books:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pieces += len(read_all(book))
        if pieces >= limit:
            break
    return pieces


def music21_scores_baseline(files: list[Path]):
    """music21's usual route for scores: parse, ``stripTies()`` each part, read its flat notes."""
    import contextlib
    import io

    import music21

    pieces = notes = 0
    for path in files:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = music21.converter.parse(str(path), forceSource=True)
            for part in score.parts:
                notes += len(part.stripTies().flatten().notes)
        pieces += 1
    return pieces, notes


def whole_corpus(data: Path) -> dict[str, list[str]]:
    """examples/shared_corpus.toml's genres and folders, moved under ``data``."""
    return whole_corpus_settings(data)[0]


def whole_corpus_settings(data: Path) -> tuple[dict[str, list[str]], dict]:
    """examples/shared_corpus.toml's genres and folders, moved under ``data``, and its settings as
    :func:`prepare` takes them (the grid as ``cfg``; per-folder settings moved along)."""
    sources, settings = load_sources_file(CORPUS_CONFIG)
    default = str(DEFAULT_DATA.resolve())
    move = lambda f: str(data / Path(os.path.normpath(f)).resolve().relative_to(default))  # noqa: E731
    if "source_options" in settings:
        settings["source_options"] = {move(k): v for k, v in settings["source_options"].items()}
    grid = {k: settings.pop(k) for k in ("steps_per_beat", "low_pitch", "high_pitch") if k in settings}
    settings["cfg"] = RollConfig(**grid)
    return {g: [move(f) for f in fs] for g, fs in sources.items()}, settings


def ours(sources: dict, workers: int, storage: bool = False, **settings):
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report = prepare(sources, tmp, workers=workers, progress=False, **settings)
        wall = time.perf_counter() - t
        if storage:
            shards = sorted(Path(tmp, "shards").glob("*.npy"), key=lambda f: -f.stat().st_size)
            storage_table(shards[0])
    n_pieces = sum(sum(v.values()) for v in report.pieces.values())
    n_phrases = sum(sum(v.values()) for v in report.phrases.values())
    return wall, n_pieces, n_phrases, sum(report.cpu_s.values())


def storage_table(shard: Path, n_items: int = 5000) -> None:
    """Why shards are plain .npy read memory-mapped: load and random-access times per format."""
    arr = np.load(shard)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(arr), n_items)
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "shard.npz"
        np.savez_compressed(npz, rolls=arr)
        packed = Path(tmp) / "packed.npy"
        np.save(packed, np.packbits(arr, axis=-1))
        rows = []

        def timed(fn, repeat=3):
            best = float("inf")
            for _ in range(repeat):
                t = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - t)
            return best

        rows.append(("npy, mmap (as shipped)", shard.stat().st_size, timed(lambda: np.load(shard)),
                     timed(lambda: _random_rows(np.load(shard, mmap_mode="r"), idx))))
        rows.append(("npz compressed", npz.stat().st_size, timed(lambda: np.load(npz)["rolls"]),
                     timed(lambda: _random_rows(np.load(npz)["rolls"], idx))))
        p = np.load(packed, mmap_mode="r")
        rows.append(("npy packbits (mmap + unpack)", packed.stat().st_size, timed(lambda: np.load(packed)),
                     timed(lambda: [np.unpackbits(p[i], axis=-1, count=arr.shape[-1]) for i in idx])))
    print(f"\nshard storage ({len(arr)} phrases of {arr.shape[1:]} uint8; {n_items} random items)\n")
    print(f"{'format':<30} {'MB':>7} {'load all s':>11} {'random items s':>15}")
    for name, size, load, rand in rows:
        print(f"{name:<30} {size / 1e6:>7.1f} {load:>11.3f} {rand:>15.3f}")
    print("(npz: a random item needs its whole shard decompressed; the time assumes it stays cached)")


def _random_rows(arr, idx):
    return [np.asarray(arr[i]) for i in idx]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("MIDISTYLE_SHARED_DATA", DEFAULT_DATA)))
    ap.add_argument("--baseline-files", type=int, default=200)
    ap.add_argument("--per-bar-files", type=int, default=10)
    ap.add_argument("--abc-tunes", type=int, default=600)
    ap.add_argument("--score-files", type=int, default=16, help="MusicXML/kern files for the score rows")
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-corpus run (about 3 min)")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"shared data not found at {args.data}: nothing to benchmark")
        return 0
    cores = os.cpu_count() or 1
    rows = []
    allmidi = midi_files(args.data)
    sub = subset(allmidi, args.baseline_files)
    n_sub = sum(map(len, sub.values()))
    n_all = sum(map(len, allmidi.values()))

    t, c = time.perf_counter(), time.process_time()
    bp, bf = pretty_midi_baseline([p for fs in sub.values() for p in fs])
    base = time.perf_counter() - t
    rows.append(("pretty_midi plain (MIDI subset)", 1, n_sub, bp, bf, base, time.process_time() - c, base))
    if args.per_bar_files:
        few = [p for fs in subset(allmidi, args.per_bar_files).values() for p in fs]
        t, c = time.perf_counter(), time.process_time()
        fp, ff = pretty_midi_baseline(few, per_bar=True)
        wall = time.perf_counter() - t
        rows.append(("pretty_midi roll per bar (tiny)", 1, len(few), fp, ff, wall, time.process_time() - c, wall))
    for w in sorted({1, cores}):
        wall, p, f, cpu = ours(sub, w)
        rows.append(("midistyle.prepare (MIDI subset)", w, n_sub, p, f, wall, cpu, base))
    for w in sorted({1, cores}):
        wall, p, f, cpu = ours(allmidi, w, storage=w == cores)
        rows.append(("midistyle.prepare (all MIDI)", w, n_all, p, f, wall, cpu, base * n_all / n_sub))

    books = sorted((args.data / "folk" / "music21_corpus").rglob("*.abc"))
    if books:
        chosen, tunes = [], 0
        for b in books:  # whole books until about --abc-tunes tunes
            chosen.append(b)
            tunes += len(book_tunes(b.read_text(encoding="utf-8", errors="replace")))
            if tunes >= args.abc_tunes:
                break
        t, c = time.perf_counter(), time.process_time()
        bp = music21_books_baseline(chosen, 10 ** 9)
        mbase = time.perf_counter() - t
        rows.append(("music21 read_all (ABC books)", 1, len(chosen), bp, 0, mbase, time.process_time() - c, mbase))
        for w in sorted({1, cores}):
            wall, p, f, cpu = ours({"folk": chosen}, w)
            rows.append(("midistyle.prepare (ABC books)", w, len(chosen), p, f, wall, cpu, mbase))

    scores = sorted(p for p in (args.data / "classical").rglob("*")
                    if p.suffix.lower() in SCORE_SUFFIXES - {".abc"})
    if scores and args.score_files:
        key = lambda p: hashlib.sha1(str(p).encode()).hexdigest()  # noqa: E731
        chosen = sorted(sorted(scores, key=key)[:args.score_files])
        t, c = time.perf_counter(), time.process_time()
        sp, _ = music21_scores_baseline(chosen)
        sbase = time.perf_counter() - t
        rows.append(("music21 stripTies (scores)", 1, len(chosen), sp, 0, sbase, time.process_time() - c, sbase))
        for w in sorted({1, cores}):
            wall, p, f, cpu = ours({"classical": chosen}, w)
            rows.append(("midistyle.prepare (scores)", w, len(chosen), p, f, wall, cpu, sbase))

    whole = None
    if not args.no_whole:
        sources, settings = whole_corpus_settings(args.data)
        n_files = sum(1 for fs in sources.values() for f in fs for p in Path(f).rglob("*")
                      if p.suffix.lower() in MIDI_SUFFIXES | SCORE_SUFFIXES)
        wall, p, f, cpu = ours(sources, cores, **settings)
        whole = wall
        rows.append(("midistyle.prepare (whole corpus)", cores, n_files, p, f, wall, cpu, GOAL_S))

    print(f"\n{cores} cores; baseline subset: {n_sub} of {n_all} MIDI files "
          f"(its time scaled by {n_all / n_sub:.1f} for the all-MIDI ratio)\n")
    head = f"{'pipeline':<34} {'workers':>7} {'files':>6} {'pieces':>7} {'phrases':>8} {'wall s':>8} " \
           f"{'CPU s':>7} {'files/s':>8} {'phr/s':>8} {'speed-up':>9}"
    print(head)
    print("-" * len(head))
    for name, w, files, pieces, phrases, wall, cpu, ref in rows:
        print(f"{name:<34} {w:>7} {files:>6} {pieces:>7} {phrases:>8} {wall:>8.2f} {cpu:>7.1f} {files / wall:>8.1f} "
              f"{phrases / wall:>8.0f} {ref / wall:>8.1f}x")
    print("\nCPU s: the baselines' own process time; midistyle's worker processes (reading and cutting"
          " only). 'files' counts ABC books for the ABC rows; 'speed-up' is against the baseline above"
          " (the all-MIDI rows against the subset baseline scaled to all files; the whole-corpus row"
          f" against the {GOAL_S} s goal).")
    if whole is not None:
        print(f"whole corpus (examples/shared_corpus.toml, ABC books split into tunes): {whole:.0f} s on"
              f" {cores} cores; goal <= {GOAL_S} s on 2 cores: {'met' if whole <= GOAL_S else 'NOT met'}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {cores} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
