"""render: --tune like the other commands, the WAV lands here as convert's MIDI does, the reader's words."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import midistyle.render as R
from midistyle.cli import main

BOOK = "X:3\nT:Low\nM:4/4\nL:1/4\nK:C\nCDEF|GABc|\n\nX:5\nT:High\nM:3/4\nL:1/4\nK:C\ncde|fga|\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def fake_synth(tmp_path, monkeypatch):
    got = {}
    monkeypatch.setattr(R, "_synthesize", lambda pm, *a: got.setdefault("pm", pm) is not None and np.zeros((10, 2)))
    monkeypatch.setattr(R, "_check_soundfont", lambda p: p)
    monkeypatch.setattr(R, "find_soundfont", lambda p=None: tmp_path)
    monkeypatch.setattr(R, "_write_wav", lambda out, audio, rate: got.setdefault("out", out))
    return got


def test_render_takes_tune_and_writes_here(tmp_path, monkeypatch, fake_synth):
    """render had no --tune; it wrote beside the input where convert writes here."""
    (tmp_path / "in").mkdir()
    (tmp_path / "here").mkdir()
    book = tmp_path / "in" / "book.abc"
    book.write_text(BOOK)
    monkeypatch.chdir(tmp_path / "here")
    res = run("render", book, "--tune", "5")
    assert res.exit_code == 0, res.output
    assert [n.pitch for n in fake_synth["pm"].instruments[0].notes][:3] == [72, 74, 76]  # tune 5, not 3
    assert res.output.strip() == "wrote book.5.wav"
    res = run("render", f"{book}#3", "--tune", "5")
    assert res.exit_code == 3 and "different tunes" in res.output


def test_render_of_an_empty_file_says_what_the_reader_says(tmp_path):
    """render said "(EOFError: )" where every other command says "not a MIDI file"."""
    empty = tmp_path / "empty.mid"
    empty.write_bytes(b"")
    res = run("render", empty, "-o", tmp_path / "e.wav")
    inspect = run("inspect", empty)
    assert res.exit_code == inspect.exit_code == 3
    assert res.output == inspect.output and "not a MIDI file (no MThd header)" in res.output
