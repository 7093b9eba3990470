"""How typical of its genre each bank bar is, learned from the banks of an assets folder.

Retrieval picks the bar whose chords fit best, and among the real bars of a genre the ones that fit
a plain chart best are its least distinctive (a jazz bar with a passing chord loses to a static
one). To weigh against that, every bar gets a typicality: the log-probability of its own genre
under a multinomial logistic regression fitted on the accompaniment of every bank in the folder
(:func:`bar_features`: bass and comping density, onset positions, chord size, register, pitch
classes, durations, interval colour; drum lane densities), z-scored within its bank. The contrast
is whatever genres the folder holds, so adding a genre's folder refits it with no code change.
It is neither of the judges `evaluate` reports by: it sees bars of the banks' training songs
only, not songs, and no melody. Numpy (and scipy's L-BFGS to fit).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

C = 1.0
"""Inverse L2 strength of the regression, per song-bar summed loss (scikit-learn's default)."""


def _role_features(roll: np.ndarray, length: np.ndarray, spb: int, low: int) -> np.ndarray:
    """Bool ``[N, 2, S, P]`` (onset, sustain) bars of one role -> ``[N, 14 + spb]`` features."""
    n, _, steps, n_pitches = roll.shape
    beats = np.maximum(length / spb, 1.0)
    onset, sound = roll[:, 0], roll[:, 0] | roll[:, 1]
    n_notes = onset.sum(axis=(1, 2))
    struck = onset.any(axis=2)  # [N, S]
    n_struck = np.maximum(struck.sum(axis=1), 1)
    where = np.arange(steps) % spb
    positions = [(struck & (where == k)).sum(axis=1) / n_struck for k in range(spb)]
    pitch = np.arange(n_pitches) + low
    cells = sound.sum(axis=1)  # [N, P]
    total = np.maximum(cells.sum(axis=1), 1)
    mean = (cells * pitch).sum(axis=1) / total
    spread = np.sqrt((cells * (pitch - mean[:, None]) ** 2).sum(axis=1) / total)
    step_pcs = np.zeros((n, steps, 12), bool)
    for pc in range(12):
        step_pcs[:, :, pc] = sound[:, :, pitch % 12 == pc].any(axis=2)
    # interval classes between pitch classes sounding together: a bar's harmonic colour
    colour = np.stack([(step_pcs & np.roll(step_pcs, d, axis=2)).sum(axis=(1, 2)) for d in range(1, 7)], axis=1)
    colour = colour / np.maximum(colour.sum(axis=1, keepdims=True), 1)
    return np.column_stack([np.log1p(n_notes / beats), np.log1p(struck.sum(axis=1) / beats), n_notes / n_struck,
                            *positions, mean / 100.0, spread / 12.0, step_pcs.any(axis=1).sum(axis=1) / 12.0,
                            sound.sum(axis=(1, 2)) / np.maximum(n_notes, 1) / spb, (n_notes > 0).astype(float),
                            colour])


def bar_features(bank) -> np.ndarray:
    """A bank's bars (:class:`~midistyle.arrangement.retrieve.Bank`) -> float64 ``[N, F]``, the same
    features at any transposition."""
    spb, low = bank.cfg.steps_per_beat, bank.cfg.low_pitch
    beats = np.maximum(bank.length / spb, 1.0)
    return np.column_stack([_role_features(bank.bass, bank.length, spb, low),
                            _role_features(bank.comp, bank.length, spb, low),
                            np.log1p(bank.drums.sum(axis=1) / beats[:, None])]).astype(np.float64)


def _softmax_regression(x: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``[F, K]`` and bias ``[K]`` of a multinomial logistic regression: the summed
    cross-entropy plus ``||W||^2 / (2 C)`` minimised by L-BFGS (the bias is not penalised)."""
    from scipy.optimize import minimize

    n, f = x.shape
    target = np.eye(n_classes)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:f * n_classes].reshape(f, n_classes), theta[f * n_classes:]
        logits = x @ w + b
        top = logits.max(axis=1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        p = np.exp(logits - log_z[:, None])
        err = p - target
        value = float((log_z - (logits * target).sum(axis=1)).sum() + (w ** 2).sum() / (2 * C))
        return value, np.concatenate([(x.T @ err + w / C).ravel(), err.sum(axis=0)])

    res = minimize(loss, np.zeros(f * n_classes + n_classes), jac=True, method="L-BFGS-B",
                   options={"maxiter": 1000})
    return res.x[:f * n_classes].reshape(f, n_classes), res.x[f * n_classes:]


def fit_typicality(banks: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Genre -> float32 ``[N]``: each bar's log-probability of its own genre among ``banks``'
    genres, z-scored within its bank (zeros when there is only one genre to tell apart)."""
    names = list(banks)
    if len(names) < 2:
        return {g: np.zeros(banks[g].n_bars, np.float32) for g in names}
    feats = [bar_features(banks[g]) for g in names]
    x = np.concatenate(feats)
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
    y = np.concatenate([np.full(len(f), i) for i, f in enumerate(feats)])
    w, b = _softmax_regression((x - mu) / sd, y, len(names))
    out = {}
    for i, (g, f) in enumerate(zip(names, feats)):
        logits = (f - mu) / sd @ w + b
        own = logits[:, i] - np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1)) - logits.max(axis=1)
        out[g] = ((own - own.mean()) / (own.std() + 1e-6)).astype(np.float32)
    return out


__all__ = ["bar_features", "fit_typicality"]
