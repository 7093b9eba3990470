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
