"""midistyle/evaluate/ship_bar.py and ``midistyle bar``: the ship bar's verdict on synthetic evaluate reports."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.evaluate.ship_bar import GENRE_BAR, ship_bar


def report(to="jazz", outputs=0.9, real=1.0, f1=0.5, sources=1.2, out_dist=0.8, profile=True):
    """The parts of an evaluate report.json the bar reads (as evaluate writes them: NaN as null)."""
    groups = {"rhythm": {"moved": "toward"}, "pitch": {"moved": "away"}, "texture": {"moved": "toward"}}
    style = {"songs": 8, "empty_outputs": 0,
             "target_rate": {"inputs": 0.125, "outputs": outputs, "target_real": real, "target_real_on_grid": 0.9}}
    if profile:
        style["profile"] = {"groups": groups, "distance": {"sources": sources, "outputs": out_dist}}
    return {"format": "midistyle-evaluate", "to": to, "model": "shipped", "style_judge": style,
            "content": {"model": {"onset_f1": f1}, "identity": {"onset_f1": 1.0}},
            "strength": {"model": {"target_rate_songs": 0.75}}}


def test_each_part_of_the_bar():
    ok = ship_bar(report())
    assert ok["verdict"] == "PASS" and ok["ratio"] == pytest.approx(0.9) and ok["to"] == "jazz"
    assert ok["moved_toward"] == ["rhythm", "texture"] and ok["cnn_outputs"] == 0.75
    assert ok["checks"] == {"genre": True, "onset F1": True, "profile farther from the target": True}
    # exactly 0.85 x real recognition passes; just under fails
    assert ship_bar(report(outputs=GENRE_BAR * 0.8, real=0.8))["verdict"] == "PASS"
    assert ship_bar(report(outputs=0.67, real=0.8))["verdict"] == "fail (genre)"
    assert ship_bar(report(f1=0.39))["verdict"] == "fail (onset F1)"
    assert ship_bar(report(out_dist=1.3))["verdict"] == "fail (profile farther from the target)"
    assert ship_bar(report(outputs=0.1, f1=0.1, out_dist=2.0))["verdict"] == \
        "fail (genre, onset F1, profile farther from the target)"
    assert ship_bar(report(profile=False))["verdict"] == "PASS"  # no profile: that part cannot tell


def test_an_incomplete_report_cannot_pass():
    for missing in (report(real=None), report(outputs=None), report(f1=None)):
        r = ship_bar(missing)
        assert r["verdict"] == "n/a" and r["checks"] is None and r["ratio"] is None
    assert ship_bar({"to": "pop"})["verdict"] == "n/a"


def test_bar_command_writes_json_and_exits_by_verdict(tmp_path):
    (tmp_path / "jazz").mkdir()
    (tmp_path / "jazz" / "report.json").write_text(json.dumps(report()))
    (tmp_path / "pop.json").write_text(json.dumps(report("pop", outputs=0.5)))
    runner = CliRunner()
    res = runner.invoke(main, ["bar", str(tmp_path / "jazz"), "-o", str(tmp_path / "bar.json")])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("jazz: PASS") and "wrote" in res.stdout
    written = json.loads((tmp_path / "bar.json").read_text())
    assert [r["verdict"] for r in written] == ["PASS"] and written[0]["bar"] == {"genre": 0.85, "onset_f1": 0.4}
    res = runner.invoke(main, ["bar", str(tmp_path / "jazz"), str(tmp_path / "pop.json"), "-o",
                               str(tmp_path / "bar.json"), "--force"])
    assert res.exit_code == 1 and "pop: fail (genre)" in res.stdout
    assert [r["to"] for r in json.loads((tmp_path / "bar.json").read_text())] == ["jazz", "pop"]
    assert runner.invoke(main, ["bar", str(tmp_path / "jazz"), "-o", str(tmp_path / "bar.json")]).exit_code == 4
    (tmp_path / "broken.json").write_text("{")
    bad = runner.invoke(main, ["bar", str(tmp_path / "broken.json")])
    assert bad.exit_code == 3 and bad.output.startswith("Error: ") and "not a readable evaluate report" in bad.output
    assert runner.invoke(main, ["bar", str(tmp_path / "nothing")]).exit_code == 3
