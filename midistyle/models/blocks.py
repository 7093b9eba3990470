"""Shared layers: the only place convolutions, norms and activations are spelled out."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = ("relu", "lrelu", "sigmoid", "none")


def straight_through(hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """``hard``'s values with ``soft``'s gradient (a threshold that still trains what feeds it)."""
    return hard.to(soft.dtype) + soft - soft.detach()


def binarize(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """``x > threshold`` as 0/1 in ``x``'s dtype, with the identity's gradient."""
    return straight_through(x > threshold, x)


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Instance norm (affine, no running stats: train and eval behave the same), batch norm or nothing."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; valid: instance, batch, none")


def activation(kind: str) -> nn.Module:
    if kind == "relu":
        return nn.ReLU(inplace=True)
    if kind == "lrelu":
        return nn.LeakyReLU(0.2, inplace=True)
    if kind == "sigmoid":
        return nn.Sigmoid()
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown activation {kind!r}; valid: {list(ACTIVATIONS)}")


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class ConvNormAct(nn.Sequential):
    """Conv (or transposed conv) -> norm -> activation.

    ``padding=None`` keeps the size at stride 1 and gives ceil(size / stride) otherwise, like
    TensorFlow's "SAME" that Brunner et al. used. The convolution has no bias when a norm follows
    (the norm's shift replaces it). ``transpose=True`` builds an exact 2x upsampler for stride 2.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int | tuple[int, int], stride: int | tuple[int, int] = 1,
                 *, padding: int | tuple[int, int] | None = None, pad_mode: str = "zeros", norm: str = "instance",
                 act: str = "relu", transpose: bool = False):
        kernel, stride = _pair(kernel), _pair(stride)
        pad = tuple(k // 2 for k in kernel) if padding is None else _pair(padding)
        bias = norm == "none"
        if transpose:
            out_pad = tuple(s - 1 for s in stride)
            conv = nn.ConvTranspose2d(in_ch, out_ch, kernel, stride, padding=pad, output_padding=out_pad, bias=bias)
        else:
            conv = nn.Conv2d(in_ch, out_ch, kernel, stride, padding=pad, padding_mode=pad_mode, bias=bias)
        super().__init__(conv, norm_layer(norm, out_ch), activation(act))


class FiLM(nn.Module):
    """Feature-wise modulation by a code (Perez et al. 2018): ``h * (1 + gamma(c)) + beta(c)`` per channel.

    A code cannot enter through constant input planes here: instance norm removes any per-channel
    constant, so conditioning acts after the norms. Initialised near the identity (small weights).
    """

    def __init__(self, cond_dim: int, channels: int):
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * channels)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.proj(code.to(h.dtype))[:, :, None, None].chunk(2, dim=1)
        return h * (1 + gamma) + beta


class ResidualBlock(nn.Module):
    """Two reflect-padded 3x3 conv-norm layers; ``relu(x + f(x))`` as in Brunner et al.'s generator.

    With ``cond_dim > 0`` each layer's output is modulated by :class:`FiLM` of the code passed to
    :meth:`forward` (a conditional norm, as in StarGAN-style generators).
    """

    def __init__(self, channels: int, norm: str = "instance", cond_dim: int = 0):
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(channels, channels, 3, pad_mode="reflect", norm=norm, act="relu"),
            ConvNormAct(channels, channels, 3, pad_mode="reflect", norm=norm, act="none"),
        )
        self.film = nn.ModuleList([FiLM(cond_dim, channels), FiLM(cond_dim, channels)]) if cond_dim else None

    def forward(self, x: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        if self.film is None:
            return F.relu(x + self.body(x))
        if code is None:
            raise ValueError("this residual block is conditioned: pass a code")
        h = self.film[0](self.body[0](x), code)
        return F.relu(x + self.film[1](self.body[1](h), code))


def downsample(in_ch: int, out_ch: int, norm: str = "instance") -> ConvNormAct:
    """3x3 stride-2 conv: halves time and pitch (rounding up)."""
    return ConvNormAct(in_ch, out_ch, 3, 2, norm=norm, act="relu")


def upsample(in_ch: int, out_ch: int, norm: str = "instance") -> ConvNormAct:
    """3x3 stride-2 transposed conv: doubles time and pitch exactly."""
    return ConvNormAct(in_ch, out_ch, 3, 2, norm=norm, act="relu", transpose=True)


def pad_to_multiple(x: torch.Tensor, time_multiple: int, pitch_multiple: int, *, min_time: int = 1,
                    min_pitch: int = 1, value: float = 0.0) -> torch.Tensor:
    """Pad the last two axes (time, pitch) at their end up to multiples (and minimum sizes)."""
    t, p = x.shape[-2:]
    new_t = max(-(-t // time_multiple) * time_multiple, -(-min_time // time_multiple) * time_multiple)
    new_p = max(-(-p // pitch_multiple) * pitch_multiple, -(-min_pitch // pitch_multiple) * pitch_multiple)
    if (new_t, new_p) == (t, p):
        return x
    return F.pad(x, (0, new_p - p, 0, new_t - t), value=value)


def check_roll(x: torch.Tensor, channels: int, who: str) -> None:
    """Raise ValueError unless ``x`` is a batch of rolls [batch, channels, time, pitch]."""
    if x.dim() != 4 or x.shape[1] != channels or x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"{who} expects a tensor [batch, {channels}, time, pitch], got {tuple(x.shape)}")


@torch.no_grad()
def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """N(0, std) conv/linear weights and zero biases; norm scales N(1, std) (pix2pix/CycleGAN and Brunner)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.InstanceNorm2d, nn.BatchNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


def expect_kind(config, kind: str, who: str) -> None:
    """Raise ValueError unless ``config`` (a ModelConfig) is of ``kind``."""
    if config.kind != kind:
        raise ValueError(f"{who} needs a ModelConfig of kind {kind!r}, got {config.kind!r}")
