"""Destinations are checked before the work: check_writable and its use by batch conversion."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from midistyle import batch as transfer
from midistyle.atomic import check_writable
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
    calls = []
    monkeypatch.setattr(transfer, "_init_worker", lambda *a: calls.append("load"))
    monkeypatch.setattr(transfer, "_convert_one", lambda job: calls.append(job) or (job[0], None, "x", None))
    for bad in _unwritable(tmp_path):
        with pytest.raises(OutputError):
            transfer.convert_many([(tmp_path / "a.mid", bad / "a.jazz.mid")], "jazz", workers=1)
    assert calls == []
    transfer.convert_many([(tmp_path / "a.mid", tmp_path / "ok" / "a.jazz.mid")], "jazz", workers=1)
    assert calls and calls[0] == "load"  # a writable one goes ahead
