"""Objective metrics on piano rolls: musicality, content kept by a transfer, classifier-based strength.

Pure NumPy. Every roll function takes plain arrays so it works on any source of rolls:

- ``onset``, ``sustain``: bool arrays ``[T, P]`` for one track or ``[n_tracks, T, P]`` for several.
  Column ``j`` is MIDI pitch ``cfg.low_pitch + j``. A note starts where ``onset`` is True (or where a
  run of ``sustain`` begins without one) and sounds while ``sustain`` is True.
  Bool arrays are used as they are; float arrays (model outputs) count as on above 0.5.
- ``bar_starts``: int array ``[n_bars + 1]`` of step indices, ``bar_starts[0] == 0``, last ``== T``.

Note-based metrics count one event per note (per track). Step-based metrics use the sounding roll
merged over tracks (a pitch is on if any track plays it), as MusPy does. Metrics that are undefined
(no notes, fewer than two bars, ...) return NaN.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..config import RollConfig

# C major and C natural minor as pitch-class masks; other keys are rotations (as in MusPy).
_MAJOR = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], bool)
_MINOR = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0], bool)
_SCALES = np.stack([np.roll(m, root) for m in (_MAJOR, _MINOR) for root in range(12)])  # [24, 12]

MUSICALITY_KEYS = (
    "pitch_class_entropy", "scale_consistency", "polyphony", "polyphony_rate",
    "empty_beat_rate", "groove_consistency",
)
CONTENT_KEYS = (
    "pitch_class_overlap", "onset_precision", "onset_recall", "onset_f1",
    "chroma_similarity", "note_count_ratio",
)
# metrics that are rates or similarities in 0-1 (pictures keep their axes and error bars there)
UNIT_KEYS = frozenset({"scale_consistency", "polyphony_rate", "empty_beat_rate", "groove_consistency",
                       "pitch_class_overlap", "onset_precision", "onset_recall", "onset_f1", "chroma_similarity"})


# --------------------------------------------------------------------------- roll helpers
def as_tracks(a: np.ndarray, name: str = "roll") -> np.ndarray:
    """``a`` as bool ``[n_tracks, T, P]`` (a ``[T, P]`` roll is one track; floats are on above 0.5)."""
    a = np.asarray(a)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"{name} must be [T, P] or [n_tracks, T, P], got shape {a.shape}")
    return a > 0.5 if np.issubdtype(a.dtype, np.floating) else a.astype(bool, copy=False)


def _roll(onset: np.ndarray, sustain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(note starts, sounding), both bool [n_tracks, T, P]."""
    on, sus = as_tracks(onset, "onset"), as_tracks(sustain, "sustain")
    if on.shape != sus.shape:
        raise ValueError(f"onset {on.shape} and sustain {sus.shape} differ in shape")
    sounding = on | sus
    prev = np.zeros_like(sounding)
    prev[:, 1:] = sounding[:, :-1]
    return on | (sounding & ~prev), sounding


def check_bar_starts(bar_starts: Sequence[int], n_steps: int) -> np.ndarray:
    """``bar_starts`` as int64 with empty bars dropped; ValueError unless it rises from 0 to ``n_steps``.

    Rounding a very short bar onto the grid can give it zero steps; such bars are dropped.
    """
    b = np.asarray(bar_starts, dtype=np.int64)
    if b.ndim != 1 or len(b) < 2 or b[0] != 0 or b[-1] != n_steps or np.any(np.diff(b) < 0):
        raise ValueError(f"bar_starts must rise from 0 to T={n_steps}, got {b.tolist()[:8]}...")
    return np.concatenate([b[:1], b[1:][np.diff(b) > 0]])


def note_array(onset: np.ndarray, sustain: np.ndarray) -> np.ndarray:
    """All notes of a roll as an int array ``[N, 4]`` of (track, start, end, pitch column).

    A note runs from its start to the next start on the same pitch or the end of its sustain
    (exclusive), whichever comes first; rows are sorted by track, pitch, start.
    """
    starts, sounding = _roll(onset, sustain)
    n, t, p = starts.shape
    # One boundary per (track, pitch) row of the time axis: a new note or silence ends the note.
    bound = np.ones((n, p, t + 1), bool)
    bound[:, :, :t] = starts.transpose(0, 2, 1) | ~sounding.transpose(0, 2, 1)
    start_flat = np.flatnonzero(np.concatenate([starts.transpose(0, 2, 1), np.zeros((n, p, 1), bool)], 2))
    bound_flat = np.flatnonzero(bound)
    end_flat = bound_flat[np.searchsorted(bound_flat, start_flat, side="right")]
    track, pitch, start = np.unravel_index(start_flat, (n, p, t + 1))
    return np.stack([track, start, start + end_flat - start_flat, pitch], 1).astype(np.int64)


