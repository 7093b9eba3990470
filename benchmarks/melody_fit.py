"""Fit the melody picker of midistyle.analysis.melody on POP909 songs 001-100 and half of 101-909.

Training songs (``TRAIN``, recorded in the JSON; ``benchmarks/leadsheet.py`` never scores the
melody of these): 001-100, and of 101-909 those whose number is 0 or 1 modulo 4 (a spread over the
collection: its later songs are harder, so the 001-100 alone fitted a picker that lost 0.05 F1 there).

All tracks of each song are merged into one; every note gets ``NOTE_FEATURES`` and a label
(it is a MELODY note, or the same pitch struck within 50 ms of one); gradient-boosted trees learn
the labels, from the whole songs and from excerpts of them. The decision threshold maximises the
mean per-song note F1 (exact notes) of out-of-fold probabilities (``--folds`` folds by song), or
is given (``--threshold``, from such a run); the shipped trees are then fitted on all training songs.
Writes midistyle/analysis/melody_picker.json (trees, threshold, what it was trained on). As shipped
(0.35: the 2-fold out-of-fold threshold of 100 trees of 31 leaves on the same songs, F1 0.802; the
out-of-fold fits of the larger forest were skipped for time, ~20 min on 2 shared cores):

    PYTHONPATH=$PWD nice -n 10 python benchmarks/melody_fit.py --threshold 0.35
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from datetime import datetime, timezone

import numpy as np

from benchmarks.leadsheet import POP909, merged_track
from midistyle.analysis.melody import MODEL_PATH, NOTE_FEATURES, decode, export_trees, note_features
from midistyle.analysis.roles import onset_clusters
from midistyle.atomic import write_text
from midistyle.representation import read

TRAIN = [*range(1, 101), *(k for k in range(101, 910) if k % 4 in (0, 1))]
CROPS = 4  # excerpts per training song added to the training rows (not to the F1 that sets the threshold)


def song_data(k: int) -> dict:
    """Merged notes of song ``k`` in cluster order, features, labels, number of MELODY notes."""
    song = read(POP909 / f"{k:03d}" / f"{k:03d}.mid")
    src = np.concatenate([np.full(t.n_notes, t.name.upper().startswith("MELODY")) for t in song.pitched])
    m = merged_track(song)
    order, clusters = onset_clusters(m)
    start, end, pitch, vel = m.start[order], m.end[order], m.pitch[order].astype(int), m.velocity[order]
    src = src[order]
    sec = song.seconds(start)
    y = src.copy()
    for i in np.where(~src)[0]:  # a doubling of a melody note counts as the melody (mir_eval would)
        y[i] = bool(np.any(src & (pitch == pitch[i]) & (np.abs(sec - sec[i]) <= 0.05)))
    x = note_features(start, end, pitch, vel, clusters)
    return {"k": k, "start": start, "end": end, "vel": vel, "src": src, "pitch": pitch, "clusters": clusters,
            "x": x, "y": y, "n_ref": int(src.sum())}


def crops(d: dict, rng, n: int = CROPS) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) of ``n`` random excerpts of 16-64 quarters of a song, read as pieces of
    their own: so that the start and end of a short input are not taken for a song's intro/outro."""
    from midistyle.representation.song import Track

    out = []
    for _ in range(n):
        length = rng.uniform(16, 64)
        a = rng.uniform(d["start"].min(), max(d["start"].max() - length, d["start"].min() + 1e-9))
        keep = np.where((d["start"] >= a) & (d["start"] < a + length))[0]
        if keep.size < 8:
            continue
        t = Track("crop", 0, False, d["start"][keep], d["end"][keep], d["pitch"][keep], d["vel"][keep])
        order, clusters = onset_clusters(t)
        x = note_features(t.start[order], t.end[order], t.pitch[order].astype(int), t.velocity[order], clusters)
        out.append((x, d["y"][keep][order]))
    return out


