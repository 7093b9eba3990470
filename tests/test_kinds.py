"""midistyle.kinds: a model kind is one module found through the registry; checkpoints carry provenance."""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch.utils.data import Dataset

from midistyle import __version__
from midistyle.cli import main
from midistyle.config import ModelConfig, RollConfig, TrainConfig, derive, get_preset, option, unregister_kind
from midistyle.errors import ConfigError
from midistyle.kinds import GenreArg, Kind, get, names, register
from midistyle.kinds.recipe import load_recipe, parse_value
from midistyle.models import checkpoint as ckpt

ROOT = Path(__file__).parents[1]
T, P = 16, RollConfig().n_pitches


# ------------------------------------------------------------------ a toy kind, defined here alone
@dataclasses.dataclass(frozen=True)
class ToyConfig(TrainConfig):
    """The shared settings plus one of the toy's own."""

    noise: float = option(0.0, "Sigma of noise added to the toy's inputs.")


class Rolls(Dataset):
    """Random sparse rolls [2, T, P]."""

    def __init__(self, n: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        self.items = [(torch.rand(2, T, P, generator=g) > 0.97).float() for _ in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return {"roll": self.items[i]}


def _toy_task() -> type:
    from midistyle.models.registry import build_model
    from midistyle.training.adversarial import make_adam
    from midistyle.training.task import Task

    class ToyTask(Task):
        """A generator learning to copy its input: the smallest task the one loop can drive."""

        kind, best_metric, best_mode = "toy", "rec", "min"

        def __init__(self, preset, cfg, runtime, info):
            super().__init__(cfg, runtime, info)
            self.G = build_model(dataclasses.replace(preset.generator, z_dim=0))
            self.opt = make_adam(self.G.parameters(), cfg)

        def modules(self):
            return {"G": self.G}

        def optimizers(self):
            return {"G": self.opt}

        def export(self):
            return {"G": self.G}

        def step(self, batch):
            x = self.rt.prep(batch["roll"])
            loss = torch.nn.functional.mse_loss(self.G(x + self.cfg.noise * torch.randn_like(x)), x)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return {"rec": float(loss.detach())}

        def validate(self, batch):
            x = self.rt.prep(batch["roll"])
            return {"rec": float(((self.G(x) - x) ** 2).flatten(1).mean(1).sum()), "n": float(len(x))}

    return ToyTask


def _toy_data(data_dir, cfg, genres):
    from midistyle.training.task import TaskInfo

    a, b = genres  # "from,to"
    info = TaskInfo(roll=RollConfig(), genres=(a, b), source=(a,), target=(b,), phrase_steps=T)
    return Rolls(8, cfg.seed), Rolls(4, cfg.seed + 1), info


calls: list[tuple] = []


def _toy_condition(meta, n, from_genre, device):
    calls.append((meta.target_name, n, from_genre))
    return None  # an unconditioned generator: the hook is asked, and says so


@pytest.fixture
def toy():
    kind = register(Kind(name="toy", config=ToyConfig, modules=("G",), generators={"a2b": "G"},
                         help="A toy that copies its input.", task=_toy_task, data=_toy_data,
                         condition=_toy_condition, args=(GenreArg("genres", "From,to.", required=True),),
                         defaults={"lr": 1e-3}))
    yield kind
    unregister_kind("toy")


def _corpus(tmp_path: Path, seed: int | None = 7) -> Path:
    data = tmp_path / "corpus"
    data.mkdir()
    summary = {"pieces": 3} if seed is None else {"pieces": 3, "subset_seed": seed}
    (data / "index.json").write_text(json.dumps({"format": "midistyle-phrases", "summary": summary}))
    return data


@pytest.mark.slow
def test_a_kind_defined_in_one_place_trains_saves_loads_and_converts(tmp_path, toy):
    from midistyle.training.api import train
    from midistyle.transfer import Converter

    assert "toy" in names() and get("toy") is toy
    data = _corpus(tmp_path)
    result = train("toy", data, tmp_path / "run", genres=["plain", "busy"], preset="tiny", device="cpu", max_steps=2,
                   progress=False, overrides={"noise": 0.1})
    assert result.step == 2
    meta = ckpt.read_meta(result.best)
    assert meta.kind == "toy" and isinstance(meta.train, ToyConfig)
    assert (meta.train.noise, meta.train.lr, meta.train.task) == (0.1, 1e-3, "toy")  # override, kind default
    modules, _ = ckpt.load_checkpoint(result.last)
    assert set(modules) == {"G"}
    conv = Converter.load("busy", result.best, classifier=False)
    x = (np.random.default_rng(0).random((2, 3 * T, P)) > 0.95).astype(np.float32)
    y = conv.transform(x)
    assert y.shape == x.shape and np.isfinite(y).all() and calls and calls[-1][0] == "busy"
    with pytest.raises(Exception, match="converts to busy, not plain"):
        Converter.load("plain", result.best, classifier=False)
    with pytest.raises(ConfigError, match="unknown training setting.*valid:.*noise"):
        train("toy", data, tmp_path / "bad", genres=["a", "b"], preset="tiny", device="cpu", max_steps=1,
              progress=False, overrides={"nois": 1.0})


@pytest.mark.slow
def test_every_checkpoint_records_its_provenance(tmp_path, toy):
    from midistyle.training.api import train

    data = _corpus(tmp_path, seed=7)
    result = train("toy", data, tmp_path / "run", genres=["a", "b"], preset="tiny", device="cpu", max_steps=2,
                   progress=False)
    digest = hashlib.sha256((data / "index.json").read_bytes()).hexdigest()
    for folder in (result.best, result.last):
        prov = json.loads((folder / "config.json").read_text())["provenance"]
        assert prov["index_sha256"] == digest and prov["subset_seed"] == 7
        assert prov["corpus"] == str(data.resolve())
        assert prov["midistyle_version"] == __version__ == "0.2.0"
        assert prov["torch_version"] == torch.__version__ and prov["numpy_version"] == np.__version__
        assert prov["device"] == "cpu" and prov["precision"] == "float32"
        assert 0 < prov["wall_time_s"] < 600
        rev = prov["git_revision"]
        assert rev == "unknown" or len(rev.removesuffix("+dirty")) == 40
        assert ckpt.read_meta(folder).provenance == prov  # typed meta keeps it
    # a resumed run adds to the wall time of the first session
    first = json.loads((result.last / "config.json").read_text())["provenance"]["wall_time_s"]
    again = train("toy", data, tmp_path / "run", genres=["a", "b"], preset="tiny", device="cpu", max_steps=3,
                  progress=False, resume=True)
    assert json.loads((again.last / "config.json").read_text())["provenance"]["wall_time_s"] > first


def test_git_revision_outside_a_checkout_is_unknown(tmp_path):
    from midistyle.training.provenance import corpus_facts, git_revision

    assert git_revision(tmp_path) == "unknown"
    assert git_revision(tmp_path / "missing") == "unknown"  # never raises
    full = corpus_facts(_corpus(tmp_path, seed=None))
    assert full["subset_seed"] is None and len(full["index_sha256"]) == 64
    assert corpus_facts(tmp_path / "nowhere")["index_sha256"] is None


def test_version_has_one_source():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "midistyle.__version__"}


# ------------------------------------------------------------------ per-kind configs, migration
def test_each_kind_owns_its_config_and_unknown_kinds_list_the_valid_ones():
    from midistyle.kinds.stargan import StarGANConfig

    assert set(names()) >= {"classifier", "cyclegan", "gan", "stargan"}
    assert get("stargan").config is StarGANConfig and get("cyclegan").config is TrainConfig
    shared = {f.name for f in dataclasses.fields(TrainConfig)}
    own = {f.name for f in dataclasses.fields(StarGANConfig)} - shared
    assert own == set(ckpt.V2_STARGAN_FIELDS) and len(own) == 11
    assert all(f.metadata.get("help") for f in dataclasses.fields(StarGANConfig))  # help text for every flag
    cfg = derive(StarGANConfig, get_preset("tiny").train, focus=["jazz"], lambda_cls=2.0)
    assert cfg.focus == ("jazz",) and cfg.batch_size == get_preset("tiny").train.batch_size
    with pytest.raises(ConfigError, match="valid: "):
        get("vae")
    with pytest.raises(ConfigError, match="density_target"):
        StarGANConfig(density_target="bar")
    with pytest.raises(ConfigError, match="unknown TrainConfig field.*lambda_cls"):
        derive(TrainConfig, cfg, lambda_cls=1.0)


def _v2_body(kind: str, modules: dict, extra_train: dict) -> dict:
    train = {**dataclasses.asdict(TrainConfig()), "task": kind, "focus": [], **extra_train}
    return {"format_version": 2, "midistyle_version": "0.1.0", "kind": kind, "roll": dataclasses.asdict(RollConfig()),
            "modules": {n: dataclasses.asdict(c) for n, c in modules.items()}, "genres": ["a", "b"],
            "source": ["a"], "target": ["b"], "step": 3, "phrase_steps": 64, "train": train, "metrics": {}}


def test_format_2_checkpoints_load_with_their_kinds_config():
    from midistyle.kinds.stargan import StarGANConfig

    stargan_fields = {"lambda_cls": 2.0, "lambda_identity": 5.0, "lambda_density": 5.0, "density_target": "genre",
                      "density_band": 12, "unknown_source": 0.3, "input_skip": 3.0, "edit_margin": -1,
                      "reduce_input": False, "aux_head": "classifier"}
    gen = ModelConfig(kind="generator")
    old = ckpt.CheckpointMeta.from_dict(_v2_body("cyclegan", {"G": gen, "F": gen}, stargan_fields))
    assert old.format_version == 3 and type(old.train) is TrainConfig and old.train.task == "cyclegan"
    star = ckpt.CheckpointMeta.from_dict(_v2_body("stargan", {"G": gen}, dict(stargan_fields, focus=["b"])))
    assert isinstance(star.train, StarGANConfig) and star.train.density_band == 12 and star.train.focus == ("b",)
    for folder in sorted((ROOT / "midistyle" / "pretrained").glob("*/config.json")):
        if json.loads(folder.read_text()).get("format") != "midistyle-style-judge":  # judges are no model kind
            meta = ckpt.read_meta(folder.parent)
            assert isinstance(meta.train, get(meta.kind).config)


# ------------------------------------------------------------------ nothing else branches on a kind
def test_transfer_evaluate_checkpoint_and_cli_name_no_kind():
    files = [ROOT / "midistyle" / "transfer.py", ROOT / "midistyle" / "models" / "checkpoint.py",
             *sorted((ROOT / "midistyle" / "evaluate").glob("*.py"))]
    cli = ROOT / "midistyle" / "cli"
    files += sorted(cli.glob("*.py")) if cli.is_dir() else []
    for path in files:
        tree = ast.parse(path.read_text())
        named = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in ("cyclegan", "gan",
                                                                                               "stargan")]
        assert not named, f"{path.relative_to(ROOT)} names kinds {named}"


