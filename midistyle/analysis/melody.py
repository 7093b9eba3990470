"""The melody of one polyphonic track (a piano, or a whole band merged): a learned note picker.

Every note gets features of its onset cluster, register, loudness, rhythm, neighbourhood and
place in the song; gradient-boosted trees give each note a probability of being the melody; each
onset cluster keeps its most probable note when that probability passes the model's threshold.
The trees are data (``melody_picker.json``, fitted by ``benchmarks/melody_fit.py``; it records what
it was trained on), evaluated in numpy: no pickle, no scikit-learn at run time.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from ..errors import ModelError

MODEL_PATH = Path(__file__).with_name("melody_picker.json")
ONSET_TOL = 0.08  # quarters: notes starting this close are struck together (a human chord)
HELD = 0.25  # quarters: a note sounding this long past an onset is held over it, not a legato overlap

NOTE_FEATURES = (
    "pitch", "pitch - song median", "rank in cluster", "below cluster top", "gap to next lower",
    "cluster size", "below held notes", "velocity", "velocity - cluster max", "velocity - around",
    "velocity rank in song", "log2 duration", "log2 next onset", "log2 previous onset",
    "below top +-2", "below top +-8", "top percentile - pitch +-4", "clusters per quarter +-2",
    "notes +-2", "legato in", "legato out", "beat phase", "half-beat phase", "overhang",
    "same-velocity share +-4", "song position", "log2 quarters from start", "log2 quarters to end",
    "top velocity - song +-8", "notes +-8", "velocity - song top median", "top percentile - pitch +-16",
    "clusters per quarter +-16", "below sustained notes", "sustained velocity - velocity",
    "pitch - previous cluster top", "pitch - next cluster top", "nearest in previous cluster",
    "nearest in next cluster", "nearest two clusters back", "nearest same-loudness note before",
    "nearest same-loudness note after", "velocity rank in cluster", "log2 duration - tops' median +-4",
    "velocity - previous cluster top", "same-loudness notes near in pitch +-4")
"""What the picker sees of each note (windows in quarters; the fitted trees index this order)."""


def _windows(t: np.ndarray, q: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Index ranges ``[lo, hi)`` into the sorted ``t`` of values within ``half`` of each ``q``."""
    return np.searchsorted(t, q - half), np.searchsorted(t, q + half, side="right")


def _padded(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values[lo:hi]`` of each row as one padded matrix, and the mask of real entries."""
    width = int((hi - lo).max()) if lo.size else 0
    idx = lo[:, None] + np.arange(max(width, 1))[None, :]
    inside = idx < hi[:, None]
    return values[np.clip(idx, 0, max(values.size - 1, 0))] if values.size else np.zeros(idx.shape), inside


def _window_max(values, lo, hi) -> np.ndarray:
    got, inside = _padded(values, lo, hi)
    return np.max(np.where(inside, got, -np.inf), axis=1)


def _window_pct(values, lo, hi, q: float = 0.6) -> np.ndarray:
    """``q`` quantile of ``values[lo:hi]`` per row, as np.nanpercentile's linear method (whose
    per-row loop is 50x slower); NaN for an empty window."""
    got, inside = _padded(values, lo, hi)
    got = np.sort(np.where(inside, got, np.inf), axis=1)
    k = inside.sum(axis=1)
    pos = (np.maximum(k, 1) - 1) * q
    below = np.floor(pos).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(k - 1, 0))
    rows = np.arange(got.shape[0])
    a, b, t = got[rows, below], got[rows, above], pos - below
    diff = b - a
    # numpy's _lerp: from the nearer end, so that t = 0 and t = 1 give a and b exactly
    out = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return np.where(k > 0, out, np.nan)


def _near_pitch(values, lo, hi, p, loud=None, v=None) -> np.ndarray:
    """Smallest |values[lo:hi] - p| per row, capped at 24 (24 when the window is empty); with
    ``loud`` (velocities aligned with ``values``), only over notes within 4 of the row's ``v``."""
    got, inside = _padded(values, lo, hi)
    if loud is not None:
        inside = inside & (np.abs(_padded(loud, lo, hi)[0] - v[:, None]) <= 4.0)
    return np.minimum(np.min(np.where(inside, np.abs(got - p[:, None]), 24.0), axis=1), 24.0)


