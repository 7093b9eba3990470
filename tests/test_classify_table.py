"""classify's table keeps its columns in place whatever the verdict's genre name."""
from __future__ import annotations

from midistyle.classify import Verdict, table

GENRES = ("jazz", "classical", "pop", "folk", "rock")


def _probs(top: str) -> dict[str, float]:
    return {g: (0.96 if g == top else 0.01) for g in GENRES}


def test_columns_do_not_shift_on_a_long_genre_name():
    """"classical 0.96" pushed the CNN's columns right by five characters."""
    rows = [Verdict(f"{g}.mid", None, _probs(g), _probs(g)) for g in GENRES]
    lines = table(rows).splitlines()
    bars = {line.index("|") for line in lines if "|" in line}
    assert len(bars) == 1, lines
    assert all("classical 0.96" in line for line in lines if line.startswith("classical.mid"))
