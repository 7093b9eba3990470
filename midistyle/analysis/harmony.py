"""Pitch-class sets -> sonority classes, and key finding (Krumhansl-Kessler profiles). Pure numpy.

A sonority is the set of pitch classes sounding on a beat. It is named by the chord type it
spells in any transposition and inversion: triads (major, minor, diminished, augmented,
suspended), sevenths (dominant, major, minor, including the 3-note shells root-3rd-7th that
jazz pianists voice), other 4-note sevenths (half-diminished, diminished, minor-major), other
3-note sets, and larger sets.
"""
from __future__ import annotations

import functools

import numpy as np

SONORITIES = ("rest", "single", "dyad", "major", "minor", "diminished", "augmented", "suspended",
              "dominant7", "major7", "minor7", "other7", "other3", "larger")

_TEMPLATES = {  # intervals above the root
    "major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6), "augmented": (0, 4, 8),
    "suspended": (0, 5, 7),  # sus4; sus2 is the sus4 of its fifth
    "dominant7": (0, 4, 7, 10), "major7": (0, 4, 7, 11), "minor7": (0, 3, 7, 10),
    "other7": ((0, 3, 6, 10), (0, 3, 6, 9), (0, 3, 7, 11)),
}
_SHELLS = {"dominant7": (0, 4, 10), "major7": (0, 4, 11), "minor7": (0, 3, 10)}


def _mask(intervals, root: int) -> int:
    return sum(1 << ((root + i) % 12) for i in intervals)


@functools.lru_cache(maxsize=1)
def sonority_table() -> np.ndarray:
    """int64 [4096]: pitch-class bit mask -> index into :data:`SONORITIES`."""
    index = {name: i for i, name in enumerate(SONORITIES)}
    named: dict[int, str] = {}
    for name, spec in list(_TEMPLATES.items()) + [(k, v) for k, v in _SHELLS.items()]:
        shapes = spec if isinstance(spec[0], tuple) else (spec,)
        for shape in shapes:
            for root in range(12):
                named.setdefault(_mask(shape, root), name)
    table = np.zeros(4096, np.int64)
    for m in range(4096):
        n = bin(m).count("1")
        if n <= 2:
            table[m] = n  # rest, single, dyad
        elif m in named:
            table[m] = index[named[m]]
        else:
            table[m] = index["other3" if n == 3 else "larger"]
    return table


_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@functools.lru_cache(maxsize=1)
def key_profiles() -> np.ndarray:
    """float64 [24, 12]: standardised Krumhansl-Kessler profiles, rows 0-11 major C..B, 12-23 minor."""
    rows = [np.roll(p, k) for p in (_MAJOR, _MINOR) for k in range(12)]
    z = np.array(rows)
    z = z - z.mean(axis=1, keepdims=True)
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def key_correlations(hist: np.ndarray) -> np.ndarray:
    """Pearson correlation of pitch-class histograms ``[..., 12]`` with the 24 keys: ``[..., 24]``
    (0 for a flat histogram)."""
    h = np.asarray(hist, np.float64)
    h = h - h.mean(axis=-1, keepdims=True)
    norm = np.linalg.norm(h, axis=-1, keepdims=True)
    return (h / np.where(norm > 0, norm, 1.0)) @ key_profiles().T


def masks(pc_weights: np.ndarray, threshold: float) -> np.ndarray:
    """Bit masks of the pitch classes whose weight reaches ``threshold``: ``[n, 12]`` -> int64 ``[n]``."""
    return ((pc_weights >= threshold).astype(np.int64) << np.arange(12)).sum(axis=1)


__all__ = ["SONORITIES", "key_correlations", "key_profiles", "masks", "sonority_table"]
