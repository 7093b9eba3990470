"""Swing: measure the ratio of 8th-note pairs from onsets, and play straight notes with a ratio.

A beat (a quarter) split into two 8ths at ``r`` of its length: 0.5 is straight, 2/3 triplet
swing. :func:`swing_ratio` reads ``r`` from beats played as two 8ths (an on-beat and an off-beat onset);
:func:`apply_swing` warps time inside each beat so that the straight off-beat lands at ``r``
(piecewise linear: the first half of the beat stretches to ``r``, the second shrinks to
``1 - r``), which moves 16ths along with the 8ths as swung drum and bass parts play them.
"""
from __future__ import annotations

import numpy as np

STRAIGHT = 0.5
# Two hand-set thresholds on the 8th-pair ratio (straight 0.5, triplets 0.667), for two questions:
STRAIGHTEN_ABOVE = 0.55  # encode: a source played later than this is straightened before its 16th grid
SWUNG_ABOVE = 0.58  # profile: a genre's song counts as swung above this (a clear split, not a loose straight)
OFFBEAT = (0.40, 0.73)  # beat fractions where the second 8th of a pair may fall, straight to past triplet
ON_BEAT = 0.08  # beat fraction either side of a beat that counts as on it


def pair_phases(onsets_q: np.ndarray) -> np.ndarray:
    """Beat fractions of the second onset of every 8th-note pair in one voice.

    A pair is a beat whose onsets (within 0.03 of a beat counted once) are exactly one on the beat
    and one between 0.40 and 0.73 of it: beats of 16ths, triplets or single notes say nothing of
    the 8ths' ratio and are left out, and so is a dotted 8th and 16th (its 16th at 0.75).
    """
    t = np.sort(np.asarray(onsets_q, np.float64))
    t = t[np.r_[True, np.diff(t) > 0.03]] if t.size else t  # a chord or a flam is one onset
    if t.size < 2:
        return np.zeros(0)
    beat = np.floor(t + ON_BEAT).astype(np.int64)  # an onset just before the beat belongs to it
    phase = t - beat
    first = np.r_[True, beat[1:] != beat[:-1]]
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, t.size])
    two = starts[counts == 2]
    on, off = phase[two], phase[two + 1]
    ok = (np.abs(on) <= ON_BEAT) & (off >= OFFBEAT[0]) & (off <= OFFBEAT[1])
    return off[ok] - on[ok]


def swing_ratio(voices, min_pairs: int = 8) -> float | None:
    """Median 8th-pair ratio over ``voices`` (each an array of onsets in quarters), or None when
    fewer than ``min_pairs`` pairs are found. Voices are read apart (a hi-hat and a snare together
    make beats that are not pairs): give one array per track, or per drum lane."""
    phases = np.concatenate([pair_phases(v) for v in voices] or [np.zeros(0)])
    if phases.size < min_pairs:
        return None
    return float(np.median(phases))


