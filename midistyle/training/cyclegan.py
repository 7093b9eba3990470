"""CycleGAN task (Brunner et al. 2018): G: A -> B, F: B -> A, LSGAN + cycle L1, optional mixed discriminators."""
from __future__ import annotations

import dataclasses
import itertools
from typing import Mapping

import torch
from torch import nn
from torch.utils.data import Dataset

from midistyle.config import Preset, TrainConfig
from midistyle.errors import ConfigError
from midistyle.models.registry import build_model
from midistyle.training.adversarial import Adversary, ImagePool, make_adam
from midistyle.training.runtime import Runtime
from midistyle.training.task import Task, TaskInfo, recall, reconstruction_error


class CycleGANTask(Task):
    """Unpaired genre transfer between domains A and B (each a set of genres).

    Batches: ``{"a": [B, 2, T, P], "b": [B, 2, T, P]}``, plus ``"mixed"`` (phrases of all genres) when
    ``cfg.mixed == "full"``. With ``cfg.mixed == "partial"`` the mixed reals are drawn from the
    batch's own A and B phrases (A u B). The extra discriminators D_A_all / D_B_all learn "real
    music of any of these genres" vs G's output and add ``gamma_mixed`` x their LSGAN term to the
    generator loss; Brunner et al.'s code trained them but left them out of the generator loss,
    which leaves them without effect on G.
    """

    kind = "cyclegan"
    best_metric = "g_total"
    best_mode = "min"

    def __init__(self, preset: Preset, cfg: TrainConfig, runtime: Runtime, info: TaskInfo):
        super().__init__(cfg, runtime, info)
        gen_cfg = dataclasses.replace(preset.generator, z_dim=0)
        self.G = build_model(gen_cfg)
        self.F = build_model(gen_cfg)
        self.adversaries = {"D_A": Adversary(build_model(preset.discriminator), cfg, runtime),
                            "D_B": Adversary(build_model(preset.discriminator), cfg, runtime)}
        if cfg.mixed != "none":
            self.adversaries["D_A_all"] = Adversary(build_model(preset.discriminator), cfg, runtime)
            self.adversaries["D_B_all"] = Adversary(build_model(preset.discriminator), cfg, runtime)
        self.opt_g = make_adam(itertools.chain(self.G.parameters(), self.F.parameters()), cfg)
        self.pool_a, self.pool_b = ImagePool(cfg.pool_size), ImagePool(cfg.pool_size)

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F, **{name: adv.D for name, adv in self.adversaries.items()}}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, **{name: adv.opt for name, adv in self.adversaries.items()}}

    def export(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F}

    def _mixed(self, batch: Mapping[str, torch.Tensor], a: torch.Tensor, b: torch.Tensor) -> torch.Tensor | None:
        if self.cfg.mixed == "none":
            return None
        if self.cfg.mixed == "full":
            if "mixed" not in batch:
                raise ConfigError("mixed='full' needs batches with a 'mixed' entry (phrases of all genres)")
            return self.rt.prep(batch["mixed"])
        both = torch.cat([a, b])
        return both[torch.randperm(len(both))[: len(a)].to(both.device)]

    def _transfer(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with self.rt.autocast():
            fake_b = self.G(a)
            rec_a = self.F(fake_b)
            fake_a = self.F(b)
            rec_b = self.G(fake_a)
        return fake_b.float(), rec_a.float(), fake_a.float(), rec_b.float()

    def _cycle(self, rec: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Per-item reconstruction error: mean |rec - real| ("l1", Brunner et al.) or mean squared ("mse")."""
        return reconstruction_error(rec, real, self.cfg.cycle_loss)

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        a, b = self.rt.prep(batch["a"]), self.rt.prep(batch["b"])
        mixed = self._mixed(batch, a, b)
        adv = self.adversaries
        # Generators: fool D_B with G(a) and D_A with F(b); reconstruct both inputs.
        self.opt_g.zero_grad(set_to_none=True)
        fake_b, rec_a, fake_a, rec_b = self._transfer(a, b)
        g_adv = adv["D_B"].generator_loss(fake_b) + adv["D_A"].generator_loss(fake_a)
        if mixed is not None:
            g_adv = g_adv + self.cfg.gamma_mixed * (adv["D_B_all"].generator_loss(fake_b)
                                                    + adv["D_A_all"].generator_loss(fake_a))
        cycle = self._cycle(rec_a, a).mean() + self._cycle(rec_b, b).mean()
        g_loss = g_adv + self.cfg.lambda_cycle * cycle
        g_loss.backward()
        self.opt_g.step()
        # Discriminators: real phrases vs a history of generated ones.
        pool_a, pool_b = self.pool_a.query(fake_a), self.pool_b.query(fake_b)
        losses = {"g": float(g_loss.detach()), "g_adv": float(g_adv.detach()), "cycle": float(cycle.detach()),
                  "d_a": adv["D_A"].update(a, pool_a), "d_b": adv["D_B"].update(b, pool_b)}
        if mixed is not None:
            losses["d_a_all"] = adv["D_A_all"].update(mixed, pool_a)
            losses["d_b_all"] = adv["D_B_all"].update(mixed, pool_b)
        return losses

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        a, b = self.rt.prep(batch["a"]), self.rt.prep(batch["b"])
        fake_b, rec_a, fake_a, rec_b = self._transfer(a, b)
        adv = self.adversaries
        cycle = self._cycle(rec_a, a) + self._cycle(rec_b, b)
        g_adv = adv["D_B"].item_losses(fake_b, 1.0) + adv["D_A"].item_losses(fake_a, 1.0)
        return {
            "n": float(len(a)),
            "cycle": float(cycle.sum()),
            "g_adv": float(g_adv.sum()),
            "g_total": float((g_adv + self.cfg.lambda_cycle * cycle).sum()),
            "d_real": float((adv["D_A"].item_losses(a, 1.0) + adv["D_B"].item_losses(b, 1.0)).sum()),
            "d_fake": float((adv["D_A"].item_losses(fake_a, 0.0) + adv["D_B"].item_losses(fake_b, 0.0)).sum()),
            # Collapse detectors: share of notes that survive A -> B -> A and A -> B (thresholded
            # sustain cells), and note density of G's output against real B phrases.
            "cycle_recall": float(recall(rec_a, a).sum()),
            "kept_in_transfer": float(recall(fake_b, a).sum()),
            "density_fake_b": float((fake_b > 0.5).float().flatten(1).mean(1).sum()),
            "density_real_b": float(b.flatten(1).mean(1).sum()),
        }

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {"pool_a": self.pool_a.state(), "pool_b": self.pool_b.state()}

    def load_state_tensors(self, tensors: Mapping[str, torch.Tensor]) -> None:
        self.pool_a.load_state(tensors.get("pool_a", torch.zeros(0)), self.rt.device)
        self.pool_b.load_state(tensors.get("pool_b", torch.zeros(0)), self.rt.device)


class WithMixed(Dataset):
    """Unpaired A/B items plus a ``"mixed"`` roll drawn from ``mixed`` (a PhraseDataset of all genres)."""

    def __init__(self, pairs: Dataset, mixed: Dataset, seed: int = 0):
        if len(mixed) == 0:
            raise ConfigError("the mixed dataset is empty")
        self.pairs, self.mixed = pairs, mixed
        self.order = torch.randperm(len(mixed), generator=torch.Generator().manual_seed(seed)).tolist()

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict:
        item = dict(self.pairs[index])
        item["mixed"] = self.mixed[self.order[index % len(self.order)]]["roll"]
        return item