def beat_bounds(cfg: RollConfig, bar_starts: Sequence[int]) -> np.ndarray:
    """Beat boundaries ``[n_beats + 1]``: every ``cfg.steps_per_beat`` steps from each bar start.

    A bar whose length is not a whole number of beats ends in a shorter beat.
    """
    b = np.asarray(bar_starts, dtype=np.int64)
    inner = [np.arange(s, e, cfg.steps_per_beat) for s, e in zip(b[:-1], b[1:])]
    return np.concatenate(inner + [b[-1:]])


def _pitch_classes(starts: np.ndarray, cfg: RollConfig) -> np.ndarray:
    """Per-note pitch class, one entry per note start."""
    return (np.nonzero(starts)[2] + cfg.low_pitch) % 12


def pitch_class_histogram(onset: np.ndarray, sustain: np.ndarray, cfg: RollConfig) -> np.ndarray:
    """Note counts per pitch class (MIDI pitch % 12, C = 0), float ``[12]``."""
    starts, _ = _roll(onset, sustain)
    return np.bincount(_pitch_classes(starts, cfg), minlength=12).astype(float)


def _chroma_steps(sounding: np.ndarray, cfg: RollConfig) -> np.ndarray:
    """Sounding pitches folded to pitch classes per step, float [T, 12] (tracks merged)."""
    merged = sounding.any(0).astype(float)
    fold = np.zeros((merged.shape[1], 12))
    fold[np.arange(merged.shape[1]), (np.arange(merged.shape[1]) + cfg.low_pitch) % 12] = 1.0
    return merged @ fold


# --------------------------------------------------------------------------- musicality (MusPy)
def pitch_class_entropy(onset: np.ndarray, sustain: np.ndarray, cfg: RollConfig) -> float:
    """Shannon entropy (bits) of the normalised note pitch-class histogram; NaN without notes."""
    hist = pitch_class_histogram(onset, sustain, cfg)
    if hist.sum() < 1:
        return float("nan")
    prob = hist[hist > 0] / hist.sum()
    return float(-(prob * np.log2(prob)).sum())


def scale_consistency(onset: np.ndarray, sustain: np.ndarray, cfg: RollConfig) -> float:
    """Largest share of notes inside one major or natural-minor scale (24 scales); NaN without notes."""
    hist = pitch_class_histogram(onset, sustain, cfg)
    if hist.sum() < 1:
        return float("nan")
    return float((_SCALES @ hist).max() / hist.sum())


def polyphony(onset: np.ndarray, sustain: np.ndarray) -> float:
    """Mean number of sounding pitches over the steps where at least one sounds; NaN if none does."""
    _, sounding = _roll(onset, sustain)
    count = sounding.any(0).sum(1)
    return float(count.sum() / np.count_nonzero(count)) if count.any() else float("nan")


def polyphony_rate(onset: np.ndarray, sustain: np.ndarray, threshold: int = 2) -> float:
    """Share of all ``T`` steps with more than ``threshold`` pitches sounding (MusPy: strictly more)."""
    _, sounding = _roll(onset, sustain)
    count = sounding.any(0).sum(1)
    return float(np.count_nonzero(count > threshold) / len(count)) if len(count) else float("nan")


def empty_beat_rate(onset: np.ndarray, sustain: np.ndarray, cfg: RollConfig, bar_starts: Sequence[int]) -> float:
    """Share of beats (see :func:`beat_bounds`) in which no note sounds; NaN for an empty grid."""
    _, sounding = _roll(onset, sustain)
    bounds = beat_bounds(cfg, check_bar_starts(bar_starts, sounding.shape[1]))
    if len(bounds) < 2:
        return float("nan")
    active = sounding.any((0, 2))
    beat_active = np.logical_or.reduceat(active, bounds[:-1])
    return float(1.0 - beat_active.mean())


def groove_consistency(onset: np.ndarray, sustain: np.ndarray, bar_starts: Sequence[int]) -> float:
    """1 - mean over neighbouring bars of Hamming(onset patterns) / bar length; NaN under two bars.

    A bar's pattern marks the steps where any note starts. Bars of different lengths are
    compared over the longer one (the shorter is padded with no-onset steps) and the distance
    is divided by that longer length; with a constant meter this is MusPy's definition.
    """
    starts, _ = _roll(onset, sustain)
    bars = check_bar_starts(bar_starts, starts.shape[1])
    if len(bars) < 3:
        return float("nan")
    hits = starts.any((0, 2))
    longest = int(np.diff(bars).max())
    patterns = np.zeros((len(bars) - 1, longest), bool)
    for i, (s, e) in enumerate(zip(bars[:-1], bars[1:])):
        patterns[i, : e - s] = hits[s:e]
    lengths = np.diff(bars)
    pair_len = np.maximum(lengths[:-1], lengths[1:])
    dist = (patterns[:-1] != patterns[1:]).sum(1)
    return float(1.0 - (dist / pair_len).mean())


