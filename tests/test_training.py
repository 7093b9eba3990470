"""The training loop and its tasks on synthetic genres built in code (tiny networks, CPU, seconds), and the
traps a newcomer hits: a GPU-sized preset on a CPU, collapse and missing-validation warnings that reach
library users, and loss pictures that say what they show."""
from __future__ import annotations

import dataclasses
import json
import sys
import types
import warnings
import zlib

import pytest
import torch
from click.testing import CliRunner
from torch.utils.data import Dataset

from midistyle.cli import main
from midistyle.config import RollConfig, TrainConfig, get_preset
from midistyle.errors import MidistyleWarning, ModelError, OutputError
from midistyle.models.checkpoint import load_checkpoint, load_classifier, load_generator
from midistyle.training.classifier import ClassifierTask
from midistyle.training.curves import curve_panels, plot_curves
from midistyle.training.cyclegan import CycleGANTask
from midistyle.training.gan import GANTask
from midistyle.training.loop import fit, lr_at
from midistyle.training.runtime import default_preset, resolve_runtime
from midistyle.training.task import TaskInfo


torch.set_num_threads(1)
T, P = 64, 84
TINY = get_preset("tiny")


def _phrase(kind: str, g: torch.Generator) -> torch.Tensor:
    """'chords': block major triads held 4 or 8 steps; 'scales': one voice stepping through a scale."""
    roll = torch.zeros(2, T, P)
    t = 0
    if kind == "chords":
        while t < T:
            root, dur = int(torch.randint(12, 48, (), generator=g)), (4, 8)[int(torch.randint(2, (), generator=g))]
            for interval in (0, 4, 7):
                roll[0, t, root + interval] = 1
                roll[1, t:t + dur, root + interval] = 1
            t += dur
    else:
        pitch = int(torch.randint(24, 60, (), generator=g))
        while t < T:
            dur = int(torch.randint(1, 3, (), generator=g))
            roll[0, t, pitch] = 1
            roll[1, t:t + dur, pitch] = 1
            pitch = min(P - 1, max(0, pitch + (-2, -1, 1, 2)[int(torch.randint(4, (), generator=g))]))
            t += dur
    return roll


