"""Networks, registry and checkpoints: shapes for any length, value ranges, bit-identical round trips,
and every way a checkpoint folder can be broken (never unpickling anything)."""
from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from midistyle.config import PRESETS, ModelConfig, RollConfig, from_dict, get_preset, to_dict
from midistyle.errors import ModelError
from midistyle.models import checkpoint as ckpt
from midistyle.models.registry import BUILDERS, build_model, count_parameters, get_builder

torch.set_num_threads(1)
P = 84


def _gen(z_dim: int = 0, base: int = 4, res: int = 1) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(ModelConfig(kind="generator", base_channels=base, n_res_blocks=res, z_dim=z_dim))


def _rolls(batch: int, steps: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 2, steps, P, generator=g) < 0.05).float()


# ----------------------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("steps", [64, 48, 50, 96, 16, 7, 1])
@pytest.mark.parametrize("z_dim", [0, 8])
def test_generator_keeps_shape_for_any_length_and_outputs_probabilities(steps, z_dim):
    g = _gen(z_dim).eval()
    x = _rolls(3, steps)
    z = g.sample_z(3)
    assert (z is None) == (z_dim == 0)
    with torch.no_grad():
        y = g(x, z)
    assert y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


def test_generator_noise_matters_and_none_means_zero():
    g = _gen(z_dim=8).eval()
    x = _rolls(2, 64)
    with torch.no_grad():
        y0, yz, ynone = g(x, torch.zeros(2, 8)), g(x, torch.randn(2, 8)), g(x)
    assert torch.equal(y0, ynone)
    assert not torch.allclose(y0, yz)
    with pytest.raises(ValueError, match="z of shape"):
        g(x, torch.zeros(2, 5))


