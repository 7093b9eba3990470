"""Data-parallel training over processes started by ``torchrun`` (PyTorch's own launcher).

``torchrun --standalone --nproc-per-node N -m midistyle train ...`` starts N copies of the
command, each with ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` in its environment.
:func:`from_env` joins them into one process group (NCCL on CUDA, gloo on CPU) and gives the
training loop a :class:`Group`, which keeps the loop generic over tasks:

- every global batch (the same seeded shuffle as in one process) is cut into N contiguous
  slices, one per rank, so steps, epochs and the learning-rate schedule do not depend on N and a
  run can be resumed on another number of ranks;
- before each optimiser step the gradients of that optimiser's parameters are summed over the
  ranks, each weighted by its rank's share of the batch (an optimiser step pre-hook: any task,
  whatever networks and optimisers it has, is synchronised without wrapping its modules, so
  state_dict keys never get a ``module.`` prefix). For a loss that is a mean over the batch this
  is exactly the gradient one process computes on the whole batch;
- rank 0 alone writes files; the per-rank state (random generators, image pools) is gathered
  into its checkpoints.

Without torchrun (or with N = 1) the loop gets :data:`SINGLE`, whose methods cost nothing.
"""
from __future__ import annotations

import atexit
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

from midistyle.errors import ConfigError, InputError, ModelError, OutputError
from midistyle.models.device import resolve_device

_ERRORS = {cls.__name__: cls for cls in (InputError, OutputError, ModelError)}


