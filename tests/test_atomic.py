"""atomic.py: staged folders that replace their target whole or not at all; destinations checked
before the work (check_writable and its use by batch conversion)."""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from midistyle import batch
from midistyle.atomic import aside_dirs, atomic_dir, check_writable
from midistyle.errors import OutputError


def _unwritable(tmp_path: Path) -> list[Path]:
    """Folders nothing can be written in, even as root: under a file, and /proc on Linux."""
    (tmp_path / "a-file").write_text("x")
    out = [tmp_path / "a-file" / "out"]
    if os.path.isdir("/proc/self"):
        out.append(Path("/proc/x"))
    return out


def test_check_writable(tmp_path):
    check_writable(tmp_path / "new" / "deeper" / "x.mid")  # folders to be made: fine
    check_writable(tmp_path / "out", folder=True)
    assert sorted(tmp_path.iterdir()) == []  # the probe leaves nothing behind, makes no folder
    for bad in _unwritable(tmp_path):
        with pytest.raises(OutputError):
            check_writable(bad / "x.mid")
        with pytest.raises(OutputError):
            check_writable(bad, folder=True)


def test_convert_many_refuses_an_unwritable_destination_before_converting(tmp_path, monkeypatch):
    """`convert folder --to jazz -o /proc/x` used to convert every file, then fail each write."""
    loads = []
    # a converter that says it needs no torch and cannot convert: each file fails, none is written
    monkeypatch.setattr(batch, "load_converter", lambda *a, **k: loads.append(a) or SimpleNamespace(uses_torch=False, arranges=True))
    for bad in _unwritable(tmp_path):
        with pytest.raises(OutputError):
            batch.convert_many([(tmp_path / "a.mid", bad / "a.jazz.mid")], "jazz", workers=1)
    assert loads == []  # refused before any model was loaded
    report = batch.convert_many([(tmp_path / "a.mid", tmp_path / "ok" / "a.jazz.mid")], "jazz", workers=1)
    assert len(loads) == 1 and [src for src, _ in report.failed] == [str(tmp_path / "a.mid")]  # a writable one goes ahead


def test_atomic_dir_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "report"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("1")
    assert (target / "a.txt").read_text() == "1"
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "b.txt").write_text("2")
            raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"] and not (target / "b.txt").exists()
    with atomic_dir(target) as tmp:
        (tmp / "c.txt").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["c.txt"] and aside_dirs(target) == []
    assert oct(target.stat().st_mode & 0o777) != "0o700"  # not mkdtemp's private mode
