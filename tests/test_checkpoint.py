"""Checkpoint folders: `--model RUN` (a training run) says to give RUN/best."""
from __future__ import annotations

import pytest
import torch

from midistyle.config import ModelConfig, RollConfig
from midistyle.errors import ModelError
from midistyle.models.checkpoint import read_meta, save_checkpoint
from midistyle.models.registry import build_model


def test_a_run_folder_names_its_checkpoints(tmp_path):
    """`--model RUN` without /best said only "missing config.json"."""
    torch.manual_seed(0)
    g = build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1))
    for name in ("best", "last"):
        save_checkpoint(tmp_path / "run" / name, {"G": g}, {"kind": "gan", "roll": RollConfig(), "source": ["pop"],
                                                            "target": ["jazz"], "genres": ["pop", "jazz"],
                                                            "phrase_steps": 64})
    with pytest.raises(ModelError, match=r"training run folder, not a checkpoint: give .*run/best"):
        read_meta(tmp_path / "run")
    assert read_meta(tmp_path / "run" / "best").target == ("jazz",)
    (tmp_path / "other").mkdir()
    with pytest.raises(ModelError, match="missing config.json"):
        read_meta(tmp_path / "other")
