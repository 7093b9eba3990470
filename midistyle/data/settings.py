"""The settings of :func:`~midistyle.data.corpus.prepare` gathered from a sources file and from
arguments (what ``midistyle prepare`` does), checked against ``prepare``'s own signature."""
from __future__ import annotations

import dataclasses
import inspect
import os
from typing import Sequence

from ..config import RollConfig
from ..errors import InputError
from .corpus import PrepareReport, prepare
from .units import load_sources_file

# keyword arguments of prepare that a caller passes, not a sources file
CALLER_ARGUMENTS = frozenset({"cfg", "progress", "keep_genres", "engine", "engine_address"})
GRID_SETTINGS = tuple(f.name for f in dataclasses.fields(RollConfig))  # become prepare's cfg


def file_settings() -> frozenset[str]:
    """The settings a sources file may give besides the grid's: prepare's keyword arguments, less
    :data:`CALLER_ARGUMENTS`."""
    params = inspect.signature(prepare).parameters.values()
    return frozenset(p.name for p in params if p.kind is p.KEYWORD_ONLY) - CALLER_ARGUMENTS


def prepare_settings(srcs: Sequence[str | os.PathLike] = (), genre: str | None = None, *,
                     config: str | os.PathLike | None = None, **flags) -> tuple[dict[str, list[str]], RollConfig, dict]:
    """``(sources, cfg, settings)`` for :func:`prepare` from a sources file and arguments.

    ``config`` names a TOML/JSON file mapping genres to folders, with settings beside them (see
    :func:`~midistyle.data.units.load_sources_file`); ``srcs`` add to ``genre``. ``flags``
    (prepare's keyword arguments and the grid's RollConfig fields; None = not given) override the
    file's settings; ``align_beats`` also overrides the per-source ones. Raises InputError with a
    one-line reason for missing sources or unknown settings.
    """
    sources: dict[str, list[str]] = {}
    settings: dict = {}
    if config is not None:
        sources, settings = load_sources_file(config)
    if srcs:
        if not genre:
            raise InputError(None, "--genre NAME is required when SRC folders are given")
        sources.setdefault(genre, []).extend(str(s) for s in srcs)
    elif genre and genre not in sources:
        raise InputError(None, f"no SRC folders given for genre {genre!r}")
    if not sources:
        raise InputError(None, "nothing to prepare: give SRC... --genre NAME, or --config FILE")
    if flags.get("align_beats") is not None:  # the flag overrides the file, per-source settings included
        for opts in settings.get("source_options", {}).values():
            opts.pop("align_beats", None)
    settings.update({k: v for k, v in flags.items() if v is not None})
    grid = {k: settings.pop(k) for k in GRID_SETTINGS if k in settings}
    allowed = file_settings()
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise InputError(config, f"unknown setting(s) {unknown}; valid: {sorted(allowed | set(grid) | {'sources'})}")
    try:
        return sources, RollConfig(**grid), settings
    except (ValueError, TypeError) as exc:
        raise InputError(config, str(exc)) from None


def prepare_from_settings(srcs: Sequence[str | os.PathLike] = (), genre: str | None = None,
                          out: str | os.PathLike = "prepared", *, config: str | os.PathLike | None = None,
                          workers: int | None = None, hop: int | None = None, bars: int | None = None,
                          steps_per_beat: int | None = None, progress: bool = True, engine: str = "local",
                          engine_address: str | None = None, align_beats: str | None = None,
                          content: str | None = None) -> PrepareReport:
    """Run :func:`prepare` on :func:`prepare_settings` (``bars`` is ``phrase_bars``): what
    ``midistyle prepare SRC... --genre NAME -o OUT [--config FILE] ...`` does. Bad settings raise
    InputError naming ``config``."""
    sources, cfg, settings = prepare_settings(srcs, genre, config=config, workers=workers, hop=hop, phrase_bars=bars,
                                              steps_per_beat=steps_per_beat, align_beats=align_beats,
                                              content=content)
    try:
        return prepare(sources, out, cfg=cfg, progress=progress, engine=engine, engine_address=engine_address,
                       **settings)
    except (ValueError, TypeError) as exc:
        raise InputError(config, str(exc)) from None
