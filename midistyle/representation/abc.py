"""ABC books as text: split a book into its tunes and pick one, so music21 parses only that tune.

music21 parses a whole book (an Opus of hundreds of tunes) even when one tune is wanted; splitting
on ``X:`` lines first makes reading tune 900 of a book as fast as reading tune 1. Pure text work:
no music21 here.
"""
from __future__ import annotations

import collections
import dataclasses
import re

from ..errors import InputError

_TUNE_SPLIT = re.compile(r"(?m)^(?=X:)")
_X_LINE = re.compile(r"\AX:[ \t]*(\d*)[^\n]*(\n|\Z)")
_HEADER_FIELD = re.compile(r"^(?:[A-Za-z]:|%%)")


@dataclasses.dataclass(frozen=True)
class Tune:
    """One tune of a book. ``label`` is its ``X:`` number, or its 1-based position when the number
    is missing or repeated in the book; ``header`` holds the book's file-header fields."""

    number: int | None
    position: int
    label: int
    header: str
    body: str

    @property
    def text(self) -> str:
        """The tune as a stand-alone ABC text (file header first)."""
        return self.header + self.body

    def without_number(self) -> str:
        """The text without its ``X:`` line: the same tune under another number is the same."""
        return self.header + _X_LINE.sub("", self.body, count=1)


def decode(data: bytes) -> str:
    """ABC bytes as text: UTF-8, else Latin-1 (old books)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def book_tunes(text: str) -> list[Tune]:
    """The tunes of an ABC text, in order; a text without ``X:`` lines is one tune."""
    parts = _TUNE_SPLIT.split(text)
    if len(parts) == 1:
        return [Tune(None, 1, 1, "", text)] if text.strip() else []
    header = "".join(line + "\n" for line in parts[0].splitlines() if _HEADER_FIELD.match(line))
    numbers = []
    for part in parts[1:]:
        match = _X_LINE.match(part)
        numbers.append(int(match.group(1)) if match and match.group(1) else None)
    counts = collections.Counter(numbers)
    return [Tune(n, pos, n if n is not None and counts[n] == 1 else pos, header, part)
            for pos, (n, part) in enumerate(zip(numbers, parts[1:]), start=1)]


def pick(tunes: list[Tune], tune: int | None, source: str) -> Tune:
    """Tune ``tune`` of a book: by ``X:`` number first, then by position; the first when None."""
    if not tunes:
        raise InputError(source, "no tunes in this score file")
    if tune is None:
        return tunes[0]
    for t in tunes:
        if t.label == tune:
            return t
    if 1 <= tune <= len(tunes):
        return tunes[tune - 1]
    raise InputError(source, f"no tune {tune} (the book holds {len(tunes)})")


__all__ = ["Tune", "book_tunes", "decode", "pick"]