@pytest.mark.slow
def test_the_kinds_layer_loads_no_torch_and_nothing_above_it():
    code = ("import sys, midistyle.kinds as k; k.get('stargan').config(); "
            "bad = [m for m in sys.modules if m == 'torch' or m.startswith(('midistyle.training', "
            "'midistyle.transfer', 'midistyle.evaluate', 'midistyle.cli', 'midistyle.models'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


# ------------------------------------------------------------------ train KIND: generated flags, recipes
RECIPES = Path(__file__).parents[1] / "examples" / "recipes"
OLD_FLAGS = ("--content-weight", "--density-weight", "--identity-weight", "--cls-weight", "--cycle-weight",
             "--rec-loss", "--binary-d", "--reduce-input", "--aux-head", "--input-skip", "--edit-margin",
             "--density-target", "--density-band", "--phrase-steps", "--focus", "--keep-every", "--epochs",
             "--max-steps", "--batch-size", "--seed", "--no-compile", "--genres", "--recipe", "--set")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_every_kind_gets_a_command_with_a_flag_per_config_field():
    res = run("train", "--help")
    assert res.exit_code == 0 and all(k in res.output for k in names())
    res = run("train", "stargan", "--help")
    assert res.exit_code == 0, res.output
    for flag in OLD_FLAGS:  # the flag names scripts and tests already use keep working
        assert flag in res.output, flag
    for field in dataclasses.fields(get("stargan").config):
        flag = field.metadata.get("flag", field.name.replace("_", "-"))
        if field.name not in ("task", "preset"):
            assert f"--{flag}" in res.output and field.metadata["help"][:20] in " ".join(res.output.split())
    assert "[default: 1.0]" in res.output.split("--content-weight")[1].split("--")[0]  # the kind's default
    assert "--density-band" not in run("train", "gan", "--help").output  # StarGAN's fields are its own


@pytest.mark.slow
def test_a_toy_kind_trains_from_the_command_line_with_a_recipe_and_sets(tmp_path, toy):
    data = _corpus(tmp_path)
    recipe = tmp_path / "toy.toml"
    recipe.write_text('kind = "toy"\npreset = "tiny"\ngenres = "plain,busy"\n[train]\nmax_steps = 3\nnoise = 0.5\n'
                      'lr = 0.01\n[corpus]\nnote = "ignored by train"\n')
    res = run("train", "toy", "--help")
    assert res.exit_code == 0 and "--noise FLOAT" in res.output and "noise added to the toy" in res.output
    res = run("train", "toy", "--recipe", recipe, "--data", data, "--device", "cpu", "--max-steps", 2,
              "--set", "noise=0.25", "-o", tmp_path / "run")
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert saved["kind"] == "toy" and saved["step"] == 2 and saved["target"] == ["busy"]
    assert (saved["train"]["noise"], saved["train"]["lr"], saved["train"]["preset"]) == (0.25, 0.01, "tiny")
    for bad, said in ((["--set", "nois=1"], "unknown ToyConfig field 'nois'; valid: "),
                      (["--set", "noise"], "--set takes key=value"),
                      (["--set", "max_steps=two"], "max_steps=two: expected int")):
        res = run("train", "toy", "--recipe", recipe, "--data", data, *bad, "-o", tmp_path / "bad")
        assert res.exit_code == 2 and said in res.output and "Traceback" not in res.output, res.output
    res = run("train", "toy", "--data", data, "-o", tmp_path / "bad")
    assert res.exit_code == 2 and "--genres" in res.output
    res = run("train", "gan", "--recipe", recipe, "--data", data, "-o", tmp_path / "bad")
    assert res.exit_code == 2 and "a recipe for 'toy', not 'gan'" in res.output


def test_recipes_are_checked_against_their_kind(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "gan"\n[train]\nlambda_cls = 1.0\n')
    with pytest.raises(ConfigError, match="unknown TrainConfig field.*lambda_cls.*valid:"):
        load_recipe(bad, get("gan"))
    bad.write_text('kind = "gan"\nsteps = 3\n')
    with pytest.raises(ConfigError, match=r"unknown recipe key\(s\) \['steps'\].*valid:.*source"):
        load_recipe(bad, get("gan"))
    bad.write_text('kind = "stargan"\n[train]\ndensity_target = "bar"\n')
    with pytest.raises(ConfigError, match="density_target"):
        load_recipe(bad, get("stargan"))
    assert parse_value(get("stargan").config, "focus", "jazz, pop") == ("jazz", "pop")
    assert parse_value(get("stargan").config, "max_steps", "none") is None
    assert parse_value(get("stargan").config, "d_binary", "yes") is True


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*.toml")), ids=lambda p: p.stem)
def test_the_shipped_recipes_load_and_match_their_checkpoints(path):
    import tomllib

    from midistyle.models.checkpoint import read_meta

    kind = get(tomllib.loads(path.read_text())["kind"])
    recipe = load_recipe(path, kind)
    meta = read_meta(Path(__file__).parents[1] / "midistyle" / "pretrained" / path.stem)
    assert meta.kind == kind.name and meta.train.preset == recipe.preset
    from midistyle.training.loop import RESUMABLE_CHANGES

    for key, value in recipe.train.items():  # the recipe is what the shipped model was trained with
        if key in RESUMABLE_CHANGES - {"max_steps", "epochs"}:
            continue  # how a run is kept and logged (the GPU run kept a snapshot every 600 steps), not what it learns
        assert getattr(meta.train, key) == (tuple(value) if isinstance(value, list) else value), key
    if "target" in recipe.args:
        assert meta.target == (recipe.args["target"],)
    assert meta.roll.steps_per_beat == recipe.corpus.get("steps_per_beat", 12)
