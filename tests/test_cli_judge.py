"""``midistyle judge fit``: refits the style judge on a corpus laid out as <genre>/<collection>/."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.representation import write_midi
from midistyle.style import StyleJudge
from tests.midi_fixtures import song


def busy(rng):
    """Fast high notes, one at a time."""
    return song([("Lead", 0, False, [(q, q + 0.25, int(rng.integers(72, 90)), 90) for q in np.arange(0, 16, 0.25)])])


def calm(rng):
    """Slow low chords."""
    return song([("Organ", 19, False, [(q, q + 4, int(rng.integers(40, 52)) + d, 60)
                                       for q in range(0, 16, 4) for d in (0, 4, 7)])])


@pytest.fixture()
def corpus(tmp_path):
    rng = np.random.default_rng(0)
    for genre, make in (("busy", busy), ("calm", calm)):
        for i in range(10):
            (tmp_path / "data" / genre / "set").mkdir(parents=True, exist_ok=True)
            write_midi(make(rng), tmp_path / "data" / genre / "set" / f"{i}.mid")
    return tmp_path


@pytest.mark.slow
def test_judge_fit_writes_a_judge_that_tells_the_genres_apart(corpus):
    pytest.importorskip("sklearn")
    res = CliRunner().invoke(main, ["judge", "fit", "--data", corpus / "data", "--cache", corpus / "cache",
                                    "--out", corpus / "judge", "--grid", "0", "--no-augment", "--c", "0.5",
                                    "--exclude", "other", "--exclude", "more"])
    assert res.exit_code == 0, res.output
    assert res.stdout.rstrip().endswith(f"wrote {corpus / 'judge'}") and "through convert's grid" not in res.stdout
    scores = json.loads(res.stdout[:res.stdout.index("\nwrote")])
    assert set(scores["recall"]) == {"busy", "calm"}
    judge = StyleJudge.load(corpus / "judge")
    assert judge.genres == ("busy", "calm")
    assert judge.info["performance_like_copies"] is False and judge.info["grid_copies"] == 0
    assert judge.info["C"] == 0.5 and judge.info["excluded"] == ["other", "more"]
    assert judge.info["trained_on"]["busy/set"] + judge.info["trained_on"]["calm/set"] == 20 - scores["n"]
    rng = np.random.default_rng(1)
    assert judge.classify(busy(rng))["busy"] > 0.5 and judge.classify(calm(rng))["calm"] > 0.5


@pytest.mark.slow
def test_judge_fit_defaults_add_copies_and_refuse_a_missing_corpus(corpus):
    pytest.importorskip("sklearn")
    res = CliRunner().invoke(main, ["judge", "fit", "--data", corpus / "data", "--cache", corpus / "cache",
                                    "--grid", "4"])
    assert res.exit_code == 0, res.output
    assert "through convert's grid: {" in res.output and "wrote" not in res.output
    assert CliRunner().invoke(main, ["judge", "fit", "--cache", corpus / "cache"]).exit_code == 2