def musicality(onset: np.ndarray, sustain: np.ndarray, cfg: RollConfig, bar_starts: Sequence[int]) -> dict:
    """All musicality metrics of one roll, keyed as in :data:`MUSICALITY_KEYS`, plus ``n_notes``."""
    starts, _ = _roll(onset, sustain)
    return {
        "pitch_class_entropy": pitch_class_entropy(onset, sustain, cfg),
        "scale_consistency": scale_consistency(onset, sustain, cfg),
        "polyphony": polyphony(onset, sustain),
        "polyphony_rate": polyphony_rate(onset, sustain),
        "empty_beat_rate": empty_beat_rate(onset, sustain, cfg, bar_starts),
        "groove_consistency": groove_consistency(onset, sustain, bar_starts),
        "n_notes": int(starts.sum()),
    }


# --------------------------------------------------------------------------- content kept
def _same_grid(src: np.ndarray, out: np.ndarray) -> None:
    if src.shape[1:] != out.shape[1:]:
        raise ValueError(f"source grid {src.shape[1:]} and output grid {out.shape[1:]} differ")


def pitch_class_overlap(src_onset, src_sustain, out_onset, out_sustain, cfg: RollConfig) -> float:
    """Sum over the 12 pitch classes of min(source share, output share) of notes, in [0, 1].

    NaN when neither roll has notes; 0 when only one has.
    """
    a = pitch_class_histogram(src_onset, src_sustain, cfg)
    b = pitch_class_histogram(out_onset, out_sustain, cfg)
    if a.sum() < 1 and b.sum() < 1:
        return float("nan")
    if a.sum() < 1 or b.sum() < 1:
        return 0.0
    return float(np.minimum(a / a.sum(), b / b.sum()).sum())


def match_count(src: np.ndarray, out: np.ndarray, tolerance: float, strict: bool = False) -> int:
    """Largest one-to-one matching of two sorted 1-D time lists within ``tolerance`` (steps or any
    unit; ``strict``: closer than ``tolerance``, not at it).

    On a line, walking both lists and pairing whenever the heads are close enough is optimal:
    the earlier head that cannot match its counterpart cannot match anything later either.
    """
    i = j = matched = 0
    while i < len(src) and j < len(out):
        gap = abs(float(src[i]) - float(out[j]))
        if gap < tolerance or (gap == tolerance and not strict):
            matched, i, j = matched + 1, i + 1, j + 1
        elif src[i] < out[j]:
            i += 1
        else:
            j += 1
    return matched