def _count_near(values, lo, hi, x, tol) -> np.ndarray:
    """How many of values[lo:hi] lie within ``tol`` of ``x`` per row."""
    got, inside = _padded(values, lo, hi)
    return np.sum(inside & (np.abs(got - x[:, None]) <= tol), axis=1).astype(float)


def note_features(start, end, pitch, velocity, clusters) -> np.ndarray:
    """Features ``[n, len(NOTE_FEATURES)]`` of notes sorted by onset cluster, highest first.

    ``clusters``: ``(a, b)`` index ranges of notes struck together (``roles.onset_clusters``).
    """
    n = start.size
    p, v = pitch.astype(float), velocity.astype(float)
    dur = np.maximum(end - start, 1 / 64)
    a_idx = np.array([a for a, _ in clusters])
    b_idx = np.array([b for _, b in clusters])
    cl = np.repeat(np.arange(len(clusters)), b_idx - a_idx)
    c_start = start[a_idx]
    rank = np.arange(n) - a_idx[cl]
    top = p[a_idx][cl]
    lower = np.append(p[1:], np.nan)
    gap = np.where(rank < (b_idx - a_idx)[cl] - 1, p - lower, 24.0)
    vmax = np.maximum.reduceat(v, a_idx)[cl]
    # the highest note struck earlier and still sounding at this onset (over 64 notes back)
    back = np.arange(1, 65)
    idx = a_idx[cl][:, None] - back[None, :]
    ok = idx >= 0
    idx = np.maximum(idx, 0)
    ringing = ok & (end[idx] > start[:, None] + ONSET_TOL)
    held = np.max(np.where(ringing, p[idx], -np.inf), axis=1)
    below_held = np.clip(np.where(np.isfinite(held), held - p, -24.0), -24, 24)
    # notes held well past this onset (not a legato overlap): their highest pitch and loudest velocity
    sustained = ok & (end[idx] > start[:, None] + HELD)
    below_sustained = np.clip(np.max(np.where(sustained, p[idx], -np.inf), axis=1) - p, -24, 24)
    louder_held = np.clip(np.max(np.where(sustained, v[idx], -np.inf), axis=1) - v, -64, 64)
    by_start = np.argsort(start, kind="stable")
    s_sorted, v_sorted, p_sorted = start[by_start], v[by_start], p[by_start]
    cv = np.concatenate([[0.0], np.cumsum(v_sorted)])
    lo2, hi2 = _windows(s_sorted, start, 2.0)
    around = (cv[hi2] - cv[lo2]) / np.maximum(hi2 - lo2, 1)
    top2 = _window_max(p_sorted, lo2, hi2)
    lo8, hi8 = _windows(s_sorted, start, 8.0)
    top8 = _window_max(p_sorted, lo8, hi8)
    ctop = p[a_idx]
    clo, chi = _windows(c_start, start, 4.0)
    top_pct = _window_pct(ctop, clo, chi)
    clo2, chi2 = _windows(c_start, start, 2.0)
    c_next = np.append(c_start[1:], c_start[-1] + 4.0)[cl]
    c_prev = np.concatenate([[c_start[0] - 4.0], c_start[:-1]])[cl]
    # legato: a note ending at this onset (or starting at this end) near in pitch
    by_end = np.argsort(end, kind="stable")
    e_sorted, pe_sorted = end[by_end], p[by_end]
    lo, hi = _windows(e_sorted, start, 0.1)
    leg_in = _near_pitch(pe_sorted, lo, hi, p)
    lo, hi = _windows(s_sorted, end, 0.1)
    leg_out = _near_pitch(p_sorted, lo, hi, p)
    vrank = np.argsort(np.argsort(v, kind="stable"), kind="stable") / max(n - 1, 1)
    lo4, hi4 = _windows(s_sorted, start, 4.0)
    same_v = _count_near(v_sorted, lo4, hi4, v, 3.0) / np.maximum(hi4 - lo4, 1)
    first, last = start.min(), end.max()
    # loudness of the top line over +-8 quarters against the song's: a lead phrase or a quiet intro
    ctv = np.concatenate([[0.0], np.cumsum(v[a_idx])])
    clo8, chi8 = _windows(c_start, start, 8.0)
    top_v = (ctv[chi8] - ctv[clo8]) / np.maximum(chi8 - clo8, 1) - np.median(v[a_idx])
    clo16, chi16 = _windows(c_start, start, 16.0)
    top16 = _window_pct(ctop, clo16, chi16)
    context = _line_context(start, end, p, v, a_idx, b_idx, cl)
    return np.concatenate([np.stack([
        p / 12, (p - np.median(p)) / 12, np.minimum(rank, 6), (top - p) / 12, np.minimum(gap, 24) / 12,
        np.minimum(b_idx - a_idx, 10)[cl], below_held / 12, v / 127, (v - vmax) / 20, (v - around) / 20,
        vrank, np.log2(dur), np.log2(np.maximum(c_next - start, 1 / 64)),
        np.log2(np.maximum(start - c_prev, 1 / 64)), (top2 - p) / 12, (top8 - p) / 12, (top_pct - p) / 12,
        (chi2 - clo2) / 4, (hi2 - lo2) / 16, leg_in / 12, leg_out / 12, np.mod(start, 1.0),
        np.mod(start, 0.5), np.log2(np.maximum(end - c_next, 1 / 64) + 1), same_v,
        (start - first) / max(last - first, 1e-9), np.log2(1 + start - first), np.log2(1 + last - start),
        top_v / 20, (hi8 - lo8) / 64, (v - np.median(v[a_idx])) / 20, (top16 - p) / 12,
        (chi16 - clo16) / 32, below_sustained / 12, louder_held / 20], axis=1), context], axis=1)


