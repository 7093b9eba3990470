"""A discriminator with its optimiser and least-squares losses as one object, and the image pool."""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from midistyle.config import TrainConfig
from midistyle.models.blocks import binarize
from midistyle.training.runtime import Runtime


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """No parameter gradients for ``module`` in graphs built inside the block (inputs still get them)."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


def make_adam(params, cfg: TrainConfig) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


class Adversary:
    """Discriminator ``D``, its Adam optimiser and LSGAN losses (targets 1 = real, 0 = generated).

    Every input to ``D`` gets half-normal noise ``|N(0, sigma)|`` added while training, as in
    Brunner et al.'s code: it blurs the binary real rolls towards the soft generated ones so ``D``
    cannot win on value range alone. With ``cfg.d_binary`` every input is first thresholded at 0.5
    (straight-through gradient): D then judges the notes convert would play, not how soft G's values are.
    A conditional D takes ``cond`` planes (e.g. a lead sheet) beside what it judges: they are
    appended to its input after the noise and thresholding, so both apply to the judged planes only.
    """

    def __init__(self, D: nn.Module, cfg: TrainConfig, runtime: Runtime):
        self.D = D
        self.opt = make_adam(D.parameters(), cfg)
        self.sigma = cfg.d_input_noise
        self.binary = cfg.d_binary
        self.rt = runtime

    def _input(self, x: torch.Tensor, noisy: bool) -> torch.Tensor:
        if self.binary:
            x = binarize(x)
        if noisy and self.sigma > 0:
            x = x + torch.randn_like(x).abs_() * self.sigma
        return x

    def _score(self, x: torch.Tensor, noisy: bool, cond: torch.Tensor | None = None) -> torch.Tensor:
        x = self._input(x, noisy)
        if cond is not None:
            x = torch.cat([x, cond.to(x.dtype)], dim=1)
        with self.rt.autocast():
            return self.D(x).float()

    def generator_loss(self, fake: torch.Tensor, *, noisy: bool = True,
                       cond: torch.Tensor | None = None) -> torch.Tensor:
        """LSGAN generator term: push D's scores of ``fake`` to 1. D's weights get no gradient."""
        with frozen(self.D):
            score = self._score(fake, noisy, cond)
        return F.mse_loss(score, torch.ones_like(score))

    def update(self, real: torch.Tensor, fake: torch.Tensor, cond: torch.Tensor | None = None) -> float:
        """One optimiser step of D on a real and a generated batch (both given ``cond``, when
        conditional); returns its loss."""
        self.opt.zero_grad(set_to_none=True)
        s_real, s_fake = self._score(real, True, cond), self._score(fake.detach(), True, cond)
        loss = 0.5 * (F.mse_loss(s_real, torch.ones_like(s_real)) + F.mse_loss(s_fake, torch.zeros_like(s_fake)))
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    @torch.no_grad()
    def item_losses(self, x: torch.Tensor, target: float, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Noise-free per-item LSGAN loss of D's scores on ``x`` against ``target`` (for validation)."""
        score = self._score(x, False, cond)
        return ((score - target) ** 2).flatten(1).mean(1)


class AuxAdversary(Adversary):
    """An :class:`Adversary` whose D also names the genre (StarGAN, Choi et al. 2018).

    D (built with ``aux_classes``) scores real/fake (LSGAN) and gives genre logits from the same
    features. D learns the genres of real phrases only (cross-entropy x ``lambda_cls``) and keeps
    learning them for the whole run, so the generator's genre loss is never against a frozen judge.
    """

    def __init__(self, D: nn.Module, cfg: TrainConfig, runtime: Runtime):
        super().__init__(D, cfg, runtime)
        self.lambda_cls = cfg.lambda_cls

    def _heads(self, x: torch.Tensor, noisy: bool) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._input(x, noisy)
        with self.rt.autocast():
            score, logits = self.D.heads(x)
        return score.float(), logits.float()

    def generator_losses(self, fake: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """LSGAN term (D's scores of ``fake`` -> 1) and cross-entropy of D's genre head against
        ``target`` (genre indices); D's weights get no gradient."""
        with frozen(self.D):
            score, logits = self._heads(fake, True)
        return F.mse_loss(score, torch.ones_like(score)), F.cross_entropy(logits, target)

    def update_labelled(self, real: torch.Tensor, labels: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        """One optimiser step of D: real/fake on both batches plus the genres of ``real``."""
        self.opt.zero_grad(set_to_none=True)
        s_real, logits = self._heads(real, True)
        s_fake, _ = self._heads(fake.detach(), True)
        adv = 0.5 * (F.mse_loss(s_real, torch.ones_like(s_real)) + F.mse_loss(s_fake, torch.zeros_like(s_fake)))
        cls = F.cross_entropy(logits, labels)
        (adv + self.lambda_cls * cls).backward()
        self.opt.step()
        return {"d": float(adv.detach()), "d_cls": float(cls.detach()),
                "d_acc": float((logits.argmax(1) == labels).float().mean())}

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Noise-free genre logits (for validation)."""
        return self._heads(x, False)[1]


class ImagePool:
    """History of generated batches (Shrivastava et al. 2017; CycleGAN's pool of 50).

    ``query`` returns, per item, either the new item or (with probability 1/2 once the pool is full) a
    stored older one that the new item replaces. Randomness comes from torch's global generator, which
    the training loop saves and restores.
    """

    def __init__(self, size: int):
        self.size = size
        self.items: list[torch.Tensor] = []

    @torch.no_grad()
    def query(self, batch: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return batch.detach()
        out = []
        for item in batch.detach():
            if len(self.items) < self.size:
                self.items.append(item.clone())
                out.append(item)
            elif float(torch.rand(())) < 0.5:
                idx = int(torch.randint(len(self.items), ()))
                out.append(self.items[idx].clone())
                self.items[idx] = item.clone()
            else:
                out.append(item)
        return torch.stack(out).contiguous(memory_format=_format_of(batch))

    def state(self) -> torch.Tensor:
        """The stored items as one CPU tensor [n, ...] (empty when nothing is stored)."""
        return torch.stack(self.items).cpu().contiguous() if self.items else torch.zeros(0)

    def load_state(self, stacked: torch.Tensor, device: torch.device) -> None:
        self.items = [item.to(device) for item in stacked] if stacked.numel() else []


def _format_of(x: torch.Tensor) -> torch.memory_format:
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format
