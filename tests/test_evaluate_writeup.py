"""The evaluate report's words: every number named by its classifier, content beside the verdicts."""
from __future__ import annotations

import shutil

import pytest
import torch
from tests.midi_fixtures import rich_song, song

from midistyle.config import RollConfig
from midistyle.evaluate import plots
from midistyle.evaluate.report import evaluate
from midistyle.evaluate.writeup import headline, markdown
from midistyle.models.checkpoint import save_checkpoint
from midistyle.models.registry import build_model
from midistyle.config import ModelConfig
from midistyle.representation import write_midi

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report of outputs that are copies of their inputs, judged by a tiny CNN and the shipped style judge."""
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("eval")
    c = build_model(ModelConfig(kind="classifier", base_channels=4, n_classes=2))
    save_checkpoint(root / "clf", {"C": c}, {"kind": "classifier", "roll": RollConfig(), "genres": ["pop", "jazz"],
                                             "phrase_steps": 64})
    (root / "in").mkdir()
    (root / "conv").mkdir()
    write_midi(rich_song(), root / "in" / "rich.mid")
    notes = [(float(q), q + 1.0, 48 + (q * 7) % 24, 90) for q in range(32)]
    write_midi(song([("Sax", 65, False, notes)]), root / "in" / "sax.mid")
    for f in (root / "in").iterdir():
        shutil.copy(f, root / "conv" / f"{f.stem}.jazz.mid")
    titles = []
    real_bars = plots.plot_metrics_bars

    def recording(groups, path, **kw):
        titles.append(kw.get("title"))
        return real_bars(groups, path, **kw)
    plots.plot_metrics_bars = recording
    try:
        rep = evaluate(root / "in", "jazz", classifier=root / "clf", converted_dir=root / "conv", out_dir=root / "r")
    finally:
        plots.plot_metrics_bars = real_bars
    return rep, (root / "r" / "report.md").read_text(), titles


def test_the_summary_line_names_its_classifiers_and_carries_the_content_numbers(report):
    """On an untrained model evaluate printed "outputs judged rock 100%" and nothing else."""
    rep, _, _ = report
    line = headline(rep)
    assert line.startswith("2 songs; style judge: outputs judged jazz ")
    assert "CNN classifier: outputs jazz in " in line
    assert "content kept: onset F1 1.00, 1.00 output notes per source note" in line  # the outputs are the inputs


def test_every_probability_in_the_report_names_its_classifier(report):
    _, md, _ = report
    assert "| style judge P(jazz) before -> after | CNN P(jazz) before -> after |" in md
    assert "| P(jazz) before" not in md and "\n- Mean P(" not in md
    assert "CNN mean P(jazz) per window" in md and "CNN classifier: `" in md
    rows = [line for line in md.splitlines() if line.startswith("| rich.mid")]
    assert len(rows) == 1 and rows[0].count("->") == 3  # notes, style judge, CNN


def test_the_musicality_picture_promises_no_real_bar_it_does_not_draw(report):
    _, md, titles = report
    assert "Musicality: sources and outputs (to jazz); no real jazz given (--target-data)" in titles
    assert not any("and real jazz" in (t or "") for t in titles)


@pytest.mark.parametrize("key, words", [("aux", "a genre classifier head of its own discriminator"),
                                        ("cnn", "the shipped CNN genre classifier"),
                                        ("none", "no genre classifier")])
def test_what_the_generator_trained_against_is_said_plainly(report, key, words):
    rep, _, _ = report
    rep = {**rep, "style_judge": {**rep["style_judge"], "trained_against": key}}
    md = markdown(rep)
    assert f"The generator trained against: {words}" in md and f"against: {key}." not in md
    assert f"was trained against: **{words}" in md