def _line_context(start, end, p, v, a_idx, b_idx, cl) -> np.ndarray:
    """Does the note continue a line: intervals to the neighbouring clusters' tops and nearest
    notes, to nearby notes of the same loudness (a line played by one hand or one track), its
    loudness rank in its cluster, its duration against the top line's around it."""
    n, nc = p.size, a_idx.size
    prev, nxt = np.maximum(cl - 1, 0), np.minimum(cl + 1, nc - 1)
    has_prev, has_next = cl > 0, cl < nc - 1
    ctop = p[a_idx]
    near_prev = np.where(has_prev, _near_pitch(p, a_idx[prev], b_idx[prev], p), 24.0)
    near_next = np.where(has_next, _near_pitch(p, a_idx[nxt], b_idx[nxt], p), 24.0)
    prev2 = np.maximum(cl - 2, 0)
    near_prev2 = np.where(cl > 1, _near_pitch(p, a_idx[prev2], b_idx[prev2], p), 24.0)
    # the same loudness within 3 clusters before / after
    loud_before = _near_pitch(p, a_idx[np.maximum(cl - 3, 0)], a_idx[cl], p, v, v)
    lo = b_idx[cl]
    loud_after = _near_pitch(p, lo, np.maximum(b_idx[np.minimum(cl + 3, nc - 1)], lo), p, v, v)
    key = np.lexsort((-v, cl))
    vrank = np.empty(n)
    vrank[key] = np.arange(n) - a_idx[cl[key]]
    dur = np.log2(np.maximum(end - start, 1 / 64))
    clo, chi = _windows(start[a_idx], start, 4.0)
    by_start = np.argsort(start, kind="stable")
    lo4, hi4 = _windows(start[by_start], start, 4.0)
    pitches, inside = _padded(p[by_start], lo4, hi4)
    loud = _padded(v[by_start], lo4, hi4)[0]
    same = np.sum(inside & (np.abs(loud - v[:, None]) <= 3) & (np.abs(pitches - p[:, None]) <= 7), axis=1)
    return np.stack([
        np.where(has_prev, p - ctop[prev], 0.0) / 12, np.where(has_next, p - ctop[nxt], 0.0) / 12,
        near_prev / 12, near_next / 12, near_prev2 / 12, loud_before / 12, loud_after / 12,
        np.minimum(vrank, 6), dur - _window_pct(dur[a_idx], clo, chi, 0.5),
        np.where(has_prev, v - v[a_idx][prev], 0.0) / 20, same / np.maximum(hi4 - lo4, 1)], axis=1)


