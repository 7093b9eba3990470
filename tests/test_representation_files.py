"""midistyle/representation/files.py: where a converted piece is written."""
from pathlib import Path

from midistyle.representation.files import Piece


def test_output_path_names_converted_pieces(tmp_path):
    song, tune = Piece(Path("in/song.mid")), Piece(Path("in/book.abc"), 12)
    assert song.output_path("jazz") == Path("song.jazz.mid")
    assert tune.output_path("jazz") == Path("book.12.jazz.mid")
    assert song.output_path("jazz", tmp_path) == tmp_path / "song.jazz.mid"  # an existing folder
    assert song.output_path("jazz", tmp_path / "new") == tmp_path / "new" / "song.jazz.mid"  # no suffix: a folder
    assert tune.output_path("jazz", tmp_path / "x.mid") == tmp_path / "x.mid"
    (tmp_path / "dir.mid").mkdir()
    assert song.output_path("pop", tmp_path / "dir.mid") == tmp_path / "dir.mid" / "song.pop.mid"
