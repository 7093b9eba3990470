"""Texture learned from a genre's songs, and played on new parts: articulation, voicing size, and
whether a role plays in bars the melody leaves empty. Numpy only.

- ``fill``: how much of the gap to its next onset a role's note sounds (median over its notes,
  capped at 1: 1 is legato, a fiddle tune; 0.5 half the gap, a detached vocal line);
  ``longest``: the 95th percentile of its note lengths in quarters (how far ``fill`` may stretch one);
- ``chord_size``: notes per onset (median over its onsets), how thickly the role is voiced;
- ``alone``: share of the bars a role sounds in where the melody sounds in none of its steps
  (intros, breaks and tails: a genre whose accompaniment never plays alone has about 0).

:func:`~midistyle.arrangement.profile.song_stats` measures them per song, and the profile keeps
their medians over songs; :func:`~midistyle.arrangement.arrange.finish` plays them.
"""
from __future__ import annotations

import numpy as np

from ..representation.song import Track

MIN_NOTES = 8  # notes a role needs before its articulation or voicing counts
SAME_ONSET = 1 / 48  # quarters: onsets closer than this are one chord
ALONE_MAX = 0.05  # a role the genre plays without its melody in fewer bars than this is left out of such bars


def _onset_groups(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct onsets of sorted starts and the index of each note's onset."""
    key = np.rint(np.sort(start) / SAME_ONSET).astype(np.int64)
    uniq, group = np.unique(key, return_inverse=True)
    return uniq * SAME_ONSET, group


def _gaps(start: np.ndarray) -> np.ndarray:
    """Quarters from each note's onset to the next distinct onset (NaN for the last onset's notes)."""
    onsets, group = _onset_groups(start)
    nxt = np.r_[onsets[1:], np.nan]
    return nxt[group] - onsets[group]


def articulation(start: np.ndarray, end: np.ndarray) -> tuple[float, float] | None:
    """``(fill, longest)`` of one role's notes (see the module docstring); None under :data:`MIN_NOTES`."""
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if start.size < MIN_NOTES:
        return None
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    gap = _gaps(start)
    ok = np.isfinite(gap) & (gap > 0)
    if not ok.any():
        return None
    fill = np.minimum((end[ok] - start[ok]) / gap[ok], 1.0)
    return float(np.median(fill)), float(np.percentile(end - start, 95))


def chord_size(start: np.ndarray) -> float | None:
    """Median notes per onset of one role; None under :data:`MIN_NOTES`."""
    start = np.asarray(start, np.float64)
    if start.size < MIN_NOTES:
        return None
    _, group = _onset_groups(start)
    return float(np.median(np.bincount(group)))


def alone_share(role: np.ndarray, melody: np.ndarray, bar_starts: np.ndarray) -> float | None:
    """Share of the bars where ``role`` sounds (bool ``[T, P]`` sustain) in which ``melody`` (same)
    sounds in no step; None when the role sounds in no bar."""
    r, m = role.any(axis=1), melody.any(axis=1)
    edges = np.asarray(bar_starts)[:-1]
    if not r.any() or edges.size == 0:
        return None
    role_bars = np.add.reduceat(r, edges) > 0
    melody_bars = np.add.reduceat(m, edges) > 0
    return float(np.mean(~melody_bars[role_bars])) if role_bars.any() else None


def legato(track: Track, fill: float, longest: float) -> Track:
    """The track's notes lengthened to ``fill`` of the gap to the next onset, at most ``longest``
    quarters (a note already longer keeps its length; onsets and pitches are unchanged)."""
    if not track.n_notes:
        return track
    order = np.argsort(track.start, kind="stable")
    start, end = track.start[order], track.end[order]
    gap = np.nan_to_num(_gaps(start), nan=0.0)
    want = start + np.minimum(fill * gap, longest)
    return track.replace_notes(start, np.maximum(end, want), track.pitch[order], track.velocity[order])


def cap_voicing(roll: np.ndarray, size: int) -> np.ndarray:
    """A ``[2, T, P]`` (onset, sustain) roll with at most ``size`` notes struck per step: the outer
    voices stay, inner ones go (each dropped note's onset and its held steps)."""
    if size < 1:
        raise ValueError(f"voicing size must be >= 1, got {size}")
    out = np.array(roll, bool, copy=True)
    onset, sustain = out[0], out[1]
    for t in np.flatnonzero(onset.sum(axis=1) > size):
        pitches = np.flatnonzero(onset[t])
        keep = [pitches[0]] if size == 1 else [pitches[0], *pitches[1:-1][:size - 2], pitches[-1]]
        for p in set(pitches.tolist()) - set(int(k) for k in keep):
            onset[t, p] = False
            u = t
            while u < sustain.shape[0] and sustain[u, p] and (u == t or not onset[u, p]):
                sustain[u, p] = False
                u += 1
    return out


def melody_bars(melody: np.ndarray, bar_starts: np.ndarray) -> np.ndarray:
    """Bool per step ``[T]``: whether the step's bar holds a sounding melody step (``melody`` ``[T, P]``)."""
    edges = np.asarray(bar_starts)
    m = melody.any(axis=1)
    has = np.add.reduceat(m, edges[:-1]) > 0 if edges.size > 1 else np.zeros(0, bool)
    return np.repeat(has, np.diff(edges))[:m.shape[0]]


def mute_where(roll: np.ndarray, keep_steps: np.ndarray) -> np.ndarray:
    """A ``[2, T, P]`` roll (or ``[T, L]`` lanes) silent at the steps where ``keep_steps`` is False."""
    out = np.array(roll, copy=True)
    n = min(keep_steps.shape[0], out.shape[-2])
    mask = np.ones(out.shape[-2], bool)
    mask[:n] = keep_steps[:n]
    out[..., ~mask, :] = 0
    return out
