"""Layout of a prepared corpus folder and its ``index.json`` (written last, read by the datasets).

A prepared folder holds::

    index.json        what is there: settings, pieces, phrases, shards (written last)
    skipped.csv       path,reason for every file or tune that yielded nothing
    sources.json      genre -> folders (absolute) of every genre in the folder: a later run adds to them
    shards/*.npy      uint8 [rows, 2, phrase_steps, n_pitches] (0 onset, 1 sustain; values 0/1)
    cache/            per-piece results keyed by content hash + settings (makes re-runs resumable)

``index.json`` is normalised: each phrase is a row of ``phrase_columns``
(``shard, row, piece, bar, steps, meter``) and ``piece`` points into ``pieces``, which carry the
genre, split, source file, tune number, grid and content hash. :func:`iter_phrases` joins them.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from ..config import RollConfig, from_dict
from ..errors import InputError

INDEX_NAME = "index.json"
SKIPPED_NAME = "skipped.csv"
SOURCES_NAME = "sources.json"  # genre -> absolute folders of the run in progress or last run (written first)
SHARD_DIR = "shards"
CACHE_DIR = "cache"
FORMAT = "midistyle-phrases"
VERSION = 1
PHRASE_COLUMNS = ("shard", "row", "piece", "bar", "steps", "meter")
SPLITS = ("train", "val")


def read_index(root: str | os.PathLike) -> dict:
    """Load a prepared corpus' ``index.json``.

    Raises
    ------
    InputError
        The folder holds no finished corpus (no index: never prepared, or interrupted).
    """
    path = Path(root) / INDEX_NAME
    if not path.is_file():
        raise InputError(root, "not a prepared corpus (no index.json; run `midistyle prepare`, "
                               "or finish an interrupted one by running it again)")
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"unreadable index: {exc}") from None
    if index.get("format") != FORMAT or index.get("version") != VERSION:
        raise InputError(path, f"not a {FORMAT} v{VERSION} index "
                               f"(found {index.get('format')!r} v{index.get('version')!r})")
    return index


def roll_config(index: dict) -> RollConfig:
    """The :class:`RollConfig` a corpus was prepared with."""
    return from_dict(RollConfig, index["roll_config"])


def iter_phrases(index: dict) -> Iterator[dict]:
    """Every phrase as a flat dict: shard file, row, genre, split, source, tune, bar, steps, meter, grid."""
    pieces, shards = index["pieces"], index["shards"]
    for row in index["phrases"]:
        rec = dict(zip(PHRASE_COLUMNS, row))
        piece = pieces[rec["piece"]]
        rec["shard"] = shards[rec["shard"]]["file"]
        for key in ("genre", "split", "source", "tune", "grid"):
            rec[key] = piece[key]
        yield rec
