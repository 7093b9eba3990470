"""Training state for exact resume, stored without pickle: tensors in safetensors, the rest in JSON.

Covers optimiser states, torch / CUDA / Python / NumPy random generators and a task's extra
tensors (image pools). Optimiser states are the same on every rank of a data-parallel run; the
random generators and image pools are each rank's own: rank 0's sit at the top level (what one
process reads), rank r's under ``rank<r>/`` with their JSON under ``"ranks"``.
"""
from __future__ import annotations

import json
import random
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from midistyle.training.task import Task

TENSORS_NAME = "training_state.safetensors"
JSON_NAME = "training_state.json"


def _optimizer_flat(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, entry in sd["state"].items():
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}/{pid}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_load(opt: torch.optim.Optimizer, prefix: str, tensors: Mapping[str, torch.Tensor],
                    info: Mapping[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        head, _, rest = key.partition("/")
        if head == prefix:
            pid, _, name = rest.partition("/")
            state.setdefault(int(pid), {})[name] = value
    for pid, entry in info.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(entry)
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else dict(g) for g in info["param_groups"]]
    opt.load_state_dict({"state": state, "param_groups": groups})


def _rng_flat() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = s
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return tensors, {"python": [version, list(internal), gauss],
                     "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]}


def _rng_load(tensors: Mapping[str, torch.Tensor], info: Mapping[str, Any]) -> None:
    torch.set_rng_state(tensors["rng/torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("rng/cuda/"))]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    version, internal, gauss = info["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = info["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))


def rank_state(task: Task) -> bytes:
    """This process's own part of the training state (random generators, task tensors) as bytes."""
    tensors, info = _rng_flat()
    tensors.update({f"task/{k}": v.detach().cpu().contiguous() for k, v in task.state_tensors().items()})
    return save_bytes(tensors, metadata={"json": json.dumps(info)})


def pack(task: Task, scalars: Mapping[str, Any], ranks: Sequence[bytes] = ()) -> dict[str, bytes]:
    """The files of a training state: optimisers, then each rank's :func:`rank_state` (``ranks``,
    rank order; default this process alone), plus ``scalars`` (step, best...)."""
    ranks = list(ranks) or [rank_state(task)]
    tensors: dict[str, torch.Tensor] = {}
    infos: dict[str, Any] = {}
    for r, blob in enumerate(ranks):
        prefix = "" if r == 0 else f"rank{r}/"
        tensors.update({prefix + k: v for k, v in load_bytes(blob).items()})
        infos[str(r)] = json.loads(_metadata(blob)["json"])
    optim_info = {}
    for name, opt in task.optimizers().items():
        t, optim_info[name] = _optimizer_flat(opt, f"optim.{name}")
        tensors.update(t)
    body = {"rng": infos.pop("0"), "optimizers": optim_info, "world_size": len(ranks),
            **({"ranks": {r: {"rng": info} for r, info in infos.items()}} if infos else {}), **scalars}
    return {TENSORS_NAME: save_bytes(tensors), JSON_NAME: json.dumps(body, indent=1).encode("utf-8")}


def unpack(task: Task, tensor_bytes: bytes, json_bytes: bytes, rank: int = 0) -> dict[str, Any]:
    """Restore what :func:`pack` saved into ``task`` and the RNGs; returns the JSON body (step, best...).

    Rank ``rank`` takes its own generators and pools; a rank the saved run did not have (resuming
    on more processes) keeps empty pools, and the body says ``"fresh_rank": True`` so the caller
    seeds its generators.
    """
    tensors = load_bytes(tensor_bytes)
    body = json.loads(json_bytes.decode("utf-8"))
    for name, opt in task.optimizers().items():
        _optimizer_load(opt, f"optim.{name}", tensors, body["optimizers"][name])
    if rank == 0:
        own, info = {k: v for k, v in tensors.items() if not k.startswith("rank")}, body["rng"]
    elif str(rank) in body.get("ranks", {}):
        prefix = f"rank{rank}/"
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        info = body["ranks"][str(rank)]["rng"]
    else:
        return dict(body, fresh_rank=True)
    task.load_state_tensors({k[len("task/"):]: v for k, v in own.items() if k.startswith("task/")})
    _rng_load(own, info)
    return body


def _metadata(blob: bytes) -> dict[str, str]:
    """The string metadata of a safetensors blob (its JSON header's ``__metadata__``)."""
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8:8 + n]).get("__metadata__", {})
