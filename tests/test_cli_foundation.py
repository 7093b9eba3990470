"""inspect / roll / quantize through the CLI: outputs, one-line errors, exit codes, no stray files."""
from __future__ import annotations

import pretty_midi
import pytest
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.representation import write_midi
from midi_fixtures import rich_midi_bytes, song


@pytest.fixture
def rich(tmp_path):
    path = tmp_path / "rich.mid"
    path.write_bytes(rich_midi_bytes())
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_inspect_shows_tracks_meters_tempi_and_grid(rich):
    res = run("inspect", rich)
    assert res.exit_code == 0, res.output
    for text in ("Piano", "Electric Bass (finger)", "drums", "1/4 at q0", "6/8 at q15",
                 "90.0 qpm", "70.0 qpm", "bars     7", "0 of 11 onsets off the grid"):
        assert text in res.output


def test_inspect_lists_the_tunes_of_an_abc_book(tmp_path):
    book = tmp_path / "book.abc"
    tunes = "".join(f"X:{n}\nT:Tune {n}\nM:2/4\nL:1/8\nK:D\n{'ABcd' * (i + 1)}|\n\n"
                    for i, n in enumerate((4, 8, 15, 16, 23)))
    book.write_text(tunes)
    res = run("inspect", f"{book}#16")
    assert res.exit_code == 0, res.output
    assert f"{book}#16" in res.output and "16 notes" in res.output  # tune 16 (4th) has 16 notes
    assert "book     5 tunes (4, 8, 15 ... 23)" in res.output
    single = tmp_path / "one.abc"
    single.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:D\nABcd|\n")
    assert "book" not in run("inspect", single).output


def test_quantize_writes_grid_version_and_refuses_overwrites(rich, tmp_path):
    out = tmp_path / "q.mid"
    res = run("quantize", rich, "-o", out)
    assert res.exit_code == 0, res.output
    pm = pretty_midi.PrettyMIDI(str(out))
    assert [(i.name, i.is_drum) for i in pm.instruments] == [("Piano", False), ("Bass", False), ("Drums", True)]
    again = run("quantize", rich, "-o", out)
    assert again.exit_code == 4 and "already exists" in again.output
    before = rich.read_bytes()
    same = run("quantize", rich, "-o", rich, "--force")
    assert same.exit_code == 4 and "input file" in same.output
    assert rich.read_bytes() == before


def test_quantize_triplets_with_12_steps(tmp_path):
    src = tmp_path / "trip.mid"
    write_midi(song([("L", 0, False, [(i / 3, (i + 1) / 3, 60 + i, 80) for i in range(6)])]), src)
    out = tmp_path / "t.mid"
    res = run("quantize", src, "-o", out, "--steps-per-beat", 12)
    assert res.exit_code == 0 and "0 onsets moved" in res.output
    res4 = run("quantize", src, "-o", tmp_path / "t4.mid")
    assert "4 onsets moved" in res4.output


@pytest.mark.parametrize("content,reason", [
    (None, "no such file"),
    (b"not midi at all", "not a MIDI file"),
    (rich_midi_bytes()[:40], "malformed MIDI|no notes"),
])
def test_bad_input_one_line_no_output(tmp_path, content, reason):
    import re
    src = tmp_path / "bad.mid"
    if content is not None:
        src.write_bytes(content)
    for cmd in (["inspect", src], ["quantize", src, "-o", tmp_path / "o.mid"],
                ["roll", src, "-o", tmp_path / "o.png"]):
        res = run(*cmd)
        assert res.exit_code == 3, (cmd, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and str(src) in lines[0]
        assert re.search(reason, lines[0]) and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == (["bad.mid"] if content else [])


def test_roll_draws_png(rich, tmp_path):
    out = tmp_path / "r.png"
    res = run("roll", rich, "-o", out, "--bars", "1:5")
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = run("roll", rich, "-o", tmp_path / "x.png", "--bars", "a:b")
    assert bad.exit_code == 2


def test_drums_only_file_is_refused_by_quantize(tmp_path):
    src = tmp_path / "drums.mid"
    write_midi(song([("D", 0, True, [(0, 1, 36, 100)])]), src)
    assert "no pitched notes" in run("inspect", src).output
    res = run("quantize", src, "-o", tmp_path / "o.mid")
    assert res.exit_code == 3 and "only drum" in res.output
