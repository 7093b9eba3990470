"""Find the work for corpus preparation: walk the sources, hash contents, split ABC books, drop duplicates.

A *unit* is one piece to process: a MIDI file, a score file, or one tune of an ABC book (so the
~12k tunes of a few dozen books spread over all workers). Its content hash (sha1 of the file's
bytes; of the tune's text without its ``X:`` line for book tunes) keys the cache, decides the
train/val side and finds duplicates: the first copy in source order is kept, later ones are
reported as ``duplicate of <first>``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Mapping, Sequence

from ..errors import InputError
from ..representation.abc import book_tunes, decode
from ..representation.files import SCORE_SUFFIXES, music_files
_GENRE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclasses.dataclass(frozen=True)
class Unit:
    """One piece to turn into phrases.

    ``kind`` is ``"midi"``, ``"score"`` (read with :func:`midistyle.representation.read`) or
    ``"abc"`` (one tune, whose text travels in ``text``). ``tune`` is the tune's ``X:`` number
    (its 1-based position when the number is missing or repeated); ``None`` for whole files.
    """

    genre: str
    path: str
    sha1: str
    kind: str
    size: int
    tune: int | None = None
    position: int = 0
    text: str | None = None
    align: str = "auto"  # --align-beats mode for this piece (representation/beats.py)
    max_phrases: int | None = None  # keep at most this many phrases, spread over the piece

    @property
    def tag(self) -> str:
        """The per-piece settings, as they name its cached result."""
        return self.align + ("" if self.max_phrases is None else f"-max{self.max_phrases}")

    @property
    def source(self) -> str:
        """``path``, or ``path#tune`` for a tune of a book (what :func:`read` accepts)."""
        return self.path if self.tune is None else f"{self.path}#{self.tune}"

    @property
    def cost(self) -> float:
        """Rough seconds of work, used only to balance the workers (largest first)."""
        if self.kind == "midi":
            return 0.001 + self.size * 3e-8
        if self.kind == "abc":
            return 0.005 + self.size * 4e-5
        return 0.05 + self.size * (2e-4 if self.path.lower().endswith(".mxl") else 2e-5)


@dataclasses.dataclass
class Discovery:
    """What :func:`discover` found: units to process, files found per genre, duplicates."""

    units: list[Unit]
    files: dict[str, int]
    tunes: dict[str, int]
    duplicates: list[tuple[str, str, str]]  # (genre, source, reason)


def discover(sources: Mapping[str, Sequence[str | os.PathLike]], *, align: str = "auto",
             source_options: Mapping[str, Mapping] | None = None) -> Discovery:
    """Walk ``genre -> [folders or files]`` in order and list the units, without parsing music.

    Folders are searched recursively for MIDI, MusicXML, kern and ABC files (hidden entries are
    ignored); files named explicitly are taken whatever their suffix. Every unit gets ``align``
    and no phrase cap, unless ``source_options`` (folder or file as given -> ``{"align_beats":
    mode, "max_phrases": n}``) says otherwise for the entry it was found under.

    Raises
    ------
    InputError
        A source is missing, a genre name is unusable, or a genre has no music files.
    """
    units: list[Unit] = []
    files: dict[str, int] = {}
    tunes: dict[str, int] = {}
    duplicates: list[tuple[str, str, str]] = []
    seen: dict[str, str] = {}  # content hash -> first source
    listed: set[Path] = set()
    for genre, entries in sources.items():
        if not _GENRE_NAME.match(genre):
            raise InputError(None, f"bad genre name {genre!r}: use letters, digits, '_', '-', '.'")
        if isinstance(entries, (str, os.PathLike)):
            entries = [entries]
        paths = [(p, _options(source_options, entry, align)) for entry in entries for p in _walk(Path(entry))]
        files[genre] = tunes[genre] = 0
        for path, opts in paths:
            real = path.resolve()
            if real in listed:  # the same file reached twice (overlapping folders)
                continue
            listed.add(real)
            files[genre] += 1
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
            sha = hashlib.sha1(data).hexdigest()
            if sha in seen:
                duplicates.append((genre, str(path), f"duplicate of {seen[sha]}"))
                continue
            seen[sha] = str(path)
            if path.suffix.lower() == ".abc":
                book = [dataclasses.replace(u, **opts) for u in _book_units(genre, path, data)]
                tunes[genre] += len(book)
                for unit in book:
                    if unit.sha1 in seen:
                        duplicates.append((genre, unit.source, f"duplicate of {seen[unit.sha1]}"))
                    else:
                        seen[unit.sha1] = unit.source
                        units.append(unit)
            else:
                kind = "score" if path.suffix.lower() in SCORE_SUFFIXES else "midi"
                units.append(Unit(genre, str(path), sha, kind, len(data), **opts))
        if files[genre] == 0:
            raise InputError(", ".join(map(str, entries)) or genre,
                             f"no MIDI, MusicXML, kern or ABC files for genre {genre!r}")
    return Discovery(units, files, tunes, duplicates)