@pytest.mark.parametrize("steps", [64, 48, 50, 3])
def test_discriminator_scores_patches(steps):
    torch.manual_seed(0)
    d = build_model(ModelConfig(kind="discriminator", base_channels=4))
    out = d(_rolls(2, steps))
    assert out.shape == (2, 1, -(-steps // 4), 21)


@pytest.mark.parametrize("steps", [64, 48, 50, 100, 8, 3])
def test_classifier_handles_any_length(steps):
    torch.manual_seed(0)
    c = build_model(ModelConfig(kind="classifier", base_channels=4, n_classes=5)).eval()
    assert c(_rolls(2, steps)).shape == (2, 5)


def test_classifier_first_filters_span_an_octave_and_pitch_count_is_checked():
    c = build_model(ModelConfig(kind="classifier", base_channels=4, n_classes=3))
    first = c.features[0][0]
    assert first.kernel_size == (1, 12) and first.stride == (1, 12)
    with pytest.raises(ValueError, match="84 pitches"):
        c(torch.zeros(1, 2, 64, 72))


def test_bad_input_rank_or_channels_raise():
    g = _gen()
    with pytest.raises(ValueError, match="expects a tensor"):
        g(torch.zeros(2, 64, P))
    with pytest.raises(ValueError, match="expects a tensor"):
        g(torch.zeros(2, 1, 64, P))


# ------------------------------------------------------------------------------ configs, registry
def test_registry_unknown_name_lists_valid_ones():
    with pytest.raises(KeyError) as err:
        get_builder("transformer")
    for name in BUILDERS:
        assert name in str(err.value)


def test_model_config_validates_and_round_trips():
    with pytest.raises(ValueError, match="unknown model kind"):
        ModelConfig(kind="vae")
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ModelConfig(kernel_size=4)
    cfg = ModelConfig(kind="classifier", n_classes=5)
    assert from_dict(ModelConfig, json.loads(json.dumps(to_dict(cfg)))) == cfg
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("huge")


def test_presets_follow_brunner_and_shrink():
    brunner = get_preset("brunner")
    g = build_model(brunner.generator)
    assert brunner.generator.base_channels == 64 and len(g.res) == 10
    assert brunner.discriminator.kernel_size == 7 and brunner.train.batch_size == 16
    assert (brunner.train.lr, brunner.train.beta1, brunner.train.lambda_cycle) == (2e-4, 0.5, 10.0)
    assert (brunner.train.cycle_loss, get_preset("small").train.cycle_loss) == ("l1", "mse")
    with pytest.raises(ValueError, match="unknown cycle loss"):
        dataclasses.replace(brunner.train, cycle_loss="huber")
    sizes = [count_parameters(build_model(PRESETS[n].generator)) for n in ("tiny", "small", "medium", "brunner")]
    assert sizes == sorted(sizes) and sizes[0] < 20_000 and sizes[3] > 10_000_000
    # medium's generator fits a 16 MiB file in float32 (what a lent GPU machine can send back)
    assert 1_000_000 < sizes[2] * 4 < 16 * 2**20


# ----------------------------------------------------------------------------------- checkpoints
def _meta(**extra):
    base = dict(kind="cyclegan", roll=RollConfig(), genres=["pop", "jazz"], source=["pop"], target=["jazz"],
                step=7, phrase_steps=64)
    return {**base, **extra}


@pytest.fixture
def saved(tmp_path):
    G, F = _gen(), _gen(res=2)
    with torch.no_grad():
        for p in F.parameters():
            p.add_(0.01)
    folder = ckpt.save_checkpoint(tmp_path / "model", {"G": G, "F": F}, _meta())
    return folder, G.eval(), F.eval()


def test_checkpoint_round_trip_is_bit_identical(saved):
    folder, G, F = saved
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    modules, meta = ckpt.load_checkpoint(folder)
    x = _rolls(2, 48)
    with torch.no_grad():
        assert torch.equal(modules["G"](x), G(x))
        assert torch.equal(modules["F"](x), F(x))
    assert not modules["G"].training
    assert meta.format_version == ckpt.FORMAT_VERSION and meta.kind == "cyclegan"
    assert meta.roll == RollConfig() and meta.step == 7 and meta.phrase_steps == 64
    assert meta.source == ("pop",) and meta.target == ("jazz",)
    assert meta.modules["F"].n_res_blocks == 2


def test_load_generator_picks_direction(saved):
    folder, G, F = saved
    x = _rolls(1, 64)
    g, meta = ckpt.load_generator(folder)
    f, meta_b = ckpt.load_generator(folder, direction="b2a")
    with torch.no_grad():
        assert torch.equal(g(x), G(x)) and torch.equal(f(x), F(x))
    assert (meta.source, meta.target) == (("pop",), ("jazz",))
    assert (meta_b.source, meta_b.target) == (("jazz",), ("pop",))
    with pytest.raises(ModelError, match="expected a classifier"):
        ckpt.load_classifier(folder)


def test_load_classifier(tmp_path):
    torch.manual_seed(1)
    c = build_model(ModelConfig(kind="classifier", base_channels=4, n_classes=3)).eval()
    folder = ckpt.save_checkpoint(tmp_path / "clf", {"C": c},
                                  {"kind": "classifier", "roll": RollConfig(), "genres": ["a", "b", "c"]})
    loaded, meta = ckpt.load_classifier(folder)
    x = _rolls(4, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), c(x))
    assert meta.genres == ("a", "b", "c")
    with pytest.raises(ModelError, match="holds no generator"):
        ckpt.load_generator(folder)


@pytest.mark.slow
def test_compiled_module_is_saved_unwrapped(tmp_path):
    G = _gen()
    folder = ckpt.save_checkpoint(tmp_path / "c", {"G": torch.compile(G), "F": G}, _meta())
    from safetensors.torch import load_file

    keys = list(load_file(str(folder / ckpt.WEIGHTS_NAME)))
    assert keys and not any("_orig_mod" in k for k in keys)
    ckpt.load_checkpoint(folder)


def test_save_replaces_atomically_and_failure_keeps_old(saved, monkeypatch):
    folder, G, _ = saved
    before = (folder / ckpt.WEIGHTS_NAME).read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        ckpt.save_checkpoint(folder, {"G": _gen(res=3), "F": G}, _meta())
    assert (folder / ckpt.WEIGHTS_NAME).read_bytes() == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["model"]  # no temp folder left
    monkeypatch.undo()
    ckpt.save_checkpoint(folder, {"G": _gen(res=3), "F": G}, _meta(step=9))
    _, meta = ckpt.load_checkpoint(folder)
    assert meta.step == 9 and meta.modules["G"].n_res_blocks == 3
    assert sorted(p.name for p in folder.parent.iterdir()) == ["model"]


def _one_line_model_error(folder, match):
    with pytest.raises(ModelError, match=match) as err:
        ckpt.load_checkpoint(folder)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("cut", [0.5, 0.01])
def test_truncated_weights_raise(saved, cut):
    folder = saved[0]
    data = (folder / ckpt.WEIGHTS_NAME).read_bytes()
    (folder / ckpt.WEIGHTS_NAME).write_bytes(data[: int(len(data) * cut)])
    _one_line_model_error(folder, "truncated or corrupt")


def test_garbage_weights_raise(saved):
    folder = saved[0]
    (folder / ckpt.WEIGHTS_NAME).write_bytes(b"\xff" * 64)
    _one_line_model_error(folder, "truncated or corrupt")


def test_missing_files_raise(saved, tmp_path):
    folder = saved[0]
    _one_line_model_error(tmp_path / "nowhere", "no checkpoint folder")
    (folder / ckpt.WEIGHTS_NAME).unlink()
    _one_line_model_error(folder, "missing model.safetensors")
    (folder / ckpt.CONFIG_NAME).unlink()
    _one_line_model_error(folder, "missing config.json")


def _edit_config(folder, **changes):
    path = folder / ckpt.CONFIG_NAME
    body = json.loads(path.read_text())
    body.update(changes)
    path.write_text(json.dumps(body))
    return body


def test_config_that_does_not_match_weights_raises(saved):
    folder = saved[0]
    body = json.loads((folder / ckpt.CONFIG_NAME).read_text())
    body["modules"]["G"]["base_channels"] = 8
    _edit_config(folder, modules=body["modules"])
    _one_line_model_error(folder, "do not match its config")


def test_config_with_fewer_blocks_than_weights_raises(saved):
    folder = saved[0]
    body = json.loads((folder / ckpt.CONFIG_NAME).read_text())
    body["modules"]["F"]["n_res_blocks"] = 1
    _edit_config(folder, modules=body["modules"])
    _one_line_model_error(folder, "unexpected")


def test_unknown_version_kind_and_bad_json_raise(saved):
    folder = saved[0]
    _edit_config(folder, format_version=99)
    _one_line_model_error(folder, "unknown checkpoint format_version 99")
    _edit_config(folder, format_version=1, kind="vae")
    _one_line_model_error(folder, "unknown checkpoint kind 'vae'")
    _edit_config(folder, kind="cyclegan", modules={"G": {"kind": "generator", "depth": 3}})
    _one_line_model_error(folder, "invalid model, roll or training config")
    (folder / ckpt.CONFIG_NAME).write_text("{not json")
    _one_line_model_error(folder, "unreadable JSON")


def _pickle_payload(marker: str) -> bytes:
    """A protocol-0 pickle whose loading calls os.mkdir(marker): proof that something was executed.
    Written by hand, so the test suite never imports pickle."""
    return b"cos\nmkdir\n(V" + marker.encode("raw_unicode_escape") + b"\ntR."


def test_pickles_in_the_folder_are_never_loaded(saved, tmp_path):
    folder, G, _ = saved
    marker = tmp_path / "pwned"
    payload = _pickle_payload(str(marker))
    for name in ("model.pt", "model.pth", "optimizer.pkl", "meta.pkl"):
        (folder / name).write_bytes(payload)
    modules, _ = ckpt.load_checkpoint(folder)
    ckpt.load_generator(folder)
    assert not marker.exists()
    # A pickle posing as the weights file is rejected, not executed.
    (folder / ckpt.WEIGHTS_NAME).write_bytes(payload)
    _one_line_model_error(folder, "truncated or corrupt")
    # A folder with only a pickle has no weights.
    (folder / ckpt.WEIGHTS_NAME).unlink()
    _one_line_model_error(folder, "missing model.safetensors")
    assert not marker.exists()


def test_save_rejects_bad_meta_and_modules(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        ckpt.save_checkpoint(tmp_path / "x", {"G": _gen()}, {"kind": "vae", "roll": RollConfig()})
    with pytest.raises(ValueError, match="ModelConfig"):
        ckpt.save_checkpoint(tmp_path / "x", {"G": torch.nn.Linear(2, 2)}, {"kind": "gan", "roll": RollConfig()})
    with pytest.raises(ValueError, match="needs modules"):
        ckpt.save_checkpoint(tmp_path / "y", {"G": _gen()}, {"kind": "cyclegan", "roll": RollConfig()})
    assert not (tmp_path / "y").exists()


def test_gan_generator_checkpoint_keeps_noise_projection(tmp_path):
    G = _gen(z_dim=8).eval()
    folder = ckpt.save_checkpoint(tmp_path / "gan", {"G": G}, {"kind": "gan", "roll": RollConfig(),
                                                               "source": ["pop"], "target": ["jazz"]})
    g, meta = ckpt.load_generator(folder)
    x, z = _rolls(2, 64), torch.randn(2, 8)
    with torch.no_grad():
        assert torch.equal(g(x, z), G(x, z)) and torch.equal(g(x), G(x))
    assert meta.modules["G"] == dataclasses.replace(G.config)


# ------------------------------------------------------------------------- typed meta, migration
def test_meta_is_typed_with_the_training_config_and_the_writer_version(tmp_path):
    from midistyle import __version__
    from midistyle.config import TrainConfig

    folder = ckpt.save_checkpoint(tmp_path / "m", {"G": _gen(), "F": _gen()}, _meta(train=TrainConfig()))
    meta = ckpt.read_meta(folder)
    assert isinstance(meta, ckpt.CheckpointMeta) and meta.path == folder
    assert isinstance(meta.train, TrainConfig) and meta.train.lambda_cycle == 10.0
    assert meta.midistyle_version == __version__ and meta.format_version == ckpt.FORMAT_VERSION == 3
    assert meta.window == 64 and meta.target_name == "jazz"
    body = json.loads((folder / ckpt.CONFIG_NAME).read_text())
    assert ckpt.CheckpointMeta.from_dict(body).to_dict() == body  # parsed once, written back the same


def test_format_1_folders_are_migrated_like_the_shipped_ones(tmp_path):
    """The shipped to_folk and classifier were written before TrainConfig.cycle_loss and
    before the writer's version was recorded: the migration table fills both in."""
    from midistyle.config import TrainConfig

    folder = ckpt.save_checkpoint(tmp_path / "m", {"G": _gen(), "F": _gen()}, _meta(train=TrainConfig()))
    body = json.loads((folder / ckpt.CONFIG_NAME).read_text())
    train = {k: v for k, v in body["train"].items() if k != "cycle_loss"}
    body = {k: v for k, v in body.items() if k != "midistyle_version"}
    (folder / ckpt.CONFIG_NAME).write_text(json.dumps(dict(body, format_version=1, train=train)))
    meta = ckpt.read_meta(folder)
    assert meta.format_version == 3 and meta.midistyle_version is None
    assert meta.train.cycle_loss == "l1"  # every run before the field existed used L1
    assert 1 in ckpt.MIGRATIONS
    shipped = ckpt.read_meta(ckpt.Path(__file__).parents[1] / "midistyle" / "pretrained" / "to_folk")
    assert shipped.train.preset == "small" and shipped.train.cycle_loss == "l1"
