"""Fit the top-line filter of midistyle.analysis.roles (TOP_LINE_WEIGHTS) on POP909 001-100.

All tracks of each song are merged into one, the skyline candidates get their features, and a
logistic regression learns which belong to the MELODY track; the bias is then moved to the
best mean per-song note F1 (exact notes) on the same songs. Prints the weights to paste.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/melody_fit.py
"""
from __future__ import annotations

import warnings

import numpy as np

from benchmarks.leadsheet import POP909, merged_track
from midistyle.analysis.roles import TOP_LINE_FEATURES, onset_clusters, skyline, top_line_features
from midistyle.representation import read


def song_data(k: int):
    song = read(POP909 / f"{k:03d}" / f"{k:03d}.mid")
    src = np.concatenate([np.full(t.n_notes, t.name.upper().startswith("MELODY")) for t in song.pitched])
    m = merged_track(song)
    order, clusters = onset_clusters(m)
    start, end, pitch = m.start[order], m.end[order], m.pitch[order].astype(int)
    mel = skyline(start, end, pitch, clusters)
    x = top_line_features(start, end, pitch, m.velocity[order].astype(float), mel, clusters)
    return x, src[order][mel], int(src.sum())


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    data = [song_data(k) for k in range(1, 101)]
    x = np.concatenate([d[0] for d in data])
    y = np.concatenate([d[1] for d in data])
    model = LogisticRegression(C=1.0, max_iter=2000, fit_intercept=False).fit(x, y)
    w = model.coef_[0].copy()

    def mean_f1(weights):
        out = []
        for xs, ys, n_ref in data:
            keep = xs @ weights >= 0
            tp = float((keep & ys).sum())
            out.append(2 * tp / max(keep.sum() + n_ref, 1))
        return float(np.mean(out))

    plain = mean_f1(np.eye(len(w))[0])  # keep every skyline note
    rule = mean_f1(np.r_[7 / 12, -1.0, np.zeros(len(w) - 2)])  # hand rule: at most 7 semitones below
    print(f"hand rule (drop notes over 7 semitones below the local register): F1 {rule:.3f}")
    best = max((mean_f1(w + np.eye(len(w))[0] * b), b) for b in np.arange(-1.5, 1.51, 0.1))
    w[0] += best[1]
    print(f"skyline with continuity: F1 {plain:.3f}; filtered: F1 {best[0]:.3f} (bias shift {best[1]:+.1f})")
    for name, value in zip(TOP_LINE_FEATURES, w):
        print(f"  {name:>22}: {value:+.3f}")
    print("TOP_LINE_WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main()
