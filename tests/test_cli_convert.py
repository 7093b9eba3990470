"""convert: the judges' verdicts beside each output, destinations checked first, --to in any case."""
from __future__ import annotations

import dataclasses
import os

import pytest
from click.testing import CliRunner
from tests.arrangement_fixtures import band_song
from tests.midi_fixtures import rich_song

from midistyle import transfer
from midistyle.style import StyleJudge, verdict as verdict_module
from midistyle.style.judge import SHIPPED, SHIPPED_ARRANGEMENT
from midistyle.style.verdict import arrangement_verdict, describe_verdict, output_verdicts, style_verdict
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
    assert line in res.stdout.splitlines() and line.startswith("style judge: ")
    assert "arrangement judge" not in res.output  # an edit model keeps the band: its output as before
    warned = "warning: the style judge does not call" in res.stderr
    assert warned == (not verdict["matches"])


@pytest.mark.parametrize("to", ["jazz", "folk"])
def test_an_arranged_output_is_judged_by_the_arrangement_judge_first(tmp_path, to):
    """`convert band.mid --to jazz` printed only the style judge (pop 42%, not jazz) and warned, though
    the arrangement it made was jazz to the judge of arrangements. On rich_song the arrangement judge
    calls the jazz output jazz and misses folk; the style judge's line is an aside that never warns,
    whatever it says, and only the arrangement judge's miss does."""
    write_midi(rich_song(), tmp_path / "in.mid")
    res = run("convert", tmp_path / "in.mid", "--to", to, "-o", tmp_path / "o.mid")
    assert res.exit_code == 0, res.output
    arranged, style = arrangement_verdict(read(tmp_path / "o.mid"), to), style_verdict(read(tmp_path / "o.mid"), to)
    lines = [ln for ln in res.stdout.splitlines() if "judge" in ln]
    assert lines == [describe_verdict(arranged), describe_verdict(style, aside=True)]
    assert lines[0].startswith("arrangement judge: ") and lines[1].startswith("style judge (pitched notes): ")
    assert "not judged" not in lines[1]  # the aside never warns
    if to == "folk":
        assert not style["matches"]  # missed by both judges, and still only the arrangement judge warns
    assert arranged["matches"] == (to == "jazz")  # this fixture: jazz reached, folk missed
    warned = f"warning: the arrangement judge does not call {tmp_path / 'o.mid'} {to}" in res.stderr
    assert warned == (not arranged["matches"]) and "style judge" not in res.stderr


def _renamed(path):
    """The judge at ``path`` with genre names no convert targets: a judge that knows none of them."""
    judge = StyleJudge.load(path)
    return dataclasses.replace(judge, genres=tuple(f"x{g}" for g in judge.genres))


def test_a_genre_the_arrangement_judge_does_not_know_falls_back_to_the_style_judge(tmp_path, monkeypatch):
    write_midi(rich_song(), tmp_path / "in.mid")
    monkeypatch.setitem(verdict_module._JUDGES, SHIPPED_ARRANGEMENT, _renamed(SHIPPED_ARRANGEMENT))
    res = run("convert", tmp_path / "in.mid", "--to", "jazz", "-o", tmp_path / "o.mid")
    assert res.exit_code == 0, res.output
    style = style_verdict(read(tmp_path / "o.mid"), "jazz")
    assert [ln for ln in res.stdout.splitlines() if "judge" in ln] == [
        describe_verdict(style) + " (the arrangement judge knows no jazz)"]
    assert ("warning: the style judge does not call" in res.stderr) == (not style["matches"])
    monkeypatch.setitem(verdict_module._JUDGES, SHIPPED, _renamed(SHIPPED))  # neither judge knows it: no verdict
    res = run("convert", tmp_path / "in.mid", "--to", "jazz", "-o", tmp_path / "o.mid", "--force")
    assert res.exit_code == 0, res.output
    assert "judge" not in res.output and "wrote" in res.stdout


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
    assert "arrangement judge" not in res.output


def test_an_arranged_folder_counts_the_outputs_each_judge_calls_the_target(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_midi(rich_song(), src / "a.mid")
    write_midi(band_song(), src / "b.mid")
    res = run("convert", src, "--to", "folk", "-o", tmp_path / "out", "--workers", "1")
    assert res.exit_code == 0, res.output
    outs = [tmp_path / "out" / f"{n}.folk.mid" for n in ("a", "b")]
    verdicts = [output_verdicts(read(o), "folk", arranged=True) for o in outs]
    by_arrangement = sum(v["arrangement"]["matches"] for v in verdicts)
    by_style = sum(v["style"]["matches"] for v in verdicts)
    assert by_arrangement == 1  # this fixture: band_song's arrangement is folk, rich_song's is not
    assert (f"arrangement judge: {by_arrangement} of 2 outputs judged folk; "
            f"style judge (pitched notes): {by_style} of 2 outputs judged folk") in res.stdout.splitlines()
    assert f"1 output(s) not judged folk by the arrangement judge, e.g. {outs[0]}: " in res.stderr
    assert "by the style judge" not in res.stderr


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
    assert "arrangement judge:" in res.stdout and "source genre" not in res.stdout  # arrangement: no source genre read
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
