"""atomic.py: staged folders that replace their target whole or not at all."""
from __future__ import annotations

import pytest

from midistyle.atomic import aside_dirs, atomic_dir


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