def onset_match(src_onset, src_sustain, out_onset, out_sustain, cfg: RollConfig,
                tolerance: int = 1) -> tuple[float, float, float]:
    """Precision, recall and F1 of output note onsets against source note onsets.

    Notes pair one-to-one when their pitch classes are equal and their starts lie within
    ``tolerance`` steps; precision = matched / output notes, recall = matched / source notes.
    Undefined parts (no notes on a side) are NaN; F1 is 0 if exactly one side is empty.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    s_starts, _ = _roll(src_onset, src_sustain)
    o_starts, _ = _roll(out_onset, out_sustain)
    _same_grid(s_starts, o_starts)
    _, s_t, s_p = np.nonzero(s_starts)
    _, o_t, o_p = np.nonzero(o_starts)
    s_pc, o_pc = (s_p + cfg.low_pitch) % 12, (o_p + cfg.low_pitch) % 12
    matched = sum(match_count(np.sort(s_t[s_pc == pc]), np.sort(o_t[o_pc == pc]), tolerance) for pc in range(12))
    n_src, n_out = len(s_t), len(o_t)
    precision = matched / n_out if n_out else float("nan")
    recall = matched / n_src if n_src else float("nan")
    f1 = 2 * matched / (n_src + n_out) if n_src + n_out else float("nan")
    return float(precision), float(recall), float(f1)


def chroma_similarity(src_onset, src_sustain, out_onset, out_sustain, cfg: RollConfig,
                      bar_starts: Sequence[int]) -> float:
    """Mean cosine similarity of per-beat chroma vectors (sounding steps per pitch class).

    Beats silent in both rolls are skipped; a beat silent in only one counts 0. NaN if all
    beats are silent in both.
    """
    _, s_sound = _roll(src_onset, src_sustain)
    _, o_sound = _roll(out_onset, out_sustain)
    _same_grid(s_sound, o_sound)
    starts = beat_bounds(cfg, check_bar_starts(bar_starts, s_sound.shape[1]))[:-1]
    a = np.add.reduceat(_chroma_steps(s_sound, cfg), starts, axis=0)
    b = np.add.reduceat(_chroma_steps(o_sound, cfg), starts, axis=0)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    keep = (na > 0) | (nb > 0)
    if not keep.any():
        return float("nan")
    denom = np.where(na * nb > 0, na * nb, 1.0)
    cos = (a * b).sum(1) / denom
    return float(cos[keep].mean())


def note_count_ratio(src_onset, src_sustain, out_onset, out_sustain) -> float:
    """Output notes / source notes; NaN if the source has none."""
    n_src = int(_roll(src_onset, src_sustain)[0].sum())
    n_out = int(_roll(out_onset, out_sustain)[0].sum())
    return n_out / n_src if n_src else float("nan")


def content(src_onset, src_sustain, out_onset, out_sustain, cfg: RollConfig, bar_starts: Sequence[int],
            *, tolerance: int = 1) -> dict:
    """All content metrics between a source roll and its transfer, keyed as in :data:`CONTENT_KEYS`."""
    src, out = (src_onset, src_sustain), (out_onset, out_sustain)
    precision, recall, f1 = onset_match(*src, *out, cfg, tolerance)
    return {
        "pitch_class_overlap": pitch_class_overlap(*src, *out, cfg),
        "onset_precision": precision,
        "onset_recall": recall,
        "onset_f1": f1,
        "chroma_similarity": chroma_similarity(*src, *out, cfg, bar_starts),
        "note_count_ratio": note_count_ratio(*src, *out),
    }


# --------------------------------------------------------------------------- classifier strength
def transfer_strength(p_a_source, p_a_transfer, p_a_cycle) -> float:
    """Brunner et al. (2018) strength of a transfer A -> B, averaged over samples.

    S = 1/2 [(P_A(x_A) - P_A(x^_B)) + (P_A(x~_A) - P_A(x^_B))], with P_A the classifier's
    probability of domain A for the source ``x_A``, its transfer ``x^_B`` and its cycle
    reconstruction ``x~_A``. For B -> A pass the probabilities of domain B.
    """
    src, tr, cyc = (np.asarray(p, float) for p in (p_a_source, p_a_transfer, p_a_cycle))
    if not src.shape == tr.shape == cyc.shape:
        raise ValueError(f"probability shapes differ: {src.shape}, {tr.shape}, {cyc.shape}")
    return float(np.mean(0.5 * ((src - tr) + (cyc - tr))))


def target_rate(probs, target_idx: int) -> float:
    """Share of samples classified as ``target_idx``.

    ``probs`` is ``[N, n_classes]`` (argmax decides) or ``[N]`` probabilities of the target
    (above 0.5 counts).
    """
    p = np.asarray(probs, float)
    if p.ndim == 1:
        hit = p > 0.5
    elif p.ndim == 2:
        if not 0 <= target_idx < p.shape[1]:
            raise ValueError(f"target_idx {target_idx} outside 0..{p.shape[1] - 1}")
        hit = p.argmax(1) == target_idx
    else:
        raise ValueError(f"probs must be [N] or [N, n_classes], got shape {p.shape}")
    return float(hit.mean()) if len(hit) else float("nan")


def mean_gain(p_before, p_after) -> float:
    """Mean of ``p_after - p_before`` (e.g. P(target) after minus before the transfer)."""
    a, b = np.asarray(p_before, float), np.asarray(p_after, float)
    if a.shape != b.shape:
        raise ValueError(f"p_before {a.shape} and p_after {b.shape} differ in shape")
    return float(np.mean(b - a)) if a.size else float("nan")


# --------------------------------------------------------------------------- summaries
def mean_metrics(rows: Sequence[Mapping[str, float]]) -> dict:
    """Per-key mean over songs, ignoring NaN (NaN where every song is NaN)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    out = {}
    for k in keys:
        vals = np.array([row.get(k, np.nan) for row in rows], float)
        out[k] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
    return out


def metrics_table(groups: Mapping[str, Mapping[str, float]], keys: Sequence[str] | None = None) -> str:
    """A Markdown table: one row per metric, one column per group (e.g. sources / outputs / target)."""
    keys = list(keys) if keys is not None else list(dict.fromkeys(k for g in groups.values() for k in g))
    lines = ["| metric | " + " | ".join(groups) + " |", "|---" * (len(groups) + 1) + "|"]
    for k in keys:
        cells = [f"{float(g.get(k, np.nan)):.3f}" for g in groups.values()]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
