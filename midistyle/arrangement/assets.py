"""An arrangement assets folder: ``arrangement.json`` naming its genres, and per genre
``<genre>/profile.json`` + the retrieval bank (``bank.json``, ``bank.safetensors``). Numpy only."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ModelError

ASSETS_NAME = "arrangement.json"
ASSETS_FORMAT = "midistyle-arrangement-assets"


def is_assets(path: str | os.PathLike | None) -> bool:
    """Whether ``path`` is a folder of arrangement assets (it holds ``arrangement.json``)."""
    return path is not None and (Path(path) / ASSETS_NAME).is_file()


def assets_genres(path: str | os.PathLike) -> list[str]:
    """The genres an assets folder holds (ModelError when it is not one)."""
    try:
        meta = json.loads((Path(path) / ASSETS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(path, f"not an arrangement assets folder: {exc}") from None
    if meta.get("format") != ASSETS_FORMAT:
        raise ModelError(path, f"not an arrangement assets folder (format {meta.get('format')!r})")
    return list(meta["genres"])


def write_assets_index(path: str | os.PathLike, genres: list[str], **info: Any) -> Path:
    """Write ``arrangement.json`` naming the genres of an assets folder (and what made them)."""
    from ..atomic import write_text

    target = Path(path) / ASSETS_NAME
    write_text(target, json.dumps({"format": ASSETS_FORMAT, "version": 1, "genres": list(genres), **info},
                                  indent=1, sort_keys=True) + "\n")
    return target


def copy_genres(source: str | os.PathLike, target: str | os.PathLike) -> list[str]:
    """Copy ``source``'s genre folders that ``target`` lacks into it (made if needed) and name them in
    its ``arrangement.json``; returns the genres copied."""
    import shutil

    have = assets_genres(target) if is_assets(target) else []
    copied = [g for g in assets_genres(source) if g not in have]
    for genre in copied:
        shutil.copytree(Path(source) / genre, Path(target) / genre, dirs_exist_ok=True)
    if copied:
        old = (json.loads((Path(target) / ASSETS_NAME).read_text(encoding="utf-8")) if is_assets(target)
               else {"copied_from": str(source)})
        write_assets_index(target, [*have, *copied],
                           **{k: v for k, v in old.items() if k not in ("format", "version", "genres")})
    return copied
