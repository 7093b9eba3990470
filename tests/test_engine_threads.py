"""On one machine, Dask workers share the cores as the local pool's workers do (no oversubscription)."""
from __future__ import annotations

import os

import pytest
import torch

from midistyle.config import ModelConfig, RollConfig
from midistyle.models.checkpoint import save_checkpoint
from midistyle.models.registry import build_model

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each

pytest.importorskip("dask.distributed")


def _threads_after_loading(model, slots):
    from midistyle import batch

    batch.engine_convert([], "jazz", model, "cpu", host_slots=slots)
    return torch.get_num_threads()


def test_dask_workers_split_the_cores_among_themselves(tmp_path):
    """Each single-thread Dask worker used to run torch on every core: 2.3x slower than the local pool."""
    from midistyle.engine import dask_client, host_slots

    g = build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1))
    save_checkpoint(tmp_path / "m", {"G": g}, {"kind": "gan", "roll": RollConfig(), "source": ["pop"],
                                               "target": ["jazz"], "genres": ["pop", "jazz"], "phrase_steps": 64})
    with dask_client(None, 2) as client:
        slots = host_slots(client)
        assert list(slots.values()) == [2]
        got = client.gather([client.submit(_threads_after_loading, str(tmp_path / "m"), slots, workers=[w],
                                           pure=False) for w in client.nthreads()])  # a task on each worker
    assert got == [max(1, (os.cpu_count() or 1) // 2)] * 2
