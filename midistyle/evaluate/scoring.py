"""Scoring one converted song: rolls on the source's grid, classifier verdicts per phrase window, metrics.

An evaluation compares three "outputs" of each source song on the source's bar grid:

- ``model``: the converted song (what the user gets),
- ``identity``: the source itself (a do-nothing converter),
- ``random_target``: a randomly drawn real song of the target genre, tiled or cropped to the
  source's length (a converter that throws the source away and plays real target music).

The classifier judges each one per phrase window, the same windows the converter runs on
(:func:`midistyle.representation.windows.windows`), keeping only windows where the source sounds.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Sequence

import numpy as np

from ..config import RollConfig, to_dict
from ..errors import ModelError
from ..representation import Roll
from ..genre_classifier import GenreClassifier
from .metrics import content, mean_gain, musicality, target_rate, transfer_strength

GROUPS = ("model", "identity", "random_target")


def fit_steps(a: np.ndarray, n_steps: int, *, tile: bool = False) -> np.ndarray:
    """``a`` [..., T, P] cropped or extended to ``n_steps`` along T: with silence, or repeated (``tile``)."""
    t = a.shape[-2]
    if t >= n_steps:
        return a[..., :n_steps, :]
    if tile and t > 0:
        reps = -(-n_steps // t)
        return np.concatenate([a] * reps, axis=-2)[..., :n_steps, :]
    pad = [(0, 0)] * a.ndim
    pad[-2] = (0, n_steps - t)
    return np.pad(a, pad)


def merge(onset: np.ndarray, sustain: np.ndarray) -> np.ndarray:
    """Per-track bool rolls [K, T, P] -> model layout float32 [2, T, P] (tracks merged)."""
    return np.stack([onset.any(axis=0), sustain.any(axis=0)]).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class TargetClassifier:
    """The CNN genre classifier (:class:`~midistyle.genre_classifier.GenreClassifier`) as evaluation
    reads it: softmax probabilities per phrase window, P(target) and P(source).

    ``target`` is the genre converted to; ``source`` the genres of the model's input domain
    (their probabilities are summed into P(source) for Brunner et al.'s strength). With ``among``
    the verdicts are restricted to those genres (probabilities renormalised over them, the others 0):
    a two-genre classifier as Brunner et al.'s binary classifier of a genre pair.
    """

    classifier: GenreClassifier
    target: str
    source: tuple[str, ...]
    among: tuple[str, ...] = ()

    @classmethod
    def load(cls, directory: str | os.PathLike, to: str, source: Sequence[str], cfg: RollConfig | None = None,
             window: int | None = None, device: str = "cpu", among: Sequence[str] = ()) -> "TargetClassifier":
        """Load a classifier checkpoint; ModelError unless it knows ``to`` and can read rolls on the grid
        ``cfg`` (see :meth:`GenreClassifier.on_grid`). Without ``cfg`` the classifier's own grid is used;
        on it, ``window`` (e.g. the generator's) replaces the classifier's phrase length.
        """
        clf = GenreClassifier.load(directory, device=device)
        genres = clf.genres
        if to not in genres:
            raise ModelError(directory, f"the classifier tells {', '.join(genres) or 'no genres'} apart, not {to}")
        among = tuple(among)
        if among and (to not in among or not set(among) <= set(genres) or len(among) < 2):
            raise ModelError(directory, f"cannot judge among {', '.join(among)}: need {to} and at least one other "
                                        f"of the classifier's genres ({', '.join(genres)})")
        on_grid = clf.on_grid(cfg or clf.cfg, window)
        if on_grid is None:
            raise ModelError(directory, f"the classifier was trained on grid {to_dict(clf.cfg)}, "
                                        f"the model on {to_dict(cfg)}")
        return cls(on_grid, to, tuple(g for g in source if g in genres), among)

    @property
    def genres(self) -> tuple[str, ...]:
        return self.classifier.genres

    @property
    def path(self) -> str:
        return self.classifier.path

    @property
    def cfg(self) -> RollConfig:
        """The classifier's own grid."""
        return self.classifier.cfg

    @property
    def window(self) -> int:
        return self.classifier.window

    @property
    def target_idx(self) -> int:
        return self.genres.index(self.target)

    def p_target(self, probs: np.ndarray) -> np.ndarray:
        return probs[:, self.target_idx]

    def p_source(self, probs: np.ndarray) -> np.ndarray:
        """Summed probability of the source genres (NaN when the classifier knows none of them)."""
        idx = [self.genres.index(g) for g in self.source]
        return probs[:, idx].sum(axis=1) if idx else np.full(len(probs), np.nan)

    def probs(self, x: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Probabilities ``[n_kept, n_genres]`` of the kept windows of a merged roll ``x`` [2, T, P]."""
        p = self.classifier.probs(x, keep)
        if not self.among:
            return p
        idx = [self.genres.index(g) for g in self.among]
        out = np.zeros_like(p)
        out[:, idx] = p[:, idx] / np.maximum(p[:, idx].sum(axis=1, keepdims=True), 1e-12)
        return out

    def sounding_windows(self, x: np.ndarray) -> np.ndarray:
        """Bool mask of the windows of ``x`` in which some note sounds."""
        return self.classifier.sounding_windows(x)


@dataclasses.dataclass
class SongScore:
    """Every number measured on one source song (probabilities are per kept window)."""

    source: str
    output: str | None
    bars: int
    notes_in: int
    notes_out: int
    musicality_source: dict
    musicality_output: dict
    content: dict  # group -> content metrics against the source
    probs: dict = dataclasses.field(default_factory=dict)  # "source", "model", "random_target", "cycle"
    detected: str | None = None

    def record(self, cnn: TargetClassifier | None) -> dict:
        """A JSON-ready summary of this song."""
        rec = {"source": self.source, "output": self.output, "bars": self.bars, "notes_in": self.notes_in,
               "notes_out": self.notes_out, "detected": self.detected, "content": self.content,
               "musicality_source": self.musicality_source, "musicality_output": self.musicality_output}
        if cnn is not None and len(self.probs.get("source", ())):
            rec["p_target"] = {k: float(cnn.p_target(p).mean()) for k, p in self.probs.items() if k != "cycle"}
            if "cycle" in self.probs:
                rec["strength"] = strength(cnn, self.probs)
        return rec


def strength(cnn: TargetClassifier, probs: dict) -> float:
    """Brunner et al.'s S(A -> B) over the kept windows of ``probs`` (needs "source", "model", "cycle")."""
    p = {k: cnn.p_source(probs[k]) for k in ("source", "model", "cycle")}
    return transfer_strength(p["source"], p["model"], p["cycle"]) if len(p["source"]) else float("nan")


def score_song(src: Roll, out: Roll, *, cfg: RollConfig, source: str, output: str | None,
               real: Roll | None = None, cnn: TargetClassifier | None = None, back=None,
               threshold: float = 0.5) -> SongScore:
    """Score the output roll ``out`` of the source roll ``src`` against the baselines.

    Parameters
    ----------
    src, out : Roll
        Source and converted song on the grid ``cfg``; ``out`` is cropped or padded with silence
        to the source's length and judged on the source's bars.
    real : Roll, optional
        A real target-genre song for the ``random_target`` baseline (tiled to the source's length).
    cnn : TargetClassifier, optional
        The CNN classifier; without it no probabilities are measured.
    back : Converter, optional
        The reverse generator (a CycleGAN's F); its reconstruction of the output is judged as "cycle".
    threshold : float
        Note threshold for the reconstruction.
    """
    bars, n_steps = src.bar_starts, src.n_steps
    out_on, out_sus = fit_steps(out.onset, n_steps), fit_steps(out.sustain, n_steps)
    candidates = {"model": (out_on, out_sus), "identity": (src.onset, src.sustain)}
    if real is not None:
        candidates["random_target"] = (fit_steps(real.onset, n_steps, tile=True),
                                       fit_steps(real.sustain, n_steps, tile=True))
    score = SongScore(
        source=source, output=output, bars=src.n_bars, notes_in=int(src.onset.sum()), notes_out=int(out_on.sum()),
        musicality_source=musicality(src.onset, src.sustain, cfg, bars),
        musicality_output=musicality(out_on, out_sus, cfg, bars),
        content={k: content(src.onset, src.sustain, on, sus, cfg, bars) for k, (on, sus) in candidates.items()})
    if cnn is None:
        return score
    x = src.merged()
    keep = cnn.sounding_windows(x)
    score.probs["source"] = cnn.probs(x, keep)
    for k in ("model", "random_target"):
        if k in candidates:
            score.probs[k] = cnn.probs(merge(*candidates[k]), keep)
    if back is not None:
        y = merge(out_on, out_sus)
        score.probs["cycle"] = cnn.probs((back.transform(y) > threshold).astype(np.float32), keep)
    if len(score.probs["source"]):
        score.detected = cnn.genres[int(score.probs["source"].mean(axis=0).argmax())]
    return score


def direction(source: float, output: float, target: float) -> str:
    """"toward" if the output lies nearer the target's value than the source did, "away" if farther, else "same"."""
    before, after = abs(source - target), abs(output - target)
    return "same" if np.isclose(before, after, rtol=1e-9, atol=1e-12) else "toward" if after < before else "away"


def strength_table(scores: list[SongScore], cnn: TargetClassifier, has_cycle: bool) -> dict:
    """Target rate, P(target) and its gain, per window and per song, for the model and the baselines."""
    ok = [s for s in scores if len(s.probs.get("source", ()))]
    t = cnn.target_idx
    src_w = np.concatenate([s.probs["source"] for s in ok])
    src_s = np.stack([s.probs["source"].mean(axis=0) for s in ok])
    table = {}
    for group, key in (("model", "model"), ("identity", "source"), ("random_target", "random_target")):
        if not all(key in s.probs for s in ok):
            continue
        w = np.concatenate([s.probs[key] for s in ok])
        m = np.stack([s.probs[key].mean(axis=0) for s in ok])
        table[group] = {"target_rate_windows": target_rate(w, t), "target_rate_songs": target_rate(m, t),
                        "p_target": float(w[:, t].mean()), "gain_windows": mean_gain(src_w[:, t], w[:, t]),
                        "gain_songs": mean_gain(src_s[:, t], m[:, t])}
    if has_cycle:
        pooled = {k: np.concatenate([s.probs[k] for s in ok]) for k in ("source", "model", "cycle")}
        table["model"]["strength"] = strength(cnn, pooled)
        table["identity"]["strength"] = 0.0  # output = cycle = source: no change by definition
        if "random_target" in table:
            table["random_target"]["strength"] = float("nan")  # a random song has no cycle reconstruction
    return table
