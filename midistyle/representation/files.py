"""Which files hold music, and the pieces in them: the one listing convert, evaluate, prepare and
classify share.

A folder is searched recursively for MIDI, MusicXML, kern and ABC files; hidden files and folders
(names starting with ".") are passed over. Each tune of an ABC book is a piece of its own, named
``book.abc#12`` as a source and ``book.12`` as the stem of what is made from it
(``book.12.jazz.mid``). Pure path and text work: nothing is parsed as music here.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .abc import book_tunes, decode

MIDI_SUFFIXES = frozenset({".mid", ".midi", ".kar", ".smf", ".rmi"})
SCORE_SUFFIXES = frozenset({".xml", ".mxl", ".musicxml", ".krn", ".abc"})
MUSIC_SUFFIXES = MIDI_SUFFIXES | SCORE_SUFFIXES


def is_music(path: str | os.PathLike) -> bool:
    """Does the file's suffix name a format midistyle reads?"""
    return Path(path).suffix.lower() in MUSIC_SUFFIXES


def music_files(folder: str | os.PathLike) -> list[Path]:
    """Every MIDI/score file under ``folder``, recursively, hidden entries passed over.

    Folders are walked in sorted order, a folder's own files before its subfolders' (the order
    prepared corpora are labelled in, so it must not change).
    """
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / n for n in sorted(names) if not n.startswith(".") and is_music(n))
    return found


@dataclasses.dataclass(frozen=True, order=True)
class Piece:
    """One piece to work on: a file, or tune ``tune`` (its label) of an ABC book holding several."""

    path: Path
    tune: int | None = None

    @property
    def source(self) -> str:
        """What :func:`midistyle.representation.read` takes: ``path`` or ``path#tune``."""
        return str(self.path) if self.tune is None else f"{self.path}#{self.tune}"

    @property
    def stem(self) -> str:
        """``song`` for song.mid, ``book.12`` for tune 12 of book.abc."""
        return self.path.stem if self.tune is None else f"{self.path.stem}.{self.tune}"

    def output_name(self, genre: str, suffix: str = ".mid") -> str:
        """File name of this piece converted to ``genre``: ``book.12.jazz.mid``."""
        return f"{self.stem}.{genre}{suffix}"

    def output_path(self, genre: str, output: str | os.PathLike | None = None) -> Path:
        """Where this piece converted to ``genre`` goes: ``output`` when it names a file;
        :meth:`output_name` inside ``output`` when that is a folder or has no suffix, else in the
        working folder."""
        if output is None:
            return Path(self.output_name(genre))
        output = Path(output)
        return output / self.output_name(genre) if output.suffix == "" or output.is_dir() else output


def file_pieces(path: str | os.PathLike, tune: int | None = None) -> list[Piece]:
    """The pieces of one file: each tune of an ABC book holding several (or only ``tune``), else the file.

    An unreadable book stays one piece, so reading it reports the failure like any other file's.
    """
    path = Path(path)
    if tune is not None:
        return [Piece(path, tune)]
    if path.suffix.lower() == ".abc":
        try:
            book = book_tunes(decode(path.read_bytes()))
        except OSError:
            book = []
        if len(book) > 1:
            return [Piece(path, t.label) for t in book]
    return [Piece(path)]


def find_pieces(source: str | os.PathLike) -> list[Piece]:
    """Every piece under a folder (see :func:`music_files`), or of one file."""
    source = Path(source)
    files = music_files(source) if source.is_dir() else [source]
    return [piece for f in files for piece in file_pieces(f)]


__all__ = ["MIDI_SUFFIXES", "MUSIC_SUFFIXES", "Piece", "SCORE_SUFFIXES", "file_pieces", "find_pieces", "is_music",
           "music_files"]
