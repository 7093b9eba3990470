"""How the retrieval arranger's bass moves across bar lines, beside real music of each genre.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/bass_leaps.py --corpus /work/runs/arr3 \\
        --assets /work/runs/arr3_assets [--weights 0,0.03] [--per-genre 4] [--reals 12]

The same sources as benchmarks/arrangement.py (a seeded draw of ``--per-genre`` validation pieces
of each genre, each arranged for every other genre by retrieval), arranged once per voice-leading
weight (:func:`midistyle.arrangement.retrieve.retrieve`'s ``voice_weight``; 0 scores no motion;
a tree whose retrieve has no weight runs once per weight as it is: run it with that tree's
PYTHONPATH for a before/after);
the real validation songs' own bass lines are the reference. Per target: the share of steps
across bar lines over an octave, the mean size of a step (semitones,
:func:`bar_line_steps`) and the retrieval's time per song.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arrangement import draw_args, read_songs, val_pieces  # noqa: E402  (benchmarks/ is not a package)


def bar_line_steps(onsets: np.ndarray, bar_starts) -> np.ndarray:
    """Semitones from each bar's last bass note to the next sounding bar's first (the lowest note
    of the last and first onset), bars without bass skipped; onsets ``[T, P]``."""
    ends = []
    for a, b in zip(bar_starts[:-1], bar_starts[1:]):
        steps = np.flatnonzero(onsets[a:b].any(axis=1))
        if steps.size:
            ends.append((np.flatnonzero(onsets[a + steps[0]])[0], np.flatnonzero(onsets[a + steps[-1]])[0]))
    return np.array([nxt[0] - cur[1] for cur, nxt in zip(ends[:-1], ends[1:])], int)


def stats(steps: list[np.ndarray]) -> str:
    d = np.abs(np.concatenate(steps)) if steps else np.zeros(0)
    if not d.size:
        return "n/a"
    return f"{np.mean(d > 12):6.1%} > octave, mean {d.mean():4.1f} st ({d.size} steps)"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    draw_args(ap, defaults=False)
    ap.add_argument("--weights", default="0,0.03", help="comma-separated voice-leading weights")
    ap.add_argument("--targets", default=None)
    args = ap.parse_args(argv)
    from midistyle.analysis.leadsheet import read_lead_sheet
    from midistyle.arrangement.encode import PITCHED_TARGETS, encode
    from midistyle.arrangement.profile import load_profile
    from midistyle.arrangement.retrieve import load_bank, retrieve
    import inspect

    pieces, _ = val_pieces(args.corpus)
    reals = read_songs(pieces, max(args.reals, args.per_genre), args.seed)
    targets = args.targets.split(",") if args.targets else [g for g in reals if (args.assets / g / "profile.json").exists()]
    leads = {id(s): read_lead_sheet(s) for songs in reals.values() for s in songs}
    weights = [float(w) for w in args.weights.split(",")]
    for target in targets:
        bank, profile = load_bank(args.assets / target), load_profile(args.assets / target / "profile.json")
        need = [r for r in (*PITCHED_TARGETS, "drums") if profile.has(r)]
        real = []
        for s in reals[target][:args.reals]:
            arr = encode(leads[id(s)], bank.cfg)
            real.append(bar_line_steps(arr.bass[0], arr.bar_starts))
        print(f"{target}: real {stats(real)}", flush=True)
        sources = [s for g, songs in reals.items() if g != target for s in songs[:args.per_genre]]
        for w in weights:
            got, secs = [], 0.0
            for s in sources:
                arr = encode(leads[id(s)], bank.cfg)
                t0 = time.perf_counter()
                kw = {"voice_weight": w} if "voice_weight" in inspect.signature(retrieve).parameters else {}
                parts = retrieve(arr, bank, require=need, **kw)
                secs += time.perf_counter() - t0
                got.append(bar_line_steps(parts["bass"][0], arr.bar_starts))
            print(f"{target}: weight {w:g}: {stats(got)}, {secs / max(len(sources), 1) * 1000:.0f} ms/song", flush=True)


if __name__ == "__main__":
    main()
