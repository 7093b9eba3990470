"""Explicit name -> builder table for every network kind."""
from __future__ import annotations

from typing import Callable

from torch import nn

from midistyle.config import ModelConfig
from midistyle.models.classifier import Classifier
from midistyle.models.discriminator import Discriminator
from midistyle.models.generator import Generator

BUILDERS: dict[str, Callable[[ModelConfig], nn.Module]] = {
    "generator": Generator,
    "discriminator": Discriminator,
    "classifier": Classifier,
}


def get_builder(name: str) -> Callable[[ModelConfig], nn.Module]:
    """The builder registered as ``name``; unknown names raise KeyError listing the valid ones."""
    try:
        return BUILDERS[name]
    except KeyError:
        raise KeyError(f"unknown model kind {name!r}; valid: {sorted(BUILDERS)}") from None


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised network for ``config`` (its ``.config`` attribute is ``config``)."""
    return get_builder(config.kind)(config)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
