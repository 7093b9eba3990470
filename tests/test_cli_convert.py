"""convert: the style judge's verdict beside each output, destinations checked first, --to in any case."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from tests.midi_fixtures import rich_song

from midistyle import transfer
from midistyle.style.verdict import describe_verdict, style_verdict
from midistyle.cli import main
from midistyle.representation import read, write_midi

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_convert_prints_the_style_judges_verdict_and_warns_off_target(tmp_path, tiny_model):
    """`convert --to classical|pop|folk` outputs called another genre by the judge passed silently."""
    write_midi(rich_song(), tmp_path / "in.mid")
    res = run("convert", tmp_path / "in.mid", "--to", "JAZZ", "--model", tiny_model, "-o", tmp_path / "o.mid",
              "--threshold", "0.05", "--from", "pop")
    assert res.exit_code == 0, res.output + res.stderr
    verdict = style_verdict(read(tmp_path / "o.mid"), "jazz")
    line = describe_verdict(verdict)
    assert line in res.stdout.splitlines()
    warned = "warning: the style judge does not call" in res.stderr
    assert warned == (not verdict["matches"])


def test_folder_convert_counts_the_outputs_judged_the_target(tmp_path, tiny_model):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a", "b"):
        write_midi(rich_song(), src / f"{name}.mid")
    res = run("convert", src, "--to", "jazz", "--model", tiny_model, "-o", tmp_path / "out", "--workers", "1",
              "--threshold", "0.05", "--from", "pop")
    assert res.exit_code == 0, res.output + res.stderr
    verdicts = [style_verdict(read(tmp_path / "out" / f"{n}.jazz.mid"), "jazz") for n in ("a", "b")]
    judged = sum(v["matches"] for v in verdicts)
    assert f"style judge: {judged} of 2 outputs judged jazz" in res.stdout
    assert ("not judged jazz by the style judge" in res.stderr) == (judged < 2)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_an_unwritable_destination_is_refused_before_converting(tmp_path, monkeypatch):
    """`convert band.mid --to jazz -o /proc/x.mid` converted for 7 s, then failed."""
    def no_load(*a, **k):
        raise AssertionError("converted before checking the destination")
    monkeypatch.setattr(transfer.Converter, "load", classmethod(no_load))
    write_midi(rich_song(), tmp_path / "in.mid")
    res = run("convert", tmp_path / "in.mid", "--to", "jazz", "-o", "/proc/x.mid")
    assert res.exit_code == 4 and "cannot write" in res.stderr, res.stderr
    (tmp_path / "folder").mkdir()
    write_midi(rich_song(), tmp_path / "folder" / "a.mid")
    res = run("convert", tmp_path / "folder", "--to", "jazz", "-o", "/proc/out")
    assert res.exit_code == 4 and "cannot write" in res.stderr, res.stderr
