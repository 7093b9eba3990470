"""Batch conversion reports the style judge's verdict on each output (issue 29 item 5)."""
from __future__ import annotations

import numpy as np
import pytest
from tests.midi_fixtures import rich_song

from midistyle.batch import convert_many
from midistyle.representation import read, write_midi
from midistyle.style import StyleJudge
from midistyle.style.verdict import arrangement_verdict, describe_verdict, style_verdict

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each


def test_style_verdict_is_the_shipped_judges(tmp_path):
    song = rich_song()
    judge = StyleJudge.load()
    probs = judge.song_proba(song)
    top = judge.genres[int(np.argmax(probs))]
    for to in judge.genres:
        v = style_verdict(song, to)
        assert v["genre"] == top and v["p"] == pytest.approx(probs.max())
        assert v["p_to"] == pytest.approx(probs[judge.genres.index(to)]) and v["matches"] == (to == top)
        line = describe_verdict(v)
        assert line.startswith(f"style judge: {top} ")
        assert (f"not judged {to}" in line) != v["matches"]
    assert style_verdict(song, "polka") is None  # a genre the judge does not know: no verdict


def test_batch_report_carries_each_outputs_verdict(tmp_path, tiny_model):
    for name in ("a", "b"):
        write_midi(rich_song(), tmp_path / f"{name}.mid")
    jobs = [(tmp_path / f"{n}.mid", tmp_path / "out" / f"{n}.jazz.mid") for n in ("a", "b")]
    report = convert_many(jobs, "jazz", model=tiny_model, workers=1, threshold=0.05)
    assert [dst for dst, _ in report.verdicts] == [str(d) for _, d in jobs]
    for dst, v in report.verdicts:
        assert v == style_verdict(read(dst), "jazz")  # the judge on the written file
    assert report.off_target() == [(d, v) for d, v in report.verdicts if v["genre"] != "jazz"]
    assert report.arrangement_verdicts == []  # an edit model: the style judge alone


def test_an_arranged_batch_carries_the_arrangement_judges_verdicts(tmp_path):
    for name in ("a", "b"):
        write_midi(rich_song(), tmp_path / f"{name}.mid")
    jobs = [(tmp_path / f"{n}.mid", tmp_path / "out" / f"{n}.folk.mid") for n in ("a", "b")]
    report = convert_many(jobs, "folk", workers=1)  # the shipped arrangement
    assert [dst for dst, _ in report.arrangement_verdicts] == [str(d) for _, d in jobs]
    for dst, v in report.arrangement_verdicts:
        assert v == arrangement_verdict(read(dst), "folk") and v["judge"] == "arrangement"
    assert [d for d, _ in report.off_target("arrangement")] == [str(d) for _, d in jobs]  # rich_song: not folk
    assert len(report.verdicts) == 2  # the style judge's beside them