class TreeEnsemble:
    """Gradient-boosted regression trees (scikit-learn's HistGradientBoosting layout) in numpy.

    ``trees``: list of dicts of equal-length node lists ``feature``, ``threshold``, ``left``,
    ``right``, ``missing_left``, ``leaf`` (bool), ``value``. ``raw(x)`` is the log-odds.
    """

    def __init__(self, trees: list[dict], baseline: float):
        if not trees:
            raise ValueError("no trees")
        sizes = [len(t["value"]) for t in trees]
        self.roots = np.cumsum([0, *sizes[:-1]])
        offset = np.repeat(self.roots, sizes)

        def cat(field, dtype):
            return np.concatenate([np.asarray(t[field], dtype) for t in trees])

        # all trees in flat arrays of global node ids; a leaf is its own child, so every row can
        # take the same number of steps
        leaf, own = cat("leaf", bool), np.arange(offset.size)
        self.feature, self.threshold = cat("feature", np.int64), cat("threshold", np.float64)
        self.missing_left = cat("missing_left", bool)
        self.left = np.where(leaf, own, cat("left", np.int64) + offset)
        self.right = np.where(leaf, own, cat("right", np.int64) + offset)
        self.value = np.where(leaf, cat("value", np.float64), 0.0)
        self.baseline, self.n_trees = float(baseline), len(trees)
        # depth: levels of split nodes (only those: a leaf's self-loops would double the frontier per level)
        self.depth, frontier = 0, self.roots[~leaf[self.roots]]
        while frontier.size:
            frontier = np.concatenate([self.left[frontier], self.right[frontier]])
            frontier = frontier[~leaf[frontier]]
            self.depth += 1

    def raw(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, np.float64)
        flat, base = x.ravel(), (np.arange(x.shape[0]) * x.shape[1])[:, None]
        node = np.repeat(self.roots[None, :], x.shape[0], axis=0)
        for _ in range(self.depth):
            val = flat[base + self.feature[node]]
            go_left = val <= self.threshold[node]
            missing = np.isnan(val)
            if missing.any():
                go_left = np.where(missing, self.missing_left[node], go_left)
            node = np.where(go_left, self.left[node], self.right[node])
        return self.baseline + self.value[node].sum(axis=1)

    def prob(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw(x)))


def export_trees(model) -> dict:
    """``{"baseline", "trees"}`` of a fitted binary scikit-learn HistGradientBoostingClassifier, as
    plain lists in ``TreeEnsemble``'s layout (full float precision: a rounded threshold moves
    the notes that sit on it)."""
    trees = []
    for (pred,) in model._predictors:
        nodes = pred.nodes
        trees.append({"feature": nodes["feature_idx"].tolist(), "threshold": nodes["num_threshold"].tolist(),
                      "left": nodes["left"].tolist(), "right": nodes["right"].tolist(),
                      "missing_left": nodes["missing_go_to_left"].astype(int).tolist(),
                      "leaf": nodes["is_leaf"].astype(int).tolist(), "value": nodes["value"].tolist()})
    return {"baseline": float(np.ravel(model._baseline_prediction)[0]), "trees": trees}


def load_picker(path: str | Path = MODEL_PATH) -> tuple[TreeEnsemble, float]:
    """The stored picker: (trees, threshold), parsed once per process for each file."""
    return _load_picker(Path(path))


@functools.lru_cache(maxsize=4)
def _load_picker(path: Path) -> tuple[TreeEnsemble, float]:
    try:
        doc = json.loads(path.read_text())
        if doc["features"] != list(NOTE_FEATURES):
            raise ValueError("its features are not this code's")
        return TreeEnsemble(doc["trees"], doc["baseline"]), float(doc["threshold"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(path, f"melody picker unreadable: {err}") from err


def pick_melody(start, end, pitch, velocity, clusters, path: str | Path = MODEL_PATH) -> np.ndarray:
    """Indices of the melody notes (sorted by onset cluster, highest first): each cluster's most
    probable note, when over the threshold."""
    if start.size == 0:
        return np.zeros(0, np.int64)
    trees, threshold = load_picker(path)
    return decode(trees.prob(note_features(start, end, pitch, velocity, clusters)), clusters, threshold)


def decode(prob: np.ndarray, clusters, threshold: float) -> np.ndarray:
    """Each cluster's most probable note whose probability is at least ``threshold``."""
    a_idx = np.array([a for a, _ in clusters])
    size = np.array([b - a for a, b in clusters])
    cl = np.repeat(np.arange(len(clusters)), size)
    key = np.lexsort((-prob, cl))
    best = key[np.searchsorted(cl[key], np.arange(len(clusters)))]
    return np.sort(best[prob[best] >= threshold])