class Phrases(Dataset):
    """Stands in for midistyle.data.dataset.PhraseDataset (same item dicts and attributes)."""

    def __init__(self, root, genres, split="train", *, phrase_steps=None, transpose=0, seed=0, n=None):
        self.genres, self.roll_config = tuple(genres), RollConfig()
        g = torch.Generator().manual_seed(zlib.crc32(repr((split, seed, self.genres)).encode()))
        count = n if n is not None else (32 if split == "train" else 16)
        self.items = [(_phrase(self.genres[i % len(self.genres)], g), i % len(self.genres)) for i in range(count)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        roll, label = self.items[i]
        return {"roll": roll, "label": torch.tensor(label, dtype=torch.int64)}


class Unpaired(Dataset):
    """Stands in for midistyle.data.dataset.UnpairedDataset."""

    def __init__(self, a, b, seed=0):
        self.a, self.b = a, b
        self.perm = torch.randperm(len(b), generator=torch.Generator().manual_seed(seed)).tolist()

    def __len__(self):
        return max(len(self.a), len(self.b))

    def __getitem__(self, i):
        return {"a": self.a[i % len(self.a)]["roll"], "b": self.b[self.perm[i % len(self.b)]]["roll"]}


PAIR_INFO = TaskInfo(roll=RollConfig(), genres=("chords", "scales"), source=("chords",), target=("scales",),
                     phrase_steps=T)


def _pairs(split="train", n=None):
    return Unpaired(Phrases(None, ["chords"], split, n=n), Phrases(None, ["scales"], split, n=n))


def _cfg(task, **changes) -> TrainConfig:
    base = dict(task=task, epochs=4, batch_size=8, log_every=1, checkpoint_every=1000)
    return dataclasses.replace(TINY.train, **{**base, **changes})


def _task(cls, cfg, info=PAIR_INFO, preset=TINY):
    torch.manual_seed(cfg.seed)
    return cls(preset, cfg, resolve_runtime(cfg, "cpu"), info)


def _train_losses(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
            if json.loads(line)["split"] == "train"]


def _mean(records, key, sl):
    values = [r[key] for r in records[sl]]
    return sum(values) / len(values)


@pytest.mark.slow
def test_classifier_separates_triads_from_scales(tmp_path):
    small = dataclasses.replace(TINY, classifier=dataclasses.replace(TINY.classifier, base_channels=8))
    cfg = _cfg("classifier", epochs=4, log_every=4, lr=1e-3)
    train = Phrases(None, ["chords", "scales"], n=96)
    val = Phrases(None, ["chords", "scales"], "val", n=48)
    info = TaskInfo(roll=RollConfig(), genres=train.genres, phrase_steps=T)
    result = fit(_task(ClassifierTask, cfg, info, small), train, cfg, tmp_path / "run", val_data=val, progress=False)
    assert result.metrics["accuracy"] > 0.9
    assert {"accuracy_chords", "accuracy_scales"} <= set(result.metrics)
    clf, meta = load_classifier(result.best)
    assert meta.genres == ("chords", "scales") and meta.kind == "classifier"
    with torch.no_grad():
        x = torch.stack([val[i]["roll"] for i in range(len(val))])
        y = torch.stack([val[i]["label"] for i in range(len(val))])
        assert float((clf(x).argmax(1) == y).float().mean()) > 0.9
        assert clf(x[:, :, :48]).shape == (len(val), 2)  # 3 bars of 4/4 (or 4 of 3/4) work too


@pytest.mark.slow
def test_cyclegan_losses_fall_and_run_dir_is_complete(tmp_path):
    cfg = _cfg("cyclegan", epochs=8, lr=1e-3, decay_from=1.0)  # 32 steps at a toy-sized learning rate
    result = fit(_task(CycleGANTask, cfg), _pairs(), cfg, tmp_path / "run", val_data=_pairs("val"), progress=False)
    losses = _train_losses(result.run_dir)
    assert len(losses) == result.step == 32
    for key in ("g", "cycle"):
        assert _mean(losses, key, slice(-6, None)) < 0.8 * _mean(losses, key, slice(0, 6)), key
    png = (result.run_dir / "loss_curve.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    run = json.loads((result.run_dir / "run.json").read_text())
    assert run["task"] == "cyclegan" and run["batches_per_epoch"] == 4
    # best/ is the shipped artefact (G, F); last/ also holds the discriminators and training state
    best, _ = load_checkpoint(result.best)
    last, meta = load_checkpoint(result.last)
    assert set(best) == {"G", "F"} and set(last) == {"G", "F", "D_A", "D_B"}
    assert meta.step == 32 and meta.source == ("chords",) and meta.train.task == "cyclegan"
    g, meta = load_generator(result.best)
    with torch.no_grad():
        out = g(_pairs("val")[0]["a"][None])
    assert out.shape == (1, 2, T, P) and 0 <= float(out.min()) <= float(out.max()) <= 1
    vals = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()
            if '"val"' in line]
    assert len(vals) == 8 and all("cycle" in v and "density_fake_b" in v for v in vals)


@pytest.mark.slow
def test_gan_losses_fall(tmp_path):
    cfg = _cfg("gan", epochs=8, lr=1e-3, decay_from=1.0)
    result = fit(_task(GANTask, cfg), _pairs(), cfg, tmp_path / "run", val_data=_pairs("val"), progress=False)
    losses = _train_losses(result.run_dir)
    for key in ("g", "content"):
        assert _mean(losses, key, slice(-6, None)) < 0.8 * _mean(losses, key, slice(0, 6)), key
    g, meta = load_generator(result.best)
    assert meta.kind == "gan" and meta.modules["G"].z_dim == TINY.gan_z_dim
    with torch.no_grad():
        x = _pairs("val")[0]["a"][None]
        assert torch.equal(g(x), g(x))  # z = 0 without noise: deterministic conversion


@pytest.mark.slow
def test_resume_after_a_crash_repeats_the_uninterrupted_losses(tmp_path):
    # mixed discriminators and a small pool that fills and starts swapping within the run: all state
    cfg = _cfg("cyclegan", epochs=3, mixed="partial", pool_size=6, checkpoint_every=5)  # 4 batches per epoch

    def run(folder, resume=False, crash_at=None):
        task = _task(CycleGANTask, cfg)
        if crash_at is not None:
            step, calls = task.step, []

            def crashing(batch):
                calls.append(1)
                if len(calls) == crash_at:
                    raise RuntimeError("power cut")
                return step(batch)

            task.step = crashing
        return fit(task, _pairs(), cfg, folder, val_data=_pairs("val", n=8), resume=resume, progress=False)

    straight = run(tmp_path / "a")
    with pytest.raises(RuntimeError, match="power cut"):
        run(tmp_path / "b", crash_at=8)  # last/ holds step 5, mid-epoch; metrics.jsonl already has steps 6, 7
    assert load_checkpoint(tmp_path / "b" / "last")[1].step == 5
    torch.manual_seed(12345)  # whatever the caller did in between must not matter
    resumed = run(tmp_path / "b", resume=True)
    assert resumed.step == straight.step == 12
    assert _train_losses(tmp_path / "b") == _train_losses(tmp_path / "a")
    a, _ = load_checkpoint(straight.last)
    b, _ = load_checkpoint(resumed.last)
    for name in a:
        for (k, va), vb in zip(a[name].state_dict().items(), b[name].state_dict().values()):
            assert torch.equal(va, vb), (name, k)


@pytest.mark.slow
def test_existing_run_needs_resume_and_same_architecture(tmp_path):
    cfg = _cfg("gan", max_steps=2)
    fit(_task(GANTask, cfg), _pairs(n=16), cfg, tmp_path / "run", progress=False)
    with pytest.raises(OutputError, match="already holds a training run"):
        fit(_task(GANTask, cfg), _pairs(n=16), cfg, tmp_path / "run", progress=False)
    wider = dataclasses.replace(TINY, generator=dataclasses.replace(TINY.generator, base_channels=6))
    with pytest.raises(ModelError, match="another architecture"):
        fit(_task(GANTask, cfg, preset=wider), _pairs(n=16), cfg, tmp_path / "run", resume=True, progress=False)
    other = dataclasses.replace(cfg, lambda_content=1.0)
    with pytest.raises(ModelError, match="lambda_content"):
        fit(_task(GANTask, other), _pairs(n=16), other, tmp_path / "run", resume=True, progress=False)
    # resume with nothing to resume starts fresh
    result = fit(_task(GANTask, cfg), _pairs(n=16), cfg, tmp_path / "fresh", resume=True, progress=False)
    assert result.step == 2 and (result.best / "model.safetensors").is_file()


def test_full_mixed_mode_needs_mixed_phrases(tmp_path):
    cfg = _cfg("cyclegan", mixed="full", max_steps=1)
    with pytest.raises(ValueError, match="'mixed' entry"):
        fit(_task(CycleGANTask, cfg), _pairs(n=8), cfg, tmp_path / "run", progress=False)


def test_learning_rate_is_constant_then_linear_to_zero():
    cfg = TrainConfig(lr=1.0, decay_from=0.5)
    assert [lr_at(s, 20, cfg) for s in (0, 9, 10, 15, 19)] == [1.0, 1.0, 1.0, 0.5, 0.1]
    assert lr_at(19, 20, dataclasses.replace(cfg, decay_from=1.0)) == 1.0
    brunner = get_preset("brunner").train  # 100 epochs, decay from epoch 10
    assert lr_at(10 * 50 - 1, 100 * 50, brunner) == 2e-4 and lr_at(55 * 50, 100 * 50, brunner) == pytest.approx(1e-4)


@pytest.mark.slow
def test_api_builds_datasets_and_ships_checkpoints(tmp_path, monkeypatch):
    """train_* import midistyle.data.dataset at call time; a stand-in module checks the wiring."""
    stub = types.ModuleType("midistyle.data.dataset")
    stub.PhraseDataset, stub.UnpairedDataset = Phrases, Unpaired
    monkeypatch.setitem(sys.modules, "midistyle.data.dataset", stub)
    from midistyle.training.api import train_classifier, train_cyclegan, train_gan

    common = dict(preset="tiny", device="cpu", max_steps=3, progress=False)
    r = train_classifier(tmp_path / "data", ["chords", "scales"], tmp_path / "clf", **common)
    assert load_classifier(r.best)[1].genres == ("chords", "scales") and "accuracy" in r.metrics
    r = train_cyclegan(tmp_path / "data", ["chords"], ["scales"], tmp_path / "cg", mixed="full",
                       mixed_genres=["chords", "scales"], overrides={"lambda_cycle": 5.0}, **common)
    g, meta = load_generator(r.best)
    assert (meta.source, meta.target, meta.phrase_steps) == (("chords",), ("scales",), T)
    assert meta.train.mixed == "full" and meta.train.lambda_cycle == 5.0
    assert set(load_checkpoint(r.last)[0]) == {"G", "F", "D_A", "D_B", "D_A_all", "D_B_all"}
    r = train_gan(tmp_path / "data", ["chords"], ["scales"], tmp_path / "gan", **common)
    assert load_generator(r.best)[1].kind == "gan"
    with pytest.raises(ValueError, match="disjoint"):
        train_gan(tmp_path / "data", ["chords"], ["chords", "scales"], tmp_path / "bad", **common)
    from midistyle.training.api import train_config

    by_epochs = train_config("gan", "small", 0, None, 3, None, None, None)
    assert (by_epochs.max_steps, by_epochs.epochs) == (None, 3)  # epochs clear the small preset's max_steps
    assert train_config("gan", "small", 0, None, None, None, None, None).max_steps == 5000
    with pytest.raises(ValueError, match="unknown training setting"):
        train_gan(tmp_path / "data", ["chords"], ["scales"], tmp_path / "bad", overrides={"lr_g": 1}, **common)


def test_a_collapsed_generator_is_reported():
    from midistyle.training.api import collapse_advice

    # the numbers of a real small-preset CycleGAN run (classical <-> jazz, 1,500 CPU steps)
    advice = collapse_advice("cyclegan", {"density_fake_b": 1.427e-05, "density_real_b": 0.01305})
    assert "nearly empty" in advice and "1.4e-05" in advice
    assert collapse_advice("gan", {"density_fake": 0.0232, "density_real": 0.0208}) is None


torch.set_num_threads(1)
TINY = get_preset("tiny")


@pytest.mark.slow
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


@pytest.mark.slow
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
        api.run_task(Stub, "tiny", dataclasses.replace(TINY.train, task="gan"), PAIR_INFO, None, None, tmp_path,
                 "cpu", False, False)


def test_a_validation_split_without_phrases_is_said(tmp_path):
    from midistyle.training.inputs import optional

    with pytest.warns(MidistyleWarning, match="validation split holds no phrases"):
        assert optional(lambda: Phrases(None, ["chords"], "val", n=0)) is None


def test_loss_curves_label_their_axes_and_keep_scales_apart(tmp_path):
    log = tmp_path / "metrics.jsonl"
    rows = [{"step": 1, "split": "train", "lr": 1e-3, "g": 2.0, "d": 0.5},
            {"step": 2, "split": "val", "g_total": 3.0, "kept": 0.8, "density_fake": 0.01, "density_real": 0.013}]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [(s, label.split()[0], keys) for s, label, keys in curve_panels(rows)] == [
        ("train", "loss", ["d", "g"]), ("val", "loss", ["g_total"]), ("val", "share", ["kept"]),
        ("val", "note", ["density_fake", "density_real"])]
    assert plot_curves(log, tmp_path / "a.png").stat().st_size > 0
    train_only = [rows[0]]
    assert [s for s, _, _ in curve_panels(train_only)] == ["train"]  # no empty validation panel


@pytest.mark.slow
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


def test_a_conditional_adversary_noises_and_thresholds_the_judged_planes_only():
    """The arranger's critics see lead-sheet planes beside the part they judge (``cond``): D's input
    noise and ``d_binary`` apply to the judged planes, the condition reaches D exactly as given, and
    every score (update, generator term, validation) is taken on the same stacked input."""
    from midistyle.training.adversarial import Adversary

    cfg = TrainConfig(d_input_noise=0.5, d_binary=True)
    seen = []
    D = torch.nn.Conv2d(3, 1, 1)
    D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    adv = Adversary(D, cfg, resolve_runtime(cfg, "cpu"))
    g = torch.Generator().manual_seed(0)
    x, cond = torch.rand(2, 1, 8, 12, generator=g), torch.rand(2, 2, 8, 12, generator=g)
    adv.generator_loss(x, cond=cond)
    adv.update(x, x, cond)
    adv.item_losses(x, 1.0, cond)
    assert len(seen) == 4 and all(s.shape == (2, 3, 8, 12) for s in seen)
    binary = (x > 0.5).float()
    for s in seen[:3]:  # training: thresholded, then |N(0, 0.5)| added: never below the binary part
        assert torch.equal(s[:, 1:], cond)
        assert (s[:, :1] >= binary - 1e-6).all() and (s[:, :1] - binary).abs().max() > 0.1
    # validation: noise-free (binarize is straight-through: x's float rounding stays in the values)
    assert torch.allclose(seen[3][:, :1], binary, atol=1e-6) and torch.equal(seen[3][:, 1:], cond)