class Group:
    """This process's place among the training processes, and the collectives the loop needs.

    ``rank`` 0 of ``world`` is the main process (the only one that writes). ``device`` is where
    collective tensors live (the rank's GPU under NCCL, else the CPU).
    """

    def __init__(self, rank: int = 0, world: int = 1, local_rank: int = 0,
                 device: torch.device = torch.device("cpu")):
        self.rank, self.world, self.local_rank, self.device = rank, world, local_rank, device
        self._weight = 1.0

    @property
    def main(self) -> bool:
        return self.rank == 0

    def __repr__(self) -> str:
        return f"Group(rank={self.rank}, world={self.world})"

    # -- data ------------------------------------------------------------------------------
    def slice(self, batch: Sequence[int]) -> list[int]:
        """This rank's contiguous part of a global batch (sizes differ by at most one)."""
        n = len(batch)
        return list(batch[self.rank * n // self.world:(self.rank + 1) * n // self.world])

    def check_batch(self, smallest: int) -> None:
        if smallest < self.world:
            raise ConfigError(f"a batch of {smallest} phrases cannot be shared by {self.world} processes: "
                             f"raise --batch-size to at least {self.world} or use fewer processes")

    def share(self, local: int, total: int) -> None:
        """Weight of this rank's gradients in the next optimiser steps: its share of the batch."""
        self._weight = local / total

    # -- gradients and weights --------------------------------------------------------------
    def sync_gradients(self, optimizers: Iterable[torch.optim.Optimizer]) -> None:
        """Make every ``step()`` of these optimisers first sum the ranks' weighted gradients."""
        if self.world == 1:
            return
        for opt in optimizers:
            if not getattr(opt, "_midistyle_synced", False):
                opt.register_step_pre_hook(self._reduce_gradients)
                opt._midistyle_synced = True

    def _reduce_gradients(self, opt: torch.optim.Optimizer, args, kwargs) -> None:
        import torch.distributed as dist

        params = [p for group in opt.param_groups for p in group["params"]]
        for (device, dtype), members in _by_kind(params).items():
            # one buffer per kind: weighted gradients (zeros where a rank has none), then a
            # has-gradient flag per parameter, so a parameter no rank touched keeps grad None
            parts = [(p.grad.detach().reshape(-1) * self._weight) if p.grad is not None
                     else torch.zeros(p.numel(), device=device, dtype=dtype) for p in members]
            parts.append(torch.tensor([float(p.grad is not None) for p in members], device=device, dtype=dtype))
            flat = torch.cat(parts)
            dist.all_reduce(flat)
            flags, offset = flat[-len(members):], 0
            for p, flag in zip(members, flags.tolist()):
                n = p.numel()
                if flag > 0:
                    p.grad = flat[offset:offset + n].view_as(p).clone()
                offset += n

    def broadcast_modules(self, modules: Mapping[str, nn.Module]) -> None:
        """Give every rank rank 0's parameters and buffers."""
        if self.world == 1:
            return
        import torch.distributed as dist

        tensors = [t for name in sorted(modules) for t in _state(modules[name])]
        with torch.no_grad():
            for members in _by_kind(tensors).values():
                flat = torch.cat([t.detach().reshape(-1) for t in members])
                dist.broadcast(flat, 0)
                _scatter(flat, members)

    def average_buffers(self, modules: Mapping[str, nn.Module]) -> None:
        """Average floating-point buffers (batch-norm running statistics) over the ranks."""
        if self.world == 1:
            return
        import torch.distributed as dist

        buffers = [b for name in sorted(modules) for b in modules[name].buffers() if b.is_floating_point()]
        with torch.no_grad():
            for members in _by_kind(buffers).values():
                flat = torch.cat([b.reshape(-1) for b in members]) / self.world
                dist.all_reduce(flat)
                _scatter(flat, members)

    # -- small messages ---------------------------------------------------------------------
    def gather_bytes(self, data: bytes) -> list[bytes]:
        """Every rank's ``data``, in rank order, on every rank."""
        if self.world == 1:
            return [data]
        import torch.distributed as dist

        size = torch.tensor([len(data)], dtype=torch.int64, device=self.device)
        sizes = [torch.zeros_like(size) for _ in range(self.world)]
        dist.all_gather(sizes, size)
        lengths = [int(s) for s in sizes]
        padded = torch.zeros(max(lengths), dtype=torch.uint8, device=self.device)
        padded[:len(data)] = _tensor(data, self.device)
        out = [torch.empty_like(padded) for _ in range(self.world)]
        dist.all_gather(out, padded)
        return [o[:n].cpu().numpy().tobytes() for o, n in zip(out, lengths)]

    def broadcast_bytes(self, data: bytes | None) -> bytes:
        """Rank 0's ``data`` on every rank (the others pass None)."""
        if self.world == 1:
            return data or b""
        import torch.distributed as dist

        size = torch.tensor([len(data) if self.main else 0], dtype=torch.int64, device=self.device)
        dist.broadcast(size, 0)
        buf = _tensor(data, self.device) if self.main else torch.empty(int(size), dtype=torch.uint8,
                                                                         device=self.device)
        if int(size):
            dist.broadcast(buf, 0)
        return data if self.main else buf.cpu().numpy().tobytes()

    def mean_of(self, values: Mapping[str, float]) -> dict[str, float]:
        """Per key, the mean over the ranks that have it."""
        if self.world == 1:
            return dict(values)
        sums: dict[str, list[float]] = {}
        for raw in self.gather_bytes(json.dumps(values).encode()):
            for key, value in json.loads(raw).items():
                sums.setdefault(key, []).append(value)
        return {k: sum(v) / len(v) for k, v in sums.items()}

    def sum_of(self, values: Mapping[str, float]) -> dict[str, float]:
        """Per key, the sum over the ranks."""
        if self.world == 1:
            return dict(values)
        out: dict[str, float] = {}
        for raw in self.gather_bytes(json.dumps(values).encode()):
            for key, value in json.loads(raw).items():
                out[key] = out.get(key, 0.0) + value
        return out

    def from_main(self, fn: Callable[[], bytes]) -> bytes:
        """Run ``fn`` on rank 0 and hand its bytes to every rank; its typed error is raised on all."""
        if self.world == 1:
            return fn()
        if self.main:
            try:
                result = fn()
            except BaseException as exc:
                self.broadcast_bytes(b"E" + json.dumps(_describe(exc)).encode())
                raise
            self.broadcast_bytes(b"K" + result)
            return result
        message = self.broadcast_bytes(None)
        if message[:1] == b"E":
            raise _rebuild(json.loads(message[1:]))
        return message[1:]

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()


SINGLE = Group()


def is_main_process() -> bool:
    """False in every process torchrun started but rank 0 (which writes and reports for all); True outside torchrun."""
    return int(os.environ.get("RANK", "0") or 0) == 0


def from_env(device: str | torch.device | None = None) -> tuple[Group, torch.device | None]:
    """The group torchrun's environment describes (joined on first use) and this rank's device.

    Returns ``(SINGLE, None)`` outside torchrun or with one process. Under torchrun the device is
    ``cuda:LOCAL_RANK`` when CUDA is present and ``device`` is not ``"cpu"``, else the CPU.
    """
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return SINGLE, None
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    wanted = resolve_device(device) if device is not None else None  # a bad name: one-line ConfigError
    cuda = torch.cuda.is_available() and (wanted is None or wanted.type == "cuda")
    dev = torch.device("cuda", local) if cuda else torch.device("cpu")
    if not dist.is_initialized():
        if cuda:
            torch.cuda.set_device(dev)
            dist.init_process_group("nccl", device_id=dev)
        else:
            dist.init_process_group("gloo")
        atexit.register(_close)
    return Group(rank, world, local, dev), dev


def pack_files(folder: Path) -> bytes:
    """The plain files of a folder as one blob (a JSON header of names and sizes, then the bytes)."""
    files = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}
    head = json.dumps([[name, len(data)] for name, data in files.items()]).encode()
    return len(head).to_bytes(8, "little") + head + b"".join(files.values())


def unpack_files(blob: bytes, folder: Path) -> None:
    """Write what :func:`pack_files` packed into ``folder``."""
    n = int.from_bytes(blob[:8], "little")
    offset = 8 + n
    for name, size in json.loads(blob[8:offset]):
        (Path(folder) / Path(name).name).write_bytes(blob[offset:offset + size])
        offset += size


def stream_seed(seed: int, rank: int, step: int = 0) -> int:
    """Seed of a rank's training random stream (rank 0 of a fresh run: ``seed + 1``, as one process)."""
    return seed + 1 + rank * 1_000_003 + step * 7_919


# ------------------------------------------------------------------------------------------ helpers
def _close() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def _state(module: nn.Module) -> list[torch.Tensor]:
    return list(module.parameters()) + list(module.buffers())


def _by_kind(tensors: Iterable[torch.Tensor]) -> dict[tuple[torch.device, torch.dtype], list[torch.Tensor]]:
    kinds: dict[tuple[torch.device, torch.dtype], list[torch.Tensor]] = {}
    for t in tensors:
        kinds.setdefault((t.device, t.dtype), []).append(t)
    return kinds


def _scatter(flat: torch.Tensor, members: list[torch.Tensor]) -> None:
    offset = 0
    for t in members:
        t.data.copy_(flat[offset:offset + t.numel()].view_as(t))
        offset += t.numel()


def _tensor(data: bytes, device: torch.device) -> torch.Tensor:
    if not data:
        return torch.zeros(0, dtype=torch.uint8, device=device)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).to(device)


def _describe(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, tuple(_ERRORS.values())):
        return {"type": type(exc).__name__, "path": exc.path, "reason": exc.reason}
    if isinstance(exc, ValueError):
        return {"type": "ValueError", "reason": str(exc)}
    return {"type": "RuntimeError", "reason": f"rank 0 failed: {type(exc).__name__}: {exc}"}


def _rebuild(info: Mapping[str, Any]) -> BaseException:
    cls = _ERRORS.get(info.get("type", ""))
    if cls is not None:
        return cls(info.get("path"), info["reason"])
    return ConfigError(info["reason"]) if info.get("type") == "ValueError" else RuntimeError(info["reason"])

