"""What made a checkpoint: the corpus (digest of its index, subset seed), the code revision, the
library versions, the device and precision, and the wall time; stored as ``provenance`` in config.json."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from midistyle import __version__

INDEX_NAME = "index.json"  # midistyle.data.index.INDEX_NAME (not imported: that pulls the data layer in)


def corpus_facts(data_dir: str | os.PathLike) -> dict[str, Any]:
    """``corpus`` (the folder), ``index_sha256`` (of its index.json; None when it has none) and
    ``subset_seed`` (the seed ``midistyle subset`` drew it with; None for a full corpus)."""
    import json

    path = Path(data_dir) / INDEX_NAME
    facts: dict[str, Any] = {"corpus": str(Path(data_dir).resolve()), "index_sha256": None, "subset_seed": None}
    try:
        data = path.read_bytes()
    except OSError:
        return facts
    facts["index_sha256"] = hashlib.sha256(data).hexdigest()
    try:
        summary = json.loads(data).get("summary") or {}
        facts["subset_seed"] = summary.get("subset_seed") if isinstance(summary, dict) else None
    except (ValueError, AttributeError):
        pass
    return facts


def git_revision(where: str | os.PathLike | None = None) -> str:
    """The commit of the checkout midistyle runs from (``+dirty`` with local changes to tracked files),
    or ``"unknown"`` outside a checkout or without git; never raises."""
    cwd = Path(where) if where is not None else Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if head.returncode != 0 or not head.stdout.strip():
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError, ValueError):
        return "unknown"


def runtime_facts(device: torch.device, bf16: bool) -> dict[str, Any]:
    """Library versions, the device (with the GPU's name on CUDA) and the precision of the run."""
    facts: dict[str, Any] = {"git_revision": git_revision(), "midistyle_version": __version__,
                             "torch_version": torch.__version__, "numpy_version": np.__version__,
                             "device": str(device), "precision": "bf16-autocast" if bf16 else "float32"}
    if device.type == "cuda":
        try:
            facts["device_name"] = torch.cuda.get_device_name(device)
        except (RuntimeError, AssertionError):
            pass
    return facts