def _options(source_options: Mapping[str, Mapping] | None, entry, align: str) -> dict:
    """Unit fields for pieces found under ``entry``: its own settings over the run's."""
    own = dict((source_options or {}).get(str(entry), {}))
    return {"align": own.get("align_beats", align), "max_phrases": own.get("max_phrases")}


def _walk(entry: Path) -> list[Path]:
    if entry.is_file():
        return [entry]
    if not entry.is_dir():
        raise InputError(entry, "no such file or folder")
    return music_files(entry)


def _book_units(genre: str, path: Path, data: bytes):
    for t in book_tunes(decode(data)):
        sha = hashlib.sha1(t.without_number().strip().encode("utf-8")).hexdigest()
        yield Unit(genre, str(path), sha, "abc", len(t.text.encode("utf-8")), t.label, t.position, t.text)


def load_sources_file(path: str | os.PathLike) -> tuple[dict[str, list[str]], dict]:
    """Read a TOML or JSON file mapping genres to folders: ``{"jazz": ["data/jazz"], ...}``.

    Settings may sit beside the genres when the genres are under a ``sources`` table
    (``{"sources": {...}, "phrase_bars": 4, "hop": 2}``). Relative folders are resolved against
    the file's own folder. Returns ``(sources, settings)``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise InputError(path, f"cannot read the sources file: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(path, "the sources file must map genres to lists of folders")
    settings = {}
    if "sources" in data:
        settings = {k: v for k, v in data.items() if k != "sources"}
        data = data["sources"]
    sources: dict[str, list[str]] = {}
    options: dict[str, dict] = {}
    for genre, entries in data.items():
        entries = [entries] if isinstance(entries, (str, dict)) else entries
        if not isinstance(entries, list) or not all(isinstance(e, (str, dict)) for e in entries):
            raise InputError(path, f"genre {genre!r}: expected a folder, a list of folders, or tables "
                                   "{path = ..., align_beats = ..., max_phrases = ...}")
        sources[genre] = []
        for e in entries:
            own = dict(e) if isinstance(e, dict) else {"path": e}
            where = own.pop("path", None)
            if not isinstance(where, str):
                raise InputError(path, f"genre {genre!r}: a source table needs path = \"FOLDER\"")
            unknown = sorted(set(own) - set(SOURCE_SETTINGS))
            if unknown:
                raise InputError(path, f"genre {genre!r}, {where}: unknown source setting(s) {unknown}; "
                                       f"valid: {sorted(SOURCE_SETTINGS)}")
            full = str(where if Path(where).is_absolute() else path.parent / where)
            sources[genre].append(full)
            if own:
                options[full] = own
    if options:
        settings["source_options"] = options
    return sources, settings


SOURCE_SETTINGS = ("align_beats", "max_phrases")  # what one source folder may set for its pieces
