"""Score parts without a MIDI program take the one music21 knows for their instrument name."""
from __future__ import annotations

from midistyle.representation import read

QUARTET = b"""**kern\t**kern\t**kern\t**kern
*Icello\t*Iviola\t*Ivioln\t*Ivioln
*M4/4\t*M4/4\t*M4/4\t*M4/4
=1\t=1\t=1\t=1
4C\t4c\t4e\t4g
4D\t4d\t4f\t4a
==\t==\t==\t==
*-\t*-\t*-\t*-
"""
UNNAMED = b"""**kern\t**kern
*M4/4\t*M4/4
=1\t=1
4c\t4e
==\t==
*-\t*-
"""


def test_kern_quartet_reads_as_strings_and_unnamed_parts_as_piano(tmp_path):
    (tmp_path / "q.krn").write_bytes(QUARTET)
    (tmp_path / "u.krn").write_bytes(UNNAMED)
    quartet = read(tmp_path / "q.krn")
    by_low = sorted(quartet.tracks, key=lambda t: int(t.pitch.min()))
    assert [t.program for t in by_low] == [42, 41, 40, 40]  # cello, viola, violin, violin
    assert {t.program for t in read(tmp_path / "u.krn").tracks} == {0}
