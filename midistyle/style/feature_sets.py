"""What a judge reads: a name -> feature set registry shared by :mod:`.judge` and :mod:`.fit`.

``"notes"``: the style judge's features of the pitched notes (:mod:`.features`), by piece and by
32-beat segment. ``"arrangement"``: what a listener hears, drums, feel, bass, harmony colour,
instruments (:mod:`.arrangement`), by whole piece only.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from ..errors import ModelError
from ..representation.song import Song


@dataclasses.dataclass(frozen=True)
class FeatureSet:
    """``piece(song) -> [F]``; ``segments(song) -> [m, F]``; ``rows(song) -> (piece [F] or None when
    there is nothing to read, segments [m, F])`` (one pass, for fitting)."""

    name: str
    names: tuple[str, ...]
    groups: dict
    piece: Callable[[Song], np.ndarray]
    segments: Callable[[Song], np.ndarray]
    rows: Callable[[Song], tuple]


def _notes() -> FeatureSet:
    from .features import FEATURE_GROUPS, FEATURE_NAMES, note_features, segment_features, segment_rows, song_features
    from .frame import beat_notes

    def rows(song):
        notes = beat_notes(song)
        if notes.pitch.size == 0:
            return None, np.zeros((0, len(FEATURE_NAMES)))
        return note_features(notes), segment_rows(notes)

    return FeatureSet("notes", tuple(FEATURE_NAMES), FEATURE_GROUPS, song_features, segment_features, rows)


def _arrangement() -> FeatureSet:
    from .arrangement import ARRANGEMENT_GROUPS, ARRANGEMENT_NAMES, arrangement_features

    def none(song):
        return np.zeros((0, len(ARRANGEMENT_NAMES)))

    def rows(song):
        return (arrangement_features(song) if song.n_notes() else None), none(song)

    return FeatureSet("arrangement", tuple(ARRANGEMENT_NAMES), ARRANGEMENT_GROUPS, arrangement_features, none, rows)


_REGISTRY: dict[str, Callable[[], FeatureSet]] = {"notes": _notes, "arrangement": _arrangement}
FEATURE_SETS = tuple(_REGISTRY)


def feature_set(name: str) -> FeatureSet:
    """The feature set called ``name``; ModelError listing the known ones otherwise."""
    if name not in _REGISTRY:
        raise ModelError(None, f"unknown feature set {name!r}; known: {', '.join(FEATURE_SETS)}")
    return _REGISTRY[name]()


__all__ = ["FEATURE_SETS", "FeatureSet", "feature_set"]
