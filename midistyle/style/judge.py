"""The style judge: standardised musical features -> multinomial logistic regression. numpy only.

Stored as a folder: ``config.json`` (format version, genres, feature names, what it was trained
on and how well it did) and ``model.safetensors`` (``mean``, ``scale``, ``coef``, ``intercept``
as float64 arrays). No pickle: scikit-learn is only needed to fit one (:mod:`midistyle.style.fit`).
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .feature_sets import FEATURE_SETS, feature_set
from .features import as_song, judged_song

FORMAT = "midistyle-style-judge"
VERSION = 1
CONFIG_NAME, WEIGHTS_NAME = "config.json", "model.safetensors"
SHIPPED = Path(__file__).resolve().parent.parent / "pretrained" / "style_judge"
SHIPPED_ARRANGEMENT = SHIPPED.parent / "arrangement_judge"


@dataclasses.dataclass(frozen=True)
class StyleJudge:
    """A fitted judge. ``coef``: ``[n_genres, n_features]``; ``mean``/``scale``: the standardiser;
    ``info``: what it was trained on (free-form, written to config.json); ``rows``: ``"piece"``
    (fitted on whole pieces) or ``"segments"`` (on 32-beat segments: a piece's verdict is the
    normalised geometric mean of its segments' probabilities)."""

    genres: tuple[str, ...]
    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    info: dict = dataclasses.field(default_factory=dict)
    rows: str = "piece"  # what it was fitted on: "piece" or "segments" (then a piece is judged by its segments)
    align: str = "off"  # "auto": performances off their own grid are re-timed to tracked beats first
    features: str = "notes"  # the feature set it reads (feature_sets.py): "notes" or "arrangement"

    def __post_init__(self) -> None:
        f, c = len(self.feature_names), len(self.genres)
        shapes = {"mean": (f,), "scale": (f,), "coef": (c, f), "intercept": (c,)}
        if self.align not in ("off", "auto"):
            raise ModelError(None, f"style judge align must be 'off' or 'auto', not {self.align!r}")
        if self.features not in FEATURE_SETS:
            raise ModelError(None, f"style judge features must be one of {', '.join(FEATURE_SETS)}, not {self.features!r}")
        if self.rows not in ("piece", "segments"):
            raise ModelError(None, f"style judge rows must be 'piece' or 'segments', not {self.rows!r}")
        for name, shape in shapes.items():
            if np.shape(getattr(self, name)) != shape:
                raise ModelError(None, f"style judge {name} has shape {np.shape(getattr(self, name))}, expected {shape}")

    @classmethod
    def load(cls, directory: str | os.PathLike | None = None) -> "StyleJudge":
        """Load a judge folder (default: the one shipped with midistyle).

        Raises
        ------
        ModelError
            Missing or damaged files, or a judge fitted on other features than this version computes.
        """
        path = Path(directory) if directory is not None else SHIPPED
        try:
            config = json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(path, "no style judge here (config.json missing)") from None
        except (OSError, ValueError) as exc:
            raise ModelError(path, f"unreadable style judge config: {exc}") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ModelError(path, "config.json is not a style judge's")
        if config.get("version") != VERSION:
            raise ModelError(path, f"style judge format version {config.get('version')!r}; this midistyle reads {VERSION}")
        try:
            from safetensors.numpy import load_file
            arrays = load_file(str(path / WEIGHTS_NAME))
        except FileNotFoundError:
            raise ModelError(path, f"{WEIGHTS_NAME} missing") from None
        except Exception as exc:  # safetensors raises its own error types on damaged files
            raise ModelError(path, f"damaged {WEIGHTS_NAME}: {exc}") from None
        missing = {"mean", "scale", "coef", "intercept"} - set(arrays)
        if missing:
            raise ModelError(path, f"{WEIGHTS_NAME} lacks {', '.join(sorted(missing))}")
        names = tuple(config.get("feature_names", ()))
        kind = config.get("features", "notes")
        if kind not in FEATURE_SETS:
            raise ModelError(path, f"this judge reads feature set {kind!r}; this midistyle knows {', '.join(FEATURE_SETS)}")
        if names != feature_set(kind).names:
            raise ModelError(path, "this style judge was fitted on other features than this midistyle computes; refit it")
        return cls(tuple(config["genres"]), names, *(arrays[k].astype(np.float64) for k in
                                                      ("mean", "scale", "coef", "intercept")),
                   info=config.get("info", {}), rows=config.get("rows", "piece"),
                   align=config.get("align", "off"), features=kind)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``config.json`` + ``model.safetensors`` into ``directory`` (replaced whole, atomically)."""
        from safetensors.numpy import save_file

        from ..atomic import atomic_dir

        directory = Path(directory)
        config = {"format": FORMAT, "version": VERSION, "genres": list(self.genres),
                  "feature_names": list(self.feature_names), "rows": self.rows, "align": self.align,
                  "features": self.features, "info": self.info}
        with atomic_dir(directory) as tmp:
            (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
            save_file({k: np.ascontiguousarray(getattr(self, k), np.float64)
                       for k in ("mean", "scale", "coef", "intercept")}, str(tmp / WEIGHTS_NAME))
        return directory

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Genre probabilities of feature rows: ``[n, F]`` (or ``[F]``) -> ``[n, n_genres]`` (or ``[n_genres]``)."""
        x = np.asarray(features, np.float64)
        z = (x - self.mean) / self.scale
        logits = z @ self.coef.T + self.intercept
        logits -= logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=-1, keepdims=True)

    def prepared(self, song):
        """The song as this judge reads it (re-timed to tracked beats when it aligns and the song is off-grid)."""
        return judged_song(song, self.align)

    def feature_rows(self, song, *, prepared: bool = False) -> np.ndarray:
        """The feature rows this judge reads from one Song, ``[n, F]``: its segments' (a judge
        fitted on segments, when the song has any) else the whole piece's, one row."""
        song = song if prepared else self.prepared(song)
        features = feature_set(self.features)
        if self.rows == "segments":
            segs = features.segments(song)
            if len(segs):
                return segs
        return features.piece(song)[None]

    def song_proba(self, song, *, prepared: bool = False) -> np.ndarray:
        """Genre probabilities ``[n_genres]`` of one Song, by whole piece or by its segments (the
        normalised geometric mean of theirs; ``prepared``: the song already went through :meth:`prepared`)."""
        return self.rows_proba(self.feature_rows(song, prepared=prepared))

    def rows_proba(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`song_proba` from one song's :meth:`feature_rows` (for a caller that needs the rows too)."""
        if len(rows) == 1:
            return self.predict_proba(rows[0])
        logp = np.log(self.predict_proba(rows) + 1e-12).mean(axis=0)
        p = np.exp(logp - logp.max())
        return p / p.sum()

    def margin_gaps(self, rows: np.ndarray, reference: np.ndarray, target: str) -> dict[str, np.ndarray]:
        """Where ``rows`` (feature rows, e.g. of converted songs) fall short of ``reference`` rows
        (real songs of ``target``) in this judge's eyes: for each other genre, per feature,
        ``(mean z of reference - mean z of rows) * (coef[target] - coef[other])``, the gain in the
        mean logit margin of ``target`` over that genre if that feature alone moved to the
        reference's mean (z: standardised). Exact for this linear judge: a genre's terms sum to the
        difference of the two mean margins. ValueError for a genre the judge does not know."""
        if target not in self.genres:
            raise ValueError(f"the judge knows no genre {target!r}; it knows {', '.join(self.genres)}")
        z = lambda x: ((np.asarray(x, np.float64).reshape(-1, len(self.mean)) - self.mean) / self.scale).mean(axis=0)  # noqa: E731
        gap, t = z(reference) - z(rows), self.genres.index(target)
        return {g: gap * (self.coef[t] - self.coef[i]) for i, g in enumerate(self.genres) if i != t}

    def classify(self, source, *, tune: int | None = None) -> dict[str, float]:
        """``{genre: probability}`` for one piece (any input :func:`piece_features` takes)."""
        return dict(zip(self.genres, map(float, self.song_proba(as_song(source, tune=tune)))))


def judge_arrangement(source, judge: "StyleJudge | str | os.PathLike | None" = None, *,
                      tune: int | None = None) -> tuple[str, dict[str, float]]:
    """Genre of a song by its arrangement (drums, feel, bass, harmony colour, instruments).

    Parameters
    ----------
    source : a Song, a path (``book.abc#12`` for one tune), or a ``pretty_midi.PrettyMIDI``.
    judge : an arrangement judge or its folder (default: the one shipped with midistyle).

    Returns
    -------
    (genre, {genre: probability})
        The most probable genre and every genre's probability. For evaluation only: no generator
        may train against it.
    """
    if not isinstance(judge, StyleJudge):
        judge = StyleJudge.load(SHIPPED_ARRANGEMENT if judge is None else judge)
    probs = judge.classify(source, tune=tune)
    return max(probs, key=probs.get), probs


__all__ = ["SHIPPED", "SHIPPED_ARRANGEMENT", "StyleJudge", "judge_arrangement"]
