"""Where and how a run computes: device, bf16 autocast, channels_last, torch.compile, and the
process group when ``torchrun`` started several processes (see :mod:`.distributed`)."""
from __future__ import annotations

import contextlib
import dataclasses
import os

import torch
from torch import nn

from midistyle.config import PRESETS, TrainConfig
from midistyle.models.device import resolve_device
from midistyle.training.distributed import SINGLE, Group, from_env
from midistyle.training.runs import run_preset


@dataclasses.dataclass(frozen=True)
class Runtime:
    """Resolved execution settings (see :func:`resolve_runtime`)."""

    device: torch.device
    bf16: bool = False
    channels_last: bool = False
    compile: bool = False
    group: Group = SINGLE  # the training processes (one unless started by torchrun)

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on CUDA when enabled, otherwise a no-op."""
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def prep(self, x: torch.Tensor) -> torch.Tensor:
        """Move a batch tensor to the device (channels_last for 4-D float tensors when enabled)."""
        x = x.to(self.device, non_blocking=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def place(self, module: nn.Module) -> nn.Module:
        """Move ``module`` here (in place, parameters keep their identity) and compile it if asked."""
        module.to(self.device)
        if self.channels_last:
            module.to(memory_format=torch.channels_last)
        if self.compile:
            module.compile()  # in place: state_dict keys stay free of "_orig_mod."
        return module


CPU_PRESETS = ("small", "tiny")  # sized for a CPU; the others need a GPU to finish in reasonable time


def default_preset(device: torch.device) -> str:
    """The preset a run gets without one named: ``small`` on a CPU, ``brunner`` (Brunner et al.'s sizes) on a GPU."""
    return "small" if device.type == "cpu" else "brunner"


def choose_preset(preset: str | None, device: str | torch.device | None, resume: bool,
                  run_dir: str | os.PathLike) -> tuple[str, str | None]:
    """``(preset, why)``: the preset named (why None), else the resumed run's own, else the
    :func:`default_preset` of ``device``; ``why`` says in a few words why it was chosen."""
    if preset is not None:
        return preset, None
    saved = run_preset(run_dir) if resume else None
    if saved in PRESETS:
        return saved, "the run's own"
    dev = resolve_device(device)
    why = ("sized for a CPU; --preset brunner is Brunner et al.'s size, a GPU job" if dev.type == "cpu"
           else f"Brunner et al.'s sizes on {dev.type.upper()}")
    return default_preset(dev), why


def resolve_runtime(cfg: TrainConfig, device: str | torch.device | None = None) -> Runtime:
    """Pick device and speed settings: each ``None`` option of ``cfg`` means "on CUDA only".

    bf16 autocast is never used on CPU (slower there and it changes the numbers). Under torchrun
    with several processes this joins their group; each rank then uses GPU ``LOCAL_RANK`` (or the CPU).
    """
    group, dev = from_env(device)
    dev = dev or resolve_device(device)
    cuda = dev.type == "cuda"
    pick = lambda value: cuda if value is None else bool(value)  # noqa: E731
    return Runtime(device=dev, bf16=pick(cfg.bf16) and cuda, channels_last=pick(cfg.channels_last),
                   compile=pick(cfg.compile), group=group)
