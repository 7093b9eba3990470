"""Training traps a newcomer hits: a GPU-sized preset on a CPU, collapse and missing-validation
warnings that reach library users, and loss pictures that say what they show."""
from __future__ import annotations

import dataclasses
import json
import warnings

import pytest
import torch
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.config import get_preset
from midistyle.errors import MidistyleWarning
from midistyle.training.curves import _panels, plot_curves
from midistyle.training.gan import GANTask
from midistyle.training.loop import fit
from midistyle.training.runtime import default_preset, resolve_runtime
from test_training import PAIR_INFO, Phrases, _pairs

torch.set_num_threads(1)
TINY = get_preset("tiny")


def test_a_cpu_run_without_preset_is_cpu_sized_and_says_so(tmp_path, monkeypatch):
    assert default_preset(torch.device("cpu")) == "small" and default_preset(torch.device("cuda")) == "brunner"
    seen = {}

    def fake_train(kind, data, out, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    import midistyle.training.api as api
    monkeypatch.setattr(api, "train", fake_train)
    res = CliRunner().invoke(main, ["train", "classifier", "--data", str(tmp_path), "--device", "cpu",
                                    "-o", str(tmp_path / "run")])
    assert seen["preset"] == "small" and "preset: small (sized for a CPU" in res.output
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text(json.dumps({"train": {"preset": "tiny"}}))
    res = CliRunner().invoke(main, ["train", "classifier", "--data", str(tmp_path), "--device", "cpu",
                                    "-o", str(tmp_path / "run"), "--resume"])
    assert seen["preset"] == "tiny" and "preset: tiny (the run's own)" in res.output


def test_a_gpu_sized_preset_on_a_cpu_warns_with_the_time_it_will_take(tmp_path):
    cfg = dataclasses.replace(TINY.train, task="gan", preset="brunner", max_steps=6, batch_size=4,
                              checkpoint_every=1000)
    task = GANTask(TINY, cfg, resolve_runtime(cfg, "cpu"), PAIR_INFO)  # tiny networks labelled brunner
    with pytest.warns(MidistyleWarning, match=r"'brunner' preset is sized for a GPU .* per step, so the 2 steps "
                                              r"left take about [0-9.,]+ hours; --preset small"):
        fit(task, _pairs(n=8), cfg, tmp_path / "run", progress=False)
    small = dataclasses.replace(cfg, preset="tiny")
    with warnings.catch_warnings(record=True) as got:
        fit(GANTask(TINY, small, resolve_runtime(small, "cpu"), PAIR_INFO), _pairs(n=8), small, tmp_path / "r2",
            progress=False)
    assert not [w for w in got if "sized for a GPU" in str(w.message)]


def test_collapse_advice_fits_the_task_and_reaches_library_users(tmp_path, monkeypatch):
    from midistyle.training import api

    empty = {"density_fake": 1e-5, "density_real": 0.013}
    assert "`train gan`" in api.collapse_advice("cyclegan", {"density_fake_b": 1e-5, "density_real_b": 0.013})
    gan = api.collapse_advice("gan", empty)
    assert "collapsed" in gan and "train gan" not in gan and "--content-weight" in gan
    assert api.collapse_advice("gan", {"density_fake": 0.01, "density_real": 0.013}) is None

    class Stub(GANTask):
        pass

    monkeypatch.setattr(api, "fit", lambda *a, **k: type("R", (), {"metrics": empty, "step": 1, "best": tmp_path})())
    with pytest.warns(MidistyleWarning, match="collapsed"):
        api._run(Stub, "tiny", dataclasses.replace(TINY.train, task="gan"), PAIR_INFO, None, None, tmp_path,
                 "cpu", False, False)


def test_a_validation_split_without_phrases_is_said(tmp_path):
    from midistyle.training import api

    with pytest.warns(MidistyleWarning, match="validation split holds no phrases"):
        assert api._optional(lambda: Phrases(None, ["chords"], "val", n=0)) is None


def test_loss_curves_label_their_axes_and_keep_scales_apart(tmp_path):
    log = tmp_path / "metrics.jsonl"
    rows = [{"step": 1, "split": "train", "lr": 1e-3, "g": 2.0, "d": 0.5},
            {"step": 2, "split": "val", "g_total": 3.0, "kept": 0.8, "density_fake": 0.01, "density_real": 0.013}]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [(s, label.split()[0], keys) for s, label, keys in _panels(rows)] == [
        ("train", "loss", ["d", "g"]), ("val", "loss", ["g_total"]), ("val", "share", ["kept"]),
        ("val", "note", ["density_fake", "density_real"])]
    assert plot_curves(log, tmp_path / "a.png").stat().st_size > 0
    train_only = [rows[0]]
    assert [s for s, _, _ in _panels(train_only)] == ["train"]  # no empty validation panel


def test_the_loss_picture_is_drawn_with_checkpoints_only(tmp_path, monkeypatch):
    import midistyle.training.loop as loop

    calls = []

    def draw(metrics, png):
        calls.append(png)
        png.touch()

    monkeypatch.setattr(loop, "plot_curves", draw)
    cfg = dataclasses.replace(TINY.train, task="gan", epochs=4, batch_size=4, checkpoint_every=1000)
    fit(GANTask(TINY, cfg, resolve_runtime(cfg, "cpu"), PAIR_INFO), _pairs(n=8), cfg, tmp_path / "a",
        val_data=_pairs("val", n=4), progress=False)
    assert len(calls) == 1  # 4 epochs of 2 steps: once at the end, not after every epoch
    calls.clear()
    every = dataclasses.replace(cfg, checkpoint_every=2)
    fit(GANTask(TINY, every, resolve_runtime(every, "cpu"), PAIR_INFO), _pairs(n=8), every, tmp_path / "b",
        progress=False)
    assert len(calls) == 4  # steps 2, 4, 6, 8 (the last one is the end's)
