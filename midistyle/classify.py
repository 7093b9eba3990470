"""Genre probabilities of pieces from both classifiers: the style judge and the CNN.

The style judge (:mod:`midistyle.style`) reads the musical features of the raw file's pitched
notes; the CNN (the shipped piano-roll classifier) judges the song's roll window by window, and
its verdict is the mean over the windows in which some note sounds. Folders are walked as
``convert`` walks them: every MIDI/score file, each tune of an ABC book on its own.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Iterator

from .errors import one_line
from .genre_classifier import GenreClassifier
from .representation.files import Piece, find_pieces, file_pieces


@dataclasses.dataclass
class Verdict:
    """One piece's result: ``style``/``cnn`` map genre -> probability, or ``error`` says why not."""

    file: str
    tune: int | None
    style: dict[str, float] | None = None
    cnn: dict[str, float] | None = None
    error: str | None = None

    def record(self) -> dict:
        """The ``--json`` line: ``{file, tune, style, cnn}`` or ``{file, error}``."""
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        return {"file": self.file, "tune": self.tune, "style": _finite(self.style), "cnn": _finite(self.cnn)}


def _finite(probs: dict[str, float] | None) -> dict[str, float | None] | None:
    """NaN (no window of the piece sounds for the CNN) as null: JSON has no NaN."""
    return None if probs is None else {g: (p if p == p else None) for g, p in probs.items()}


def pieces_of(inputs: list[str | os.PathLike]) -> list[tuple[str, Piece]]:
    """``(file as given or found, piece)`` for every input: a folder's pieces, a book's tunes
    (or only ``book.abc#N``), a file as given. A missing path is kept, to fail when read."""
    from .representation.midi_io import split_tune

    out = []
    for item in inputs:
        path, tune = split_tune(item)
        if path.is_dir():
            out.extend((str(p.path), p) for p in find_pieces(path))
        else:
            out.extend((os.fspath(path), p) for p in file_pieces(path, tune))
    return out


def classify(inputs: list[str | os.PathLike], *, judge=None, cnn: GenreClassifier | None | bool = True,
             progress=None) -> Iterator[Verdict]:
    """Verdicts for every piece of ``inputs`` (files, folders, ``book.abc#N``), in order.

    ``judge``: a :class:`~midistyle.style.StyleJudge` (default: the shipped one); ``cnn``: a
    :class:`~midistyle.genre_classifier.GenreClassifier`, True for the shipped one, or False for
    none. A piece that cannot be read gives a Verdict with ``error`` set; models that cannot be
    loaded raise ModelError.
    """
    yield from classify_pieces(pieces_of(inputs), judge=judge, cnn=cnn, progress=progress)


def classify_pieces(pieces: list[tuple[str, Piece]], *, judge=None, cnn: GenreClassifier | None | bool = True,
                    progress=None) -> Iterator[Verdict]:
    """:func:`classify` of pieces already found by :func:`pieces_of` (a folder walked once)."""
    from .representation import read
    from .style import StyleJudge
    from .style.feature_sets import feature_set

    judge = judge or StyleJudge.load()
    features = feature_set(judge.features).piece  # the arrangement judge (--judge) reads other features
    cnn = GenreClassifier.load() if cnn is True else (cnn or None)
    for name, piece in pieces:
        try:
            song = read(piece.source)
            style = dict(zip(judge.genres, map(float, judge.predict_proba(features(judge.prepared(song))))))
            verdict = Verdict(name, piece.tune, style, cnn.song_probs(song) if cnn else None)
        except Exception as exc:  # one piece failing never stops the batch
            why = one_line(exc)
            verdict = Verdict(name, piece.tune, error=why if piece.tune is None else f"tune {piece.tune}: {why}")
        if progress:
            progress(1)
        yield verdict


def table(verdicts: list[Verdict]) -> str:
    """A readable table: per piece the style judge's probabilities and verdict, then the CNN's."""
    ok = [v for v in verdicts if v.error is None]
    if not ok:
        return ""
    genres = list(ok[0].style)
    cnn_genres = list(ok[0].cnn) if ok[0].cnn else []
    names = [v.file if v.tune is None else f"{v.file}#{v.tune}" for v in ok]
    width = min(max(len("piece"), *map(len, names)), 60)
    short = [g[:5] for g in genres]
    cols = " ".join(f"{s:>5}" for s in short)
    verdict = max(map(len, genres + cnn_genres)) + 5  # "classical 0.96" keeps the columns after it in place
    head = f"{'piece':<{width}}  style judge: {cols}  {'verdict':<{verdict}}"
    if cnn_genres:
        head += f" | cnn: {' '.join(f'{g[:5]:>5}' for g in cnn_genres)}  verdict"
    lines = [head.rstrip(), "-" * len(head.rstrip())]
    for name, v in zip(names, ok):
        name = name if len(name) <= width else "..." + name[-(width - 3):]
        line = f"{name:<{width}}  {'':13}" + " ".join(f"{v.style[g]:5.2f}" for g in genres) + \
            f"  {_top(v.style):<{verdict}}"
        if cnn_genres:
            line += f" | {'':4} " + " ".join(f"{v.cnn[g]:5.2f}" for g in cnn_genres) + f"  {_top(v.cnn)}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _top(probs: dict[str, float]) -> str:
    finite = {g: p for g, p in probs.items() if p == p}
    if not finite:
        return "-"
    g = max(finite, key=finite.get)
    return f"{g} {finite[g]:.2f}"


__all__ = ["Verdict", "classify", "classify_pieces", "pieces_of", "table"]
