"""Atomic writes: a temporary file beside the target, renamed over it only on success."""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

from .errors import MidistyleError, OutputError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    On any exception the temporary file is removed and ``target`` is left as it was.
    The temporary name keeps the target's suffix so writers that look at it still work.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=(suffix if suffix is not None else target.suffix) + ".part",
            dir=target.parent,
        )
    except OSError as exc:
        raise OutputError(target, f"cannot write here: {exc.strerror or exc}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, MidistyleError):
            raise OutputError(target, f"cannot write: {exc.strerror or exc}") from None
        raise


def check_writable(target: str | os.PathLike, *, folder: bool = False) -> None:
    """Raise OutputError unless a file can be written at ``target`` (inside it when ``folder``),
    found by creating and removing a temporary file in the nearest folder that exists, so that a
    long job fails before its work rather than after (``os.access`` says yes to root in /proc).
    """
    target = Path(target)
    where = target if folder else target.parent
    where = where if str(where) else Path(".")
    while not where.exists() and where != where.parent:
        where = where.parent
    if not where.is_dir():
        raise OutputError(target, f"{where} is not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".midistyle-probe.", suffix=".part", dir=where)
    except OSError as exc:
        raise OutputError(target, f"cannot write in {where}: {exc.strerror or exc}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; on success it replaces ``target`` whole.

    The folder is built under a temporary name (``.<name>.*.part``). On success an existing
    ``target`` is first moved aside (``.<name>.old-*``, see :func:`aside_dirs`), the new folder
    renamed into place and the old one removed; a process killed between the two renames leaves
    the old folder aside, complete. On any exception the temporary folder is removed and
    ``target`` is left as it was. The folder and the files in it get the usual umask-based modes.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    except OSError as exc:
        raise OutputError(target, f"cannot write here: {exc.strerror or exc}") from None
    try:
        yield tmp
        umask = _umask()
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700
        for path in tmp.iterdir():
            if path.is_file():
                os.chmod(path, 0o666 & ~umask)
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}") if target.exists() else None
        if old is not None:
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def aside_dirs(target: str | os.PathLike) -> list[Path]:
    """Folders :func:`atomic_dir` moved aside for ``target`` and did not get to remove (oldest name first)."""
    target = Path(target)
    return sorted(p for p in target.parent.glob(f".{glob.escape(target.name)}.old-*") if p.is_dir())


def remove_leftovers(target: str | os.PathLike) -> int:
    """Delete temporary files that :func:`atomic_path` left beside ``target`` when its process was
    killed (SIGKILL cannot be caught). Only for a caller that owns ``target``: a concurrent writer of
    the same target would lose its file. Returns how many were removed."""
    target = Path(target)
    removed = 0
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.part"):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed += 1
    return removed


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    write_bytes(target, text.encode("utf-8"))