def apply_swing(times_q: np.ndarray, ratio: float, from_ratio: float = STRAIGHT) -> np.ndarray:
    """Times (quarters) warped inside each beat so that an off-beat at ``from_ratio`` of the beat
    lands at ``ratio`` (default from straight; ``apply_swing(t, 0.5, r)`` straightens a part swung at ``r``)."""
    for name, value in (("swing ratio", ratio), ("from_ratio", from_ratio)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    t = np.asarray(times_q, np.float64)
    beat = np.floor(t + 1e-9)
    phase = t - beat
    warped = np.where(phase <= from_ratio, phase * (ratio / from_ratio),
                      ratio + (phase - from_ratio) * ((1 - ratio) / (1 - from_ratio)))
    return beat + warped


RELIABLE_ON_BEAT = 0.35  # share of onsets on beats above which a song's own grid is trusted (uniform: 0.16)


def on_beat_share(onsets_q: np.ndarray) -> float:
    """Share of onsets within :data:`ON_BEAT` of a quarter-note beat (0.16 when they ignore the grid)."""
    t = np.asarray(onsets_q, np.float64)
    if not t.size:
        return 0.0
    phase = np.mod(t, 1.0)
    return float(np.mean((phase <= ON_BEAT) | (phase >= 1 - ON_BEAT)))


# Micro-timing: how far a genre's onsets spread around their grid positions, and playing a
# quantised part with that spread.
GRID = np.array([0.0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0])  # straight 16ths and 8th triplets, in beats
MIN_TIMED = 16  # onsets a part needs before its spread counts
MAX_SHIFT = 0.125  # beats: no note moves further than a 32nd note
_MIN_LEN = 1e-3  # beats: shortest note left after its end is trimmed


def grid_offsets(onsets_q: np.ndarray, swing: float = STRAIGHT) -> np.ndarray:
    """Signed distance (beats) of each onset from its nearest position of :data:`GRID`, after the
    song's own ``swing`` is taken out (its off-beats moved back to the straight 8th)."""
    t = np.asarray(onsets_q, np.float64)
    if abs(swing - STRAIGHT) > 1e-9 and t.size:
        t = apply_swing(t, STRAIGHT, swing)
    d = np.mod(t, 1.0)[:, None] - GRID[None, :]
    return d[np.arange(t.size), np.abs(d).argmin(axis=1)] if t.size else np.zeros(0)


def timing_spread(voices, swing: float = STRAIGHT, min_onsets: int = MIN_TIMED) -> float | None:
    """Median absolute offset (beats) of the onsets of ``voices`` (arrays of onsets in quarters) from
    their grid positions (:func:`grid_offsets`): 0 for a quantised part, about 0.67 sigma for one
    played with Gaussian jitter of sigma beats (while sigma stays well under a 16th-triplet gap).
    None when fewer than ``min_onsets`` onsets are given."""
    offsets = np.concatenate([grid_offsets(v, swing) for v in voices] or [np.zeros(0)])
    if offsets.size < min_onsets:
        return None
    return float(np.median(np.abs(offsets)))


def _shifted(start: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Onsets moved by ``shift`` but kept in their beat: a note inside a beat stays inside it, a note on
    a beat stays within :data:`MAX_SHIFT` of it (early or late), and none moves before 0."""
    beat = np.floor(start + 1e-9)
    on = start - beat < 1e-6
    lo = np.where(on, beat - MAX_SHIFT, beat + _MIN_LEN)
    hi = np.where(on, beat + MAX_SHIFT, beat + 1 - _MIN_LEN)
    return np.maximum(np.clip(start + np.clip(shift, -MAX_SHIFT, MAX_SHIFT), lo, hi), 0.0)


def humanise(start: np.ndarray, end: np.ndarray, pitch: np.ndarray, spread: float,
             rng: np.random.Generator, swing: float = STRAIGHT) -> tuple[np.ndarray, np.ndarray]:
    """Notes on a straight grid (starts, ends in quarters; pitches) played around it with a timing
    ``spread``: median absolute offset in beats, as :func:`timing_spread` measures the part once it is
    swung at ``swing`` (the caller swings it after: the shifts, made in straight time, keep the order
    of each pitch's notes, and the warp keeps it).

    Every onset gets its own Gaussian draw from ``rng``; the draws' scale is set by bisection so that
    the part, as played, measures ``spread`` (a draw folding onto a neighbouring grid position reads
    as a smaller offset, so the scale is found, not derived). Each note's end moves with its start,
    trimmed so a note never overlaps the next note of its pitch. Shifts follow :func:`_shifted`.
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if spread <= 0 or not start.size:
        return start, end
    z = rng.standard_normal(start.size)

    def played(scale: float) -> np.ndarray:
        return _shifted(start, scale * z)

    def measured(scale: float) -> float | None:
        t = played(scale)
        return timing_spread([t if abs(swing - STRAIGHT) < 1e-9 else apply_swing(t, swing)], swing, min_onsets=1)

    if (measured(0.0) or 0.0) >= spread:
        return start, end  # already played that loosely
    lo, hi = 0.0, 4 * spread / 0.6745
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        got = measured(mid)
        lo, hi = (mid, hi) if got is not None and got < spread else (lo, mid)
    new_start = played(0.5 * (lo + hi))
    new_end = end + (new_start - start)
    order = np.lexsort((start, pitch))  # by pitch, then time
    nxt = np.full(start.size, np.inf)
    same = pitch[order][1:] == pitch[order][:-1]
    nxt[order[:-1][same]] = new_start[order[1:][same]]
    new_end = np.maximum(np.minimum(new_end, nxt), new_start + _MIN_LEN)
    return new_start, new_end
