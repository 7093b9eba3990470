"""Arrangement tensors as one stack of binary planes, bit-packed along pitch: how shards store them.

Planes ``[7, T, P]`` (all 0/1): melody onset and sustain, bass onset and sustain, comp onset and
sustain, and a *context* plane whose first columns hold the per-step facts that have no pitch
axis: the chord chroma (columns 0-11), the drum lanes (12-19) and the bar grid (20: first step of
a bar, 21: first step of a beat). Stored bit-packed along pitch (``np.packbits``), a phrase of
64 steps and 84 pitches takes 4.9 kB. Numpy only.
"""
from __future__ import annotations

import numpy as np

from ..representation.drums import LANES
from .encode import Arrangement

PLANES = ("melody_onset", "melody_sustain", "bass_onset", "bass_sustain", "comp_onset", "comp_sustain", "context")
CHROMA_COLS = slice(0, 12)
DRUM_COLS = slice(12, 12 + len(LANES))
DOWNBEAT_COL, BEAT_COL = 12 + len(LANES), 13 + len(LANES)
CONTEXT_WIDTH = BEAT_COL + 1


def to_planes(arr: Arrangement) -> np.ndarray:
    """The arrangement as bool ``[7, T, P]`` (see the module docstring)."""
    n_pitches = arr.cfg.n_pitches
    if n_pitches < CONTEXT_WIDTH:
        raise ValueError(f"arrangement planes need at least {CONTEXT_WIDTH} pitches, the grid has {n_pitches}")
    planes = np.zeros((len(PLANES), arr.n_steps, n_pitches), bool)
    planes[0:2], planes[2:4], planes[4:6] = arr.melody, arr.bass, arr.comp
    ctx = planes[6]
    ctx[:, CHROMA_COLS] = arr.chroma > 0
    ctx[:, DRUM_COLS] = arr.drums
    ctx[:, DOWNBEAT_COL] = arr.position == 0
    ctx[:, BEAT_COL] = arr.position % arr.cfg.steps_per_beat == 0
    return planes


def pack(planes: np.ndarray) -> np.ndarray:
    """Bool ``[..., P]`` -> uint8 ``[..., ceil(P / 8)]``."""
    return np.packbits(np.asarray(planes, bool), axis=-1)


def unpack(packed: np.ndarray, n_pitches: int) -> np.ndarray:
    """Inverse of :func:`pack`: uint8 0/1 ``[..., n_pitches]``."""
    return np.unpackbits(np.asarray(packed, np.uint8), axis=-1, count=n_pitches)


def has_notes(planes: np.ndarray) -> np.ndarray:
    """Bool ``[T]``: steps where any part starts a note or a drum hits."""
    ctx = planes[6][:, DRUM_COLS].any(axis=1)
    return planes[0].any(axis=1) | planes[2].any(axis=1) | planes[4].any(axis=1) | ctx

