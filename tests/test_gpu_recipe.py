"""examples/train_stargan_gpu.py: its run specs, commands and packing (the parts that run without a GPU)."""
from __future__ import annotations

import importlib.util
import tarfile
from pathlib import Path

import pytest
import torch

from midistyle.config import ModelConfig, RollConfig
from midistyle.models.checkpoint import load_generator, save_checkpoint
from midistyle.models.generator import Generator

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "examples" / "train_stargan_gpu.py"


def _recipe():
    spec = importlib.util.spec_from_file_location("train_stargan_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_specs_become_train_commands(tmp_path):
    gpu = _recipe()
    run = gpu.parse_run("jazz-small=small:focus=jazz:seed=1")
    assert run == {"name": "jazz-small", "preset": "small", "focus": "jazz", "seed": 1}
    assert gpu.parse_run("multi=medium") == {"name": "multi", "preset": "medium", "focus": None, "seed": 0}
    cmd = gpu.command(run, tmp_path / "data", tmp_path / "out", 2500, 600, "cuda")
    joined = " ".join(cmd)
    assert "train stargan" in joined and "--preset small" in joined and "--set focus=jazz" in joined
    assert "--max-steps 2500 --seed 1 --no-compile --device cuda" in joined and "--set keep_every=600" in joined
    # E16's settings, from the recipe file the CPU script (examples/train_stargan.sh) runs too
    assert f"--recipe {gpu.RECIPE}" in joined and "examples/recipes/to_jazz.toml" in (ROOT / "examples" /
                                                                                      "train_stargan.sh").read_text()
    assert gpu.recipe()["train"]["d_binary"] is True and gpu.recipe()["train"]["density_band"] == 12
    multi = gpu.command(gpu.parse_run("multi=medium"), tmp_path, tmp_path, 10, None, "cpu")
    assert "focus=" in multi and "keep_every=none" in multi  # every genre, no snapshots


@pytest.mark.slow
def test_pack_halves_medium_weights_drops_duplicates_and_keeps_to_its_share(tmp_path):
    gpu = _recipe()
    torch.manual_seed(0)
    G = Generator(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1, cond_dim=4))
    run_dir = tmp_path / "run"
    for name, step in (("best", 30), ("step10", 10), ("step20", 20), ("step30", 30)):
        save_checkpoint(run_dir / name, {"G": G}, {"kind": "stargan", "roll": RollConfig(), "genres": ["a", "b"],
                                                   "phrase_steps": 32, "step": step})
    out = tmp_path / "out"
    out.mkdir()
    budget = [10 * 2**20]
    gpu.pack({"name": "m", "preset": "medium"}, run_dir, out, budget, 10 * 2**20)
    with tarfile.open(out / "m.tar") as tar:
        names = sorted({n.split("/")[1] for n in tar.getnames() if n.count("/") >= 1})
        tar.extractall(tmp_path / "back", filter="data")
    assert names == ["best", "step10", "step20"]  # step30 is best/ again
    gen, meta = load_generator(tmp_path / "back" / "m" / "best")
    for key, value in G.state_dict().items():
        if value.is_floating_point():  # float16 on the way back, float32 once loaded
            torch.testing.assert_close(gen.state_dict()[key], value.half().float())
    assert budget[0] < 10 * 2**20
    half = sum(f.stat().st_size for f in (tmp_path / "back" / "m" / "best").iterdir())
    full = sum(f.stat().st_size for f in (run_dir / "best").iterdir())
    assert full > 1.5 * half
    gpu.pack({"name": "s", "preset": "small"}, run_dir, out, [10 * 2**20], 1.5 * (full + 4096))
    with tarfile.open(out / "s.tar") as tar:  # small stays float32: only the newest fits the share
        assert sorted({n.split("/")[1] for n in tar.getnames() if n.count("/") >= 1}) == ["best"]
