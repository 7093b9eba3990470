"""Seams shared by several commands: one file listing, one-line errors, staged folders, windows."""
from __future__ import annotations

import os

import numpy as np
import pytest

from midistyle.atomic import aside_dirs, atomic_dir
from midistyle.errors import ConfigError, InputError, MidistyleError, one_line
from midistyle.representation import write_midi
from midistyle.representation.files import Piece, find_pieces, music_files
from midistyle.representation.windows import coarsen, grid_factor, overlap_add, windows
from midi_fixtures import song

BOOK = "X:3\nT:Low\nM:4/4\nL:1/4\nK:C\nCDEF|\n\nX:12\nT:High\nM:4/4\nL:1/4\nK:C\ncdef|\n"


def test_convert_evaluate_and_prepare_list_the_same_pieces(tmp_path):
    """convert used to take .hidden.mid and skip .rmi; prepare did the opposite."""
    from midistyle.data.units import discover
    from midistyle.evaluate.report import input_files
    from midistyle.transfer import folder_jobs

    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for i, name in enumerate(("a.mid", "b.RMI", ".hidden.mid", "sub/c.midi", ".git/d.mid")):
        write_midi(song([("Keys", 0, False, [(0.0, 1.0, 60 + i, 90)])]), root / name)  # distinct: no duplicates
    (root / "notes.txt").write_text("x")
    (root / "sub" / "book.abc").write_text(BOOK)
    files = [p.relative_to(root).as_posix() for p in music_files(root)]
    assert files == ["a.mid", "b.RMI", "sub/book.abc", "sub/c.midi"]
    sources = [p.source for p in find_pieces(root)]
    assert [os.path.relpath(s, root) for s in sources] == ["a.mid", "b.RMI", "sub/book.abc#3", "sub/book.abc#12",
                                                           "sub/c.midi"]
    assert [s for s, _ in folder_jobs(root, tmp_path / "out", "jazz")] == sources
    assert [p.source for p in input_files(root)] == sources
    found = discover({"pop": [str(root)]})
    assert [u.source for u in found.units] == sources


def test_pieces_name_their_outputs_once():
    assert Piece(__import__("pathlib").Path("d/book.abc"), 12).output_name("jazz") == "book.12.jazz.mid"
    assert Piece(__import__("pathlib").Path("d/song.mid")).output_name("rock", ".wav") == "song.rock.wav"


def test_one_line_names_the_reason_once_and_folds_lines():
    assert one_line(InputError("a.mid", "no notes")) == "no notes"
    assert one_line(KeyError('x')) == "KeyError: 'x'" and one_line(OSError("a\n  b")) == "OSError: a b"
    assert one_line(RuntimeError("")) == "RuntimeError"
    assert one_line(ValueError("bad\x1b[31m value"), typed=False) == "bad [31m value"
    assert one_line(ValueError("x" * 500), limit=50) == ("ValueError: " + "x" * 500)[:50]
    err = ConfigError("unknown preset 'huge'")
    assert isinstance(err, ValueError) and isinstance(err, MidistyleError) and err.exit_code == 2


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


def test_windows_cover_the_song_and_blend_back():
    x = np.random.default_rng(0).random((2, 150, 84)).astype(np.float32)
    cut, starts = windows(x, 64)
    assert cut.shape == (len(starts), 2, 64, 84) and starts.tolist() == [0, 32, 64, 96]
    assert np.allclose(overlap_add(cut, starts, 150), x, atol=1e-6)


def test_coarsen_keeps_every_onset_and_sounding_step_on_the_coarser_grid():
    x = np.zeros((2, 14, 3), np.float32)
    x[0, 1, 0] = x[1, 1:7, 0] = 1  # a triplet-position onset, sounding 6 fine steps
    x[0, 13, 2] = x[1, 13, 2] = 1  # the last, partial coarse step
    y = coarsen(x, 3)
    assert y.shape == (2, 5, 3) and y.dtype == np.float32
    assert y[0, :, 0].tolist() == [1, 0, 0, 0, 0] and y[1, :, 0].tolist() == [1, 1, 1, 0, 0]
    assert y[:, 4, 2].tolist() == [1, 1] and y[:, :4, 2].sum() == 0 and y[:, :, 1].sum() == 0
    assert coarsen(x, 1) is x
    from midistyle.config import RollConfig
    assert grid_factor(RollConfig(steps_per_beat=12), RollConfig()) == 3 and grid_factor(RollConfig(), RollConfig()) == 1
    assert grid_factor(RollConfig(steps_per_beat=6), RollConfig()) is None
    assert grid_factor(RollConfig(steps_per_beat=12, high_pitch=108), RollConfig()) is None
    with pytest.raises(ValueError, match="factor"):
        coarsen(x, 0)
