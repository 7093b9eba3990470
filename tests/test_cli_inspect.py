"""inspect, roll and quantize: the grid they use is said and fits the file; --align-beats is a flag."""
from __future__ import annotations

from click.testing import CliRunner
from tests.midi_fixtures import song

from midistyle.cli import main
from midistyle.representation import write_midi
from midistyle.representation.roll import fitting_grid


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def triplets():
    """Eighth-note triplets, as the shipped to_jazz model (12 steps per quarter) writes them."""
    return song([("Piano", 0, False, [(q / 3, q / 3 + 0.3, 60 + q % 7, 80) for q in range(96)])],
                keys=((1 / 480, 4),))  # a key a tick in: "at q0", not "at q0.00208333"


def sixteenths():
    return song([("Piano", 0, False, [(q / 4, q / 4 + 0.25, 60 + q % 5, 80) for q in range(64)])])


def test_fitting_grid():
    assert fitting_grid(sixteenths()) == 4 and fitting_grid(triplets()) == 12


def test_roll_draws_a_triplet_file_at_12_steps_and_says_so(tmp_path):
    """`roll` of a jazz output drew its triplets as 16ths, and printed "1 instruments"."""
    write_midi(triplets(), tmp_path / "t.mid")
    res = run("roll", tmp_path / "t.mid", "-o", tmp_path / "t.png")
    assert res.exit_code == 0, res.output
    assert "(8 bars, 1 instrument, 12 steps per quarter)" in res.output
    res = run("roll", tmp_path / "t.mid", "-o", tmp_path / "t4.png", "--steps-per-beat", "4")
    assert "4 steps per quarter" in res.output  # asked for: kept


def test_compare_says_which_bars_and_grid_it_drew(tmp_path):
    """`compare --bars 8:16` printed "(133 bars)"."""
    long = song([("Piano", 0, False, [(q / 4, q / 4 + 0.25, 60 + q % 5, 80) for q in range(20 * 16)])])
    write_midi(long, tmp_path / "a.mid")
    write_midi(long, tmp_path / "b.mid")
    res = run("compare", tmp_path / "a.mid", tmp_path / "b.mid", "-o", tmp_path / "c.png", "--bars", "8:16")
    assert res.exit_code == 0, res.output
    assert "(bars 8:16 of 20, 4 steps per quarter)" in res.output


def test_inspect_names_each_shipped_models_grid_and_rounds_positions(tmp_path):
    """inspect said "the shipped models move them to 4 steps per quarter"; to_jazz works at 12."""
    write_midi(triplets(), tmp_path / "t.mid")
    res = run("inspect", tmp_path / "t.mid")
    assert res.exit_code == 0, res.output
    assert "to_jazz 12" in res.output and "4 steps per quarter" in res.output
    keys = next(line for line in res.output.splitlines() if line.strip().startswith("keys"))
    assert keys.endswith(" at q0")  # a key a tick in: not "at q0.00208333"


def test_align_beats_is_a_flag_that_does_not_swallow_the_file(tmp_path):
    """`quantize --align-beats FILE -o x.mid` read FILE as the mode and failed."""
    write_midi(sixteenths(), tmp_path / "s.mid")
    res = run("quantize", "--align-beats", tmp_path / "s.mid", "-o", tmp_path / "q.mid")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "q.mid").is_file()
    for old in (["--align-beats=off"], ["--align-beats", "auto"], ["--align-beats-mode", "on"]):  # old spellings
        res = run("quantize", *old, tmp_path / "s.mid", "-o", tmp_path / "q.mid", "--force")
        assert res.exit_code == 0, (old, res.output)
    res = run("quantize", "--align-beats", "--align-beats-mode", "off", tmp_path / "s.mid", "-o", tmp_path / "q.mid",
              "--force")
    assert res.exit_code == 2 and "disagree" in res.output
