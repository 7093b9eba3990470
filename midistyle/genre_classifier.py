"""The CNN genre classifier over piano rolls: the one wrapper that convert (source-genre
detection), evaluate (the second opinion beside the style judge) and classify use.

The classifier reads merged rolls ``[2, T, P]`` (onsets, sustains) cut into phrase windows and
gives softmax probabilities per window. Rolls on a grid a whole number of times finer than the
classifier's are coarsened to its grid first (see :meth:`GenreClassifier.on_grid`). torch is
imported when a checkpoint is loaded.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from .config import RollConfig
from .errors import ModelError
from .representation.windows import coarsen, grid_factor, windows

PRETRAINED = Path(__file__).parent / "pretrained"


def shipped_classifier() -> Path:
    """The folder of the shipped genre classifier; ModelError when it is not installed."""
    path = PRETRAINED / "classifier"
    if not (path / "config.json").exists():
        raise ModelError(path, "the shipped genre classifier is missing from this installation")
    return path


@dataclasses.dataclass(frozen=True)
class GenreClassifier:
    """A loaded genre classifier reading rolls on a grid ``factor`` times finer than its own ``cfg``,
    cut into windows of ``window`` steps (on its own grid)."""

    module: Any
    genres: tuple[str, ...]
    cfg: RollConfig
    window: int
    path: str
    device: str = "cpu"
    factor: int = 1

    @classmethod
    def load(cls, directory: str | os.PathLike | None = None, *, device: str = "cpu") -> "GenreClassifier":
        """Load a classifier checkpoint folder (default: the shipped one), reading rolls on its own grid."""
        from .models.checkpoint import load_classifier

        directory = directory or shipped_classifier()
        module, meta = load_classifier(directory, device=device)
        return cls(module, tuple(meta.genres), meta.roll, meta.window, str(directory), device)

    def on_grid(self, cfg: RollConfig, window: int | None = None) -> "GenreClassifier | None":
        """This classifier reading rolls on the grid ``cfg`` (a generator's), or None when it cannot:
        ``cfg`` must be its own grid, or one with the same pitches and a whole multiple of its steps
        per beat (coarsened, and judged on its own windows). On its own grid ``window`` (e.g. the
        generator's) replaces its window."""
        factor = grid_factor(cfg, self.cfg)
        if factor is None:
            return None
        return dataclasses.replace(self, factor=factor, window=(window or self.window) if factor == 1 else self.window)

    def cut(self, x: np.ndarray) -> np.ndarray:
        """The windows ``[n, 2, window, P]`` of a merged roll ``x`` [2, T, P], on the classifier's grid."""
        return windows(coarsen(x, self.factor), self.window)[0]

    def sounding_windows(self, x: np.ndarray) -> np.ndarray:
        """Bool mask of the windows of ``x`` (see :meth:`cut`) in which some note sounds."""
        return self.cut(x).any(axis=(1, 2, 3))

    def probs(self, x: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Probabilities ``[n, n_genres]`` of the windows of ``x`` (only the ``keep`` ones when given)."""
        from .models.classifier import predict_proba

        cut = self.cut(x)
        return predict_proba(self.module, cut if keep is None else cut[keep], len(self.genres), self.device)

    def detect(self, x: np.ndarray) -> tuple[str, float] | None:
        """The most likely genre of a merged roll and its probability, the mean over all its
        windows; None for an empty roll."""
        if x.shape[1] == 0:
            return None
        from .models.classifier import predict_proba
        from .representation.song import GENRES

        genres = self.genres or GENRES  # a checkpoint that names no genres: the shipped order
        p = predict_proba(self.module, self.cut(x), len(genres), self.device).mean(0)
        i = int(p.argmax())
        return genres[i], float(p[i])

    def song_probs(self, song) -> dict[str, float]:
        """Genre -> probability of a whole song on the classifier's grid: the mean over the windows in
        which some note sounds (NaN for every genre when none does)."""
        from .representation import song_to_roll

        x = song_to_roll(song, self.cfg).merged()
        keep = self.sounding_windows(x) if x.shape[1] else np.zeros(0, bool)
        if not keep.any():
            return {g: float("nan") for g in self.genres}
        return dict(zip(self.genres, map(float, self.probs(x, keep).mean(axis=0))))


__all__ = ["GenreClassifier", "shipped_classifier"]
