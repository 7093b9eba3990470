"""Conditional GAN task: generator(z, source phrase) -> target-genre phrase, judged against real target phrases."""
from __future__ import annotations

import dataclasses
from typing import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from midistyle.config import Preset, TrainConfig
from midistyle.models.registry import build_model
from midistyle.training.adversarial import Adversary, make_adam
from midistyle.training.runtime import Runtime
from midistyle.training.task import Task, TaskInfo, recall


class GANTask(Task):
    """Loss of G: LSGAN(D(G(z, a)) -> 1) + ``lambda_content`` x MSE(G(z, a), a); D: real b vs G(z, a).

    Batches: ``{"a": source phrases, "b": target-genre phrases}`` (unpaired). The content term keeps
    the source's notes; the adversarial term moves them towards the target genre.
    """

    kind = "gan"
    best_metric = "g_total"
    best_mode = "min"

    def __init__(self, preset: Preset, cfg: TrainConfig, runtime: Runtime, info: TaskInfo):
        super().__init__(cfg, runtime, info)
        self.G = build_model(dataclasses.replace(preset.generator, z_dim=preset.gan_z_dim))
        self.adversary = Adversary(build_model(preset.discriminator), cfg, runtime)
        self.opt_g = make_adam(self.G.parameters(), cfg)

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.adversary.D}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.adversary.opt}

    def export(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def _generate(self, a: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
        with self.rt.autocast():
            return self.G(a, z).float()

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        a, b = self.rt.prep(batch["a"]), self.rt.prep(batch["b"])
        self.opt_g.zero_grad(set_to_none=True)
        z = self.G.sample_z(len(a), device=a.device)
        fake = self._generate(a, z)
        g_adv = self.adversary.generator_loss(fake)
        content = F.mse_loss(fake, a)
        g_loss = g_adv + self.cfg.lambda_content * content
        g_loss.backward()
        self.opt_g.step()
        d_loss = self.adversary.update(b, fake)
        return {"g": float(g_loss.detach()), "g_adv": float(g_adv.detach()), "content": float(content.detach()),
                "d": d_loss}

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        a, b = self.rt.prep(batch["a"]), self.rt.prep(batch["b"])
        fake = self._generate(a, None)  # z = 0: the deterministic output convert uses
        content = ((fake - a) ** 2).flatten(1).mean(1)
        g_adv = self.adversary.item_losses(fake, 1.0)
        return {
            "n": float(len(a)),
            "content": float(content.sum()),
            "g_adv": float(g_adv.sum()),
            "g_total": float((g_adv + self.cfg.lambda_content * content).sum()),
            "d_real": float(self.adversary.item_losses(b, 1.0).sum()),
            "d_fake": float(self.adversary.item_losses(fake, 0.0).sum()),
            "kept": float(recall(fake, a).sum()),  # share of source notes still sounding in the output
            "density_fake": float((fake > 0.5).float().flatten(1).mean(1).sum()),
            "density_real": float(b.flatten(1).mean(1).sum()),
        }
