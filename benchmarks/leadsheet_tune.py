"""Tune the chord weights (midistyle.analysis.chords.ChordWeights) on POP909 songs 001-100.

Coordinate search, mean of mir_eval root and majmin (duration-weighted) over the training songs;
benchmarks/leadsheet.py scores other songs (101-909). Prints the best weights.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/leadsheet_tune.py --songs 40
"""
from __future__ import annotations

import argparse
import dataclasses
import warnings

import numpy as np

from benchmarks.leadsheet import POP909, reference_chords, score_chords
from midistyle.analysis.chords import (ChordWeights, chord_scores, estimate_key, merge, relabel, segment_chroma,
                                       smooth, viterbi)
from midistyle.representation import read


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=40)
    ap.add_argument("--sweeps", type=int, default=2)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    ids = sorted(rng.choice(np.arange(1, 101), args.songs, replace=False).tolist())
    cache = []
    for k in ids:
        song = read(POP909 / f"{k:03d}" / f"{k:03d}.mid")
        edges, chroma, bass = segment_chroma(song)
        cache.append((song, edges, chroma, bass, estimate_key(chroma), reference_chords(k)))

    def objective(w: ChordWeights) -> float:
        out = []
        for song, edges, chroma, bass, key, ref in cache:
            labels, scores = chord_scores(smooth(chroma, w.context), smooth(bass, w.context), key, w)
            path = viterbi(scores, chroma.sum(axis=1) < 1e-9, w.change)
            chords = merge(relabel(path, chroma, bass, key, w), edges, labels)
            s = score_chords(song, chords, ref)
            out.append(s["root"] + s["majmin"])
        return float(np.mean(out)) / 2

    best = ChordWeights()
    best_score = objective(best)
    print(f"start {best_score:.4f}", flush=True)
    steps = {"bass_root": 0.05, "bass_tone": 0.04, "in_key": 0.03, "change": 0.1, "context": 0.1, "explained": 0.1, "missing": 0.1}
    for sweep in range(args.sweeps):
        for field, step in steps.items():
            for sign in (1, -1):
                while True:
                    cand = dataclasses.replace(best, **{field: max(getattr(best, field) + sign * step, 0.0)})
                    s = objective(cand)
                    if s <= best_score + 1e-4:
                        break
                    best, best_score = cand, s
                    print(f"{field}={getattr(best, field):.3f} {best_score:.4f}", flush=True)
        for i, (q, v) in enumerate(best.prior):
            for sign in (1, -1):
                while True:
                    prior = list(best.prior)
                    prior[i] = (q, round(v + sign * 0.03, 3))
                    cand = dataclasses.replace(best, prior=tuple(prior))
                    s = objective(cand)
                    if s <= best_score + 1e-4:
                        break
                    best, best_score, v = cand, s, prior[i][1]
                    print(f"prior {q}={v:.3f} {best_score:.4f}", flush=True)
        print(f"sweep {sweep}: {best_score:.4f} {best}", flush=True)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main()
