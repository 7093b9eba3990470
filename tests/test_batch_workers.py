"""Batch workers: a retrieval arranger's worker runs without torch (no 1.5 s torch start per worker)."""
from __future__ import annotations

import subprocess
import sys

from midistyle.rearrange import SHIPPED_ASSETS, ArrangementConverter
from midistyle.representation import read, write_midi

from tests.arrangement_fixtures import band_song


def test_an_arrangement_worker_converts_without_importing_torch(tmp_path):
    src, dst = tmp_path / "in.mid", tmp_path / "out.mid"
    write_midi(band_song(), src)
    code = ("import sys\n"
            "from midistyle.batch import _init_worker, _convert_one\n"
            "_init_worker('jazz', None, None, 1)\n"
            f"src, dst, err, info = _convert_one(({str(src)!r}, {str(dst)!r}, 0, 0.5, None, True, False, 'off'))\n"
            "assert err is None, err\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert {t.name for t in read(dst).tracks} >= {"Bass", "Drums"}  # the jazz band was written


def test_only_an_arranger_checkpoint_needs_torch(tmp_path):
    assert not ArrangementConverter(SHIPPED_ASSETS, "jazz").uses_torch
    assert ArrangementConverter(SHIPPED_ASSETS, "jazz", model=tmp_path).uses_torch
