"""representation/files.py: the one listing of music files that convert, evaluate and prepare share."""
from __future__ import annotations

import os
from pathlib import Path

from midistyle.representation import write_midi
from midistyle.representation.files import Piece, find_pieces, music_files
from tests.midi_fixtures import song

BOOK = "X:3\nT:Low\nM:4/4\nL:1/4\nK:C\nCDEF|\n\nX:12\nT:High\nM:4/4\nL:1/4\nK:C\ncdef|\n"


def test_convert_evaluate_and_prepare_list_the_same_pieces(tmp_path):
    """convert used to take .hidden.mid and skip .rmi; prepare did the opposite."""
    from midistyle.data.units import discover
    from midistyle.evaluate.report import input_files
    from midistyle.batch import folder_jobs

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


def test_output_path_names_converted_pieces(tmp_path):
    one, tune = Piece(Path("in/song.mid")), Piece(Path("in/book.abc"), 12)
    assert one.output_path("jazz") == Path("song.jazz.mid")
    assert tune.output_path("jazz") == Path("book.12.jazz.mid")
    assert one.output_path("jazz", tmp_path) == tmp_path / "song.jazz.mid"  # an existing folder
    assert one.output_path("jazz", tmp_path / "new") == tmp_path / "new" / "song.jazz.mid"  # no suffix: a folder
    assert tune.output_path("jazz", tmp_path / "x.mid") == tmp_path / "x.mid"
    (tmp_path / "dir.mid").mkdir()
    assert one.output_path("pop", tmp_path / "dir.mid") == tmp_path / "dir.mid" / "song.pop.mid"
