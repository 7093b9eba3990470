"""What the training loop asks of a task; shared plumbing for the GAN, CycleGAN and classifier tasks."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import torch
from torch import nn

from midistyle.config import RollConfig, TrainConfig, to_dict
from midistyle.training.runtime import Runtime


@dataclasses.dataclass(frozen=True)
class TaskInfo:
    """Data facts a checkpoint must remember: the grid, class names and transfer direction."""

    roll: RollConfig
    genres: tuple[str, ...] = ()  # classifier: logit order; transfer: every genre involved
    source: tuple[str, ...] = ()  # domain A
    target: tuple[str, ...] = ()  # domain B
    phrase_steps: int | None = None


class Task:
    """Base class of a training task. The loop drives it through this small protocol.

    Subclasses set ``kind`` (checkpoint kind), ``best_metric`` / ``best_mode`` (which validation
    number picks ``best/``), build their networks and optimisers in ``__init__`` (on CPU; the loop
    calls :meth:`setup` to place them) and implement :meth:`modules`, :meth:`optimizers`,
    :meth:`step`, :meth:`validate` and :meth:`export`.
    """

    kind: str = ""
    best_metric: str = ""
    best_mode: str = "min"  # "min" or "max"

    def __init__(self, cfg: TrainConfig, runtime: Runtime, info: TaskInfo):
        self.cfg = cfg
        self.rt = runtime
        self.info = info

    # -- protocol ---------------------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        """Every network that has trainable state, by checkpoint name."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Every optimiser, by name (a discriminator's is named after it)."""
        raise NotImplementedError

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """One optimisation step on ``batch``; returns its losses."""
        raise NotImplementedError

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """Sums over the items of ``batch`` (key ``n`` = item count); called under no_grad in eval mode."""
        raise NotImplementedError

    def summarize(self, totals: Mapping[str, float]) -> dict[str, float]:
        """Turn summed validation numbers into the reported metrics (default: means per item)."""
        n = max(totals.get("n", 0.0), 1.0)
        return {k: v / n for k, v in totals.items() if k != "n"}

    def export(self) -> dict[str, nn.Module]:
        """The networks a shipped checkpoint holds (e.g. G and F, not the discriminators)."""
        raise NotImplementedError

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Extra state the loop must save for an exact resume (e.g. image pools)."""
        return {}

    def load_state_tensors(self, tensors: Mapping[str, torch.Tensor]) -> None:
        """Restore what :meth:`state_tensors` gave."""

    # -- shared plumbing --------------------------------------------------------------------
    def setup(self) -> None:
        """Place every network on the runtime's device (and compile it if asked)."""
        for module in self.modules().values():
            self.rt.place(module)

    def train(self) -> None:
        for module in self.modules().values():
            module.train()

    def eval(self) -> None:
        for module in self.modules().values():
            module.eval()

    def set_lr(self, lr: float) -> None:
        for opt in self.optimizers().values():
            for group in opt.param_groups:
                group["lr"] = lr

    def checkpoint_meta(self) -> dict[str, Any]:
        """The meta every checkpoint of this task carries (the loop adds step and metrics)."""
        return {"kind": self.kind, "roll": self.info.roll, "genres": list(self.info.genres),
                "source": list(self.info.source), "target": list(self.info.target),
                "phrase_steps": self.info.phrase_steps, "train": to_dict(self.cfg)}


def recall(output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """Per item: share of the source's sounding cells (sustain channel) that ``output`` keeps above 0.5."""
    src = source[:, -1] > 0.5
    hit = (output[:, -1] > 0.5) & src
    return hit.flatten(1).sum(1) / src.flatten(1).sum(1).clamp(min=1)
