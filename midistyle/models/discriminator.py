"""PatchGAN discriminator of Brunner et al. 2018: one real/fake score per patch of the roll."""
from __future__ import annotations

import torch
from torch import nn

from midistyle.config import ModelConfig
from midistyle.models.blocks import ConvNormAct, check_roll, expect_kind, init_weights
from midistyle.models.classifier import Classifier


class Discriminator(nn.Module):
    """[B, C, T, P] -> patch scores [B, 1, ceil(T/4), ceil(P/4)] (raw, for least-squares losses).

    conv k x k stride 2 (base) -> lrelu -> conv k x k stride 2 (4 x base) -> norm -> lrelu -> conv k x k -> 1,
    k = ``config.kernel_size`` (7 in Brunner et al.'s code).

    With ``config.aux_classes > 0`` (StarGAN) an auxiliary head on the same features gives genre
    logits [B, aux_classes] (3x3 conv -> lrelu -> 1x1 conv, averaged over the map): :meth:`heads`.
    With ``config.aux_head == "classifier"`` the genre head is a :class:`Classifier` of its own on the
    input (octave-wide filters, the whole phrase in view), sharing nothing with the real/fake trunk.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        expect_kind(config, "discriminator", "Discriminator")
        self.config = config
        c, k = config.base_channels, config.kernel_size
        self.net = nn.Sequential(
            ConvNormAct(config.in_channels, c, k, 2, norm="none", act="lrelu"),
            ConvNormAct(c, 4 * c, k, 2, norm=config.norm, act="lrelu"),
            ConvNormAct(4 * c, 1, k, 1, norm="none", act="none"),
        )
        self.cls = None
        if config.aux_classes and config.aux_head == "classifier":
            self.cls = Classifier(ModelConfig(kind="classifier", in_channels=config.in_channels, base_channels=c,
                                              norm=config.norm, n_classes=config.aux_classes,
                                              n_pitches=config.n_pitches))
        elif config.aux_classes:
            self.cls = nn.Sequential(ConvNormAct(4 * c, 4 * c, 3, norm="none", act="lrelu"),
                                     nn.Conv2d(4 * c, config.aux_classes, 1))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Patch scores (real/fake)."""
        check_roll(x, self.config.in_channels, "Discriminator")
        return self.net(x)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Patch scores and genre logits [B, aux_classes] from one pass (needs ``aux_classes > 0``)."""
        check_roll(x, self.config.in_channels, "Discriminator")
        if self.cls is None:
            raise ValueError("this discriminator has no auxiliary genre head (aux_classes = 0)")
        if isinstance(self.cls, Classifier):
            return self.net(x), self.cls(x)
        h = self.net[1](self.net[0](x))
        return self.net[2](h), self.cls(h).mean(dim=(2, 3))
