"""Phrase windows over a whole song: cut a merged roll into overlapping windows, blend them back.

The converter runs its generator on these windows and the classifier judges the same ones, so a
verdict per window lines up with what the converter changed. Pure numpy.
"""
from __future__ import annotations

import dataclasses

import numpy as np


def windows(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``x`` [C, T, P] into windows of ``window`` steps, hop ``window // 2``.

    Returns
    -------
    (stack, starts) : float32 [n, C, window, P] (the last zero-padded past T) and their first steps [n].
    """
    hop = max(window // 2, 1)
    n_steps = x.shape[1]
    starts = np.arange(0, max(n_steps - window, 0) + hop, hop)
    starts = starts[(starts == 0) | (starts + window - hop < n_steps)]
    padded = np.zeros((x.shape[0], int(starts[-1]) + window, x.shape[2]), np.float32)
    padded[:, :n_steps] = x
    return np.stack([padded[:, a:a + window] for a in starts]), starts


def grid_factor(fine, coarse) -> int | None:
    """How many steps of the grid ``fine`` make one of ``coarse`` (both RollConfigs), or None when
    ``fine`` cannot be coarsened to ``coarse`` (other pitches, or not a whole multiple of its steps)."""
    spb = coarse.steps_per_beat
    if dataclasses.replace(fine, steps_per_beat=spb) != coarse or fine.steps_per_beat % spb:
        return None
    return fine.steps_per_beat // spb


def coarsen(x: np.ndarray, factor: int) -> np.ndarray:
    """``x`` [C, T, P] on a grid ``factor`` times coarser: [C, ceil(T / factor), P], each new step the
    maximum of the ``factor`` steps it covers (an onset or a sounding note anywhere in them)."""
    if not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    if factor == 1:
        return x
    c, t, p = x.shape
    n = -(-t // factor)
    padded = np.zeros((c, n * factor, p), x.dtype)
    padded[:, :t] = x
    return padded.reshape(c, n, factor, p).max(axis=2)


def overlap_add(out: np.ndarray, starts: np.ndarray, n_steps: int) -> np.ndarray:
    """Blend window outputs [n, C, window, P] back to [C, n_steps, P] with triangular weights that
    sum to one everywhere (no seams at window edges)."""
    window = out.shape[2]
    ramp = np.minimum(np.arange(window) + 0.5, window - np.arange(window) - 0.5)
    weight = np.maximum(ramp / ramp.max(), 1e-3).astype(np.float32)
    total = np.zeros((out.shape[1], int(starts[-1]) + window, out.shape[3]), np.float32)
    norm = np.zeros(int(starts[-1]) + window, np.float32)
    for w, a in zip(out, starts):
        total[:, a:a + window] += w * weight[None, :, None]
        norm[a:a + window] += weight
    return (total / norm[None, :, None])[:, :n_steps]


__all__ = ["overlap_add", "windows"]
