"""A training run's folder: the names of the files :func:`~midistyle.training.loop.fit` writes
there, and reading back what a run recorded. Standard library only."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RUN_NAME = "run.json"  # the run's TrainConfig, task and data sizes
METRICS_NAME = "metrics.jsonl"
CURVE_NAME = "loss_curve.png"


def read_run(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The ``run.json`` of the run in ``run_dir``; None when it is missing or unreadable."""
    try:
        info = json.loads((Path(run_dir) / RUN_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def run_preset(run_dir: str | os.PathLike) -> str | None:
    """The preset the run in ``run_dir`` was trained with, as its ``run.json`` says; None when it does not."""
    info = read_run(run_dir) or {}
    train = info.get("train")
    preset = train.get("preset") if isinstance(train, dict) else None
    return preset if isinstance(preset, str) else None
