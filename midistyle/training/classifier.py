"""Genre classifier task: cross-entropy over genres, validation accuracy overall and per genre."""
from __future__ import annotations

import dataclasses
from typing import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from midistyle.config import Preset, TrainConfig
from midistyle.errors import ConfigError
from midistyle.models.registry import build_model
from midistyle.training.adversarial import make_adam
from midistyle.training.runtime import Runtime
from midistyle.training.task import Task, TaskInfo


class ClassifierTask(Task):
    """Batches: ``{"roll": [B, 2, T, P], "label": [B] int64 index into info.genres}``.

    While training, N(0, ``c_input_noise``) is added to the inputs (0 by default, as in Brunner et al.'s
    code, which added noise only when testing robustness).
    """

    kind = "classifier"
    best_metric = "accuracy"
    best_mode = "max"

    def __init__(self, preset: Preset, cfg: TrainConfig, runtime: Runtime, info: TaskInfo):
        super().__init__(cfg, runtime, info)
        if len(info.genres) < 2:
            raise ConfigError(f"a classifier needs at least 2 genres, got {list(info.genres)}")
        self.C = build_model(dataclasses.replace(preset.classifier, n_classes=len(info.genres),
                                                 n_pitches=info.roll.n_pitches))
        self.opt = make_adam(self.C.parameters(), cfg)

    def modules(self) -> dict[str, nn.Module]:
        return {"C": self.C}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"C": self.opt}

    def export(self) -> dict[str, nn.Module]:
        return {"C": self.C}

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        with self.rt.autocast():
            return self.C(x).float()

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        x, y = self.rt.prep(batch["roll"]), batch["label"].to(self.rt.device)
        if self.cfg.c_input_noise > 0:
            x = x + torch.randn_like(x) * self.cfg.c_input_noise
        self.opt.zero_grad(set_to_none=True)
        logits = self._logits(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        self.opt.step()
        return {"loss": float(loss.detach()), "accuracy": float((logits.argmax(1) == y).float().mean())}

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        x, y = self.rt.prep(batch["roll"]), batch["label"].to(self.rt.device)
        logits = self._logits(x)
        hit = logits.argmax(1) == y
        out = {"n": float(len(y)), "loss": float(F.cross_entropy(logits, y, reduction="sum")),
               "correct": float(hit.sum())}
        for index, genre in enumerate(self.info.genres):
            mask = y == index
            out[f"count_{genre}"] = float(mask.sum())
            out[f"correct_{genre}"] = float((hit & mask).sum())
        return out

    def summarize(self, totals: Mapping[str, float]) -> dict[str, float]:
        n = max(totals.get("n", 0.0), 1.0)
        out = {"loss": totals.get("loss", 0.0) / n, "accuracy": totals.get("correct", 0.0) / n}
        for genre in self.info.genres:
            count = totals.get(f"count_{genre}", 0.0)
            if count:
                out[f"accuracy_{genre}"] = totals[f"correct_{genre}"] / count
        return out