def song_f1(prob, d, threshold) -> float:
    chosen = decode(prob, d["clusters"], threshold)
    tp = int(d["y"][chosen].sum())
    return 2 * tp / max(chosen.size + d["n_ref"], 1)


def fit(x, y, args):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=args.trees, learning_rate=args.lr, max_leaf_nodes=args.leaves,
                                          min_samples_leaf=40, l2_regularization=1.0, early_stopping=False,
                                          random_state=0).fit(x, y)


def rows(data: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Training rows: every note of the songs and of their excerpts."""
    xs = [d["x"] for d in data] + [x for d in data for x, _ in d["crops"]]
    ys = [d["y"] for d in data] + [y for d in data for _, y in d["crops"]]
    return np.concatenate(xs), np.concatenate(ys)


def out_of_fold(data, args, folds=3) -> list[np.ndarray]:
    """Probabilities of each song's notes from trees fitted on the other folds' songs."""
    out = [None] * len(data)
    fold = np.arange(len(data)) % folds
    for f in range(folds):
        tr = [i for i in range(len(data)) if fold[i] != f]
        model = fit(*rows([data[i] for i in tr]), args)
        for i in np.where(fold == f)[0]:
            out[i] = model.predict_proba(data[i]["x"])[:, 1]
    return out


def main() -> None:
    import sklearn

    ap = argparse.ArgumentParser()
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--lr", type=float, default=0.15)
    ap.add_argument("--leaves", type=int, default=63)
    ap.add_argument("--folds", type=int, default=2, help="song folds for the out-of-fold threshold")
    ap.add_argument("--threshold", type=float, help="use this threshold (from an earlier out-of-fold run on "
                    "the same songs) and skip the out-of-fold fits")
    ap.add_argument("--dry", action="store_true", help="report the cross-validated F1, write nothing")
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = [song_data(k) for k in TRAIN]
    rng = np.random.default_rng(0)
    for d in data:
        d["crops"] = crops(d, rng)
    print(f"{sum(d['x'].shape[0] for d in data)} notes, {time.perf_counter() - t0:.0f} s", flush=True)
    if args.threshold is None:
        prob = out_of_fold(data, args, args.folds)
        grid = np.arange(0.15, 0.61, 0.025)
        f1 = [float(np.mean([song_f1(p, d, t) for p, d in zip(prob, data)])) for t in grid]
        best = int(np.argmax(f1))
        threshold, cv = round(float(grid[best]), 3), round(f1[best], 4)
        print(f"out-of-fold mean song F1 {cv:.3f} at threshold {threshold:.3f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    else:
        threshold, cv = args.threshold, None
    if args.dry:
        return
    model = fit(*rows(data), args)
    doc = {"version": 1, "features": list(NOTE_FEATURES), "threshold": threshold,
           "trained_on": {"data": "POP909 songs 001-100 and those of 101-909 that are 0 or 1 modulo 4, "
                                  "all tracks merged into one; labels: the MELODY track "
                                  "(and doublings of its notes within 50 ms); "
                                  f"plus {CROPS} excerpts of 16-64 quarters per song, read as pieces of their own",
                          "songs": list(TRAIN), "notes": int(sum(d["x"].shape[0] for d in data)),
                          "model": f"sklearn HistGradientBoostingClassifier {sklearn.__version__} "
                                   f"(max_iter={args.trees}, learning_rate={args.lr}, max_leaf_nodes={args.leaves}, "
                                   "min_samples_leaf=40, l2_regularization=1.0)",
                          "cv_mean_song_f1": cv, "threshold_from": "out-of-fold F1 of these songs" if cv else
                          "--threshold (an earlier out-of-fold run on these songs)", "script": "benchmarks/melody_fit.py",
                          "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")},
           **export_trees(model)}
    write_text(MODEL_PATH, json.dumps(doc, separators=(",", ":")))
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main()
