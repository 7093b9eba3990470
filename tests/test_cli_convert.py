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


def test_convert_arranges_by_default_and_edit_runs_the_shipped_edit_model(tmp_path):
    from tests.arrangement_fixtures import band_song

    src = tmp_path / "band.mid"
    write_midi(band_song(), src)  # flute melody, e-bass (33), piano, straight rock kit
    res = run("convert", src, "--to", "jazz", "-o", tmp_path / "a.mid", "--align-beats", "off")
    assert res.exit_code == 0, res.output
    assert "style judge:" in res.stdout and "source genre" not in res.stdout  # arrangement: no source genre read
    res = run("convert", src, "--to", "jazz", "--arrange", "-o", tmp_path / "b.mid", "--align-beats", "off")
    assert res.exit_code == 0, res.output  # the old switch: the same transfer, the same song
    assert read(tmp_path / "a.mid").n_notes(drums=True) == read(tmp_path / "b.mid").n_notes(drums=True)
    res = run("convert", src, "--to", "rock", "--edit", "-o", tmp_path / "e.mid", "--align-beats", "off")
    assert res.exit_code == 0, res.output
    assert "source genre:" in res.stdout  # an edit model detects the source genre and says so
    before, arranged, edited = read(src), read(tmp_path / "a.mid"), read(tmp_path / "e.mid")
    programs = lambda s: sorted(t.program for t in s.tracks)  # noqa: E731
    assert programs(edited) == programs(before) != programs(arranged)  # the edit keeps the band
    assert list(edited.drums[0].pitch) == list(before.drums[0].pitch)
    assert {t.name for t in arranged.tracks} >= {"Bass", "Drums"}
