"""Data-parallel training under torchrun (2 CPU processes, gloo) on a corpus prepared in the test.

Each torchrun launch starts fresh Python processes (a few seconds each), so the checks share
two launches: the classifier from the command line (plain loadable checkpoint, first step's
averaged gradients equal one process's, resumed on one process), and a CycleGAN resumed from a
one-process checkpoint on two processes (several networks and optimisers, per-rank image pools).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tests.corpus_fixtures import make_sources
from safetensors.torch import load_file

from midistyle.data.corpus import prepare
from midistyle.models.checkpoint import load_checkpoint, load_classifier
from midistyle.training import distributed
from midistyle.training.api import train_classifier, train_cyclegan

torch.set_num_threads(1)
GENRES = ["band", "tunes"]
CYCLEGAN = dict(preset="tiny", device="cpu", progress=False, overrides={"d_input_noise": 0.0})  # no D noise: deterministic


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared")
    prepare(make_sources(tmp_path_factory.mktemp("src")), out, workers=1, val_fraction=0.3, progress=False)
    return out


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    launcher = Path(sys.executable).with_name("torchrun")
    head = [str(launcher)] if launcher.exists() else [sys.executable, "-m", "torch.distributed.run"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    proc = subprocess.run(head + ["--standalone", "--nproc-per-node", "2", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


def optimizer_state(run: Path) -> dict[str, torch.Tensor]:
    return {k: v for k, v in load_file(run / "last" / "training_state.safetensors").items() if k.startswith("optim.")}


def assert_close_states(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], rtol=1e-5, atol=1e-7) -> None:
    assert a.keys() == b.keys() and a
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=rtol, atol=atol, msg=key)


@pytest.mark.slow
def test_torchrun_classifier_matches_one_process_and_resumes_on_one(data, tmp_path):
    out = torchrun("-m", "midistyle", "train", "classifier", "--data", str(data), "-o", "two", "--preset", "tiny",
                   "--genres", ",".join(GENRES), "--max-steps", "1", "--device", "cpu", cwd=tmp_path)
    assert out.stdout.count("trained 1 steps") == 1  # rank 0 alone reports
    two = tmp_path / "two"
    # a plain checkpoint: loads in this single process, no "module." prefixes
    keys = load_file(two / "last" / "model.safetensors").keys()
    assert keys and all(k.startswith("C.") and "module." not in k for k in keys)
    modules, meta = load_checkpoint(two / "last")
    assert meta.step == 1 and set(modules) == {"C"}
    assert load_classifier(two / "best")[1].genres == tuple(GENRES)
    rows = [json.loads(line) for line in (two / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["split"]) for r in rows] == [(1, "train"), (1, "val")]  # written once, by rank 0
    assert json.loads((two / "run.json").read_text())["processes"] == 2
    state = load_file(two / "last" / "training_state.safetensors")
    assert not torch.equal(state["rng/torch"], state["rank1/rng/torch"])  # each rank its own random stream
    assert json.loads((two / "last" / "training_state.json").read_text())["world_size"] == 2

    # Adam's first moment after one step is (1 - beta1) x the gradient: the two ranks' averaged
    # gradients equal one process's on the same global batch of 4
    common = dict(preset="tiny", device="cpu", progress=False)
    train_classifier(data, GENRES, tmp_path / "one", max_steps=1, **common)
    assert_close_states(optimizer_state(two), optimizer_state(tmp_path / "one"))

    # resume the two-process run in one process: the same as one process from the start
    resumed = train_classifier(data, GENRES, two, max_steps=3, resume=True, **common)
    straight = train_classifier(data, GENRES, tmp_path / "straight", max_steps=3, **common)
    assert resumed.step == straight.step == 3
    # (looser: Adam scales a near-zero gradient's rounding noise of step 1 up to a full step)
    assert_close_states(optimizer_state(two), optimizer_state(tmp_path / "straight"), rtol=1e-4, atol=1e-5)
    assert [json.loads(line)["step"] for line in (two / "metrics.jsonl").read_text().splitlines()] == [1, 1, 2, 3, 3]


DRIVER = """
import sys
from midistyle.training.api import train_cyclegan
train_cyclegan(sys.argv[1], ["band"], ["tunes"], sys.argv[2], max_steps=2, resume=True, **{kwargs})
"""


@pytest.mark.slow
def test_torchrun_resumes_a_one_process_cyclegan_on_two(data, tmp_path):
    train_cyclegan(data, ["band"], ["tunes"], tmp_path / "one", max_steps=1, **CYCLEGAN)
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    (tmp_path / "driver.py").write_text(DRIVER.format(kwargs=repr(CYCLEGAN)))
    torchrun("driver.py", str(data), "two", cwd=tmp_path)
    train_cyclegan(data, ["band"], ["tunes"], tmp_path / "one", max_steps=2, resume=True, **CYCLEGAN)
    two = optimizer_state(tmp_path / "two")
    assert {k.split("/")[0] for k in two} == {"optim.G", "optim.D_A", "optim.D_B"}
    # step 2 on 2 ranks = step 2 on one, up to float rounding through G, D and F (about 3e-6 here)
    assert_close_states(two, optimizer_state(tmp_path / "one"), rtol=1e-4, atol=1e-5)
    # image pools per rank: rank 0 kept the saved pool (4) and added its 2 fakes; rank 1 began empty
    state = load_file(tmp_path / "two" / "last" / "training_state.safetensors")
    assert len(state["task/pool_a"]) == 6 and len(state["rank1/task/pool_a"]) == 2
    assert len(load_file(tmp_path / "one" / "last" / "training_state.safetensors")["task/pool_a"]) == 8
    modules, meta = load_checkpoint(tmp_path / "two" / "last")
    assert meta.step == 2 and set(modules) == {"G", "F", "D_A", "D_B"}


def test_a_global_batch_is_shared_out_in_contiguous_slices():
    batch = list(range(7))
    parts = [distributed.Group(r, 3).slice(batch) for r in range(3)]
    assert parts == [[0, 1], [2, 3], [4, 5, 6]]
    assert distributed.SINGLE.slice(batch) == batch
    with pytest.raises(ValueError, match="at least 4"):
        distributed.Group(0, 4).check_batch(3)


def test_files_travel_between_ranks_as_one_blob(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.json").write_text("{}")
    (tmp_path / "a" / "w.bin").write_bytes(bytes(range(256)))
    (tmp_path / "b").mkdir()
    distributed.unpack_files(distributed.pack_files(tmp_path / "a"), tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["config.json", "w.bin"]
    assert (tmp_path / "b" / "w.bin").read_bytes() == bytes(range(256))
