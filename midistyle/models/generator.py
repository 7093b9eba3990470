"""ResNet generator of Brunner et al. 2018: conv 7x7 -> 2 downsamplings -> N residual blocks -> 2 upsamplings -> conv 7x7 -> sigmoid."""
from __future__ import annotations

import torch
from torch import nn

from midistyle.config import ModelConfig
from midistyle.models.blocks import (ConvNormAct, ResidualBlock, check_roll, downsample, expect_kind, init_weights,
                                     pad_to_multiple, upsample)
from midistyle.models.reduction import reduce_roll

# Two stride-2 stages: time and pitch are padded to a multiple of 4, and to at least 8 so the
# reflect padding of the residual blocks (1 row) fits at the bottleneck.
_MULTIPLE, _MIN_SIZE = 4, 8


class Generator(nn.Module):
    """Maps a roll batch [B, C, T, P] to a roll batch of the same shape with values in [0, 1].

    Fully convolutional: any T and P work (they are zero-padded internally, i.e. silence is appended,
    and the output is cropped back). With ``config.z_dim > 0`` (the GAN generator) a noise vector is
    projected to the bottleneck channels and added there. With ``config.cond_dim > 0`` (StarGAN) the
    residual blocks are modulated by a code [B, cond_dim] (see :class:`~midistyle.models.blocks.FiLM`).
    With ``config.input_skip > 0`` the head's logits are added to ``input_skip * (2x - 1)`` before the
    sigmoid: the network learns edits of its input rather than a whole new roll. ``config.edit_margin
    >= 0`` then also keeps every note within the input's pitch span widened by that many semitones.
    With ``config.reduce_beat > 0`` all of this reads the input's reduction
    (:func:`~midistyle.models.reduction.reduce_roll`) in its place.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        expect_kind(config, "generator", "Generator")
        self.config = config
        c, k, norm = config.base_channels, config.kernel_size, config.norm
        self.stem = ConvNormAct(config.in_channels, c, k, pad_mode="reflect", norm=norm, act="relu")
        self.down = nn.Sequential(downsample(c, 2 * c, norm), downsample(2 * c, 4 * c, norm))
        self.z_proj = nn.Linear(config.z_dim, 4 * c) if config.z_dim else None
        self.res = nn.Sequential(*(ResidualBlock(4 * c, norm, config.cond_dim) for _ in range(config.n_res_blocks)))
        self.up = nn.Sequential(upsample(4 * c, 2 * c, norm), upsample(2 * c, c, norm))
        self.head = ConvNormAct(c, config.out_channels, k, pad_mode="reflect", norm="none",
                                act="none" if config.input_skip else "sigmoid")
        init_weights(self)

    def sample_z(self, batch: int, *, device: torch.device | str | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Standard-normal noise [batch, z_dim] (None when this generator takes no noise)."""
        if not self.config.z_dim:
            return None
        return torch.randn(batch, self.config.z_dim, device=device, generator=generator)

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None, code: torch.Tensor | None = None) -> torch.Tensor:
        """Transfer ``x`` [B, in_channels, T, P]; ``z`` [B, z_dim] or None (= zeros: the deterministic mean);
        ``code`` [B, cond_dim], required when the generator is conditioned (``config.cond_dim > 0``)."""
        check_roll(x, self.config.in_channels, "Generator")
        if self.config.cond_dim and (code is None or code.shape != (x.shape[0], self.config.cond_dim)):
            got = None if code is None else tuple(code.shape)
            raise ValueError(f"Generator expects a code of shape [{x.shape[0]}, {self.config.cond_dim}], got {got}")
        t, p = x.shape[-2:]
        if self.config.reduce_beat:
            x = reduce_roll(x, self.config.reduce_beat)
        padded = pad_to_multiple(x, _MULTIPLE, _MULTIPLE, min_time=_MIN_SIZE, min_pitch=_MIN_SIZE)
        h = self.down(self.stem(padded))
        if self.z_proj is not None and z is not None:
            if z.shape != (x.shape[0], self.config.z_dim):
                raise ValueError(f"Generator expects z of shape [{x.shape[0]}, {self.config.z_dim}], got {tuple(z.shape)}")
            h = h + self.z_proj(z.to(h.dtype))[:, :, None, None]
        if self.config.cond_dim:
            for block in self.res:
                h = block(h, code)
        else:
            h = self.res(h)
        out = self.head(self.up(h))
        if self.config.input_skip:  # an edit of the input: logits start from +-input_skip
            out = out + self.config.input_skip * (2.0 * padded.to(out.dtype) - 1.0)
            if self.config.edit_margin >= 0:
                out = out - _OUTSIDE * ~_pitch_span(padded, self.config.edit_margin)
            out = torch.sigmoid(out)
        return out[..., :t, :p]


_OUTSIDE = 30.0  # logit penalty outside the edit span: sigmoid(-30 + ...) is 0 for any sane logit


def _pitch_span(x: torch.Tensor, margin: int) -> torch.Tensor:
    """Bool [B, 1, 1, P]: pitch rows within ``margin`` semitones of the lowest and highest row that
    sounds anywhere in each item of ``x`` [B, C, T, P] (all False for a silent item)."""
    rows = x.detach().amax(dim=(1, 2)) > 0.5  # [B, P]
    idx = torch.arange(x.shape[-1], device=x.device)
    big = x.shape[-1] + margin + 1
    lo = torch.where(rows, idx, big).amin(dim=1, keepdim=True) - margin
    hi = torch.where(rows, idx, -big).amax(dim=1, keepdim=True) + margin
    return ((idx >= lo) & (idx <= hi))[:, None, None, :]


def genre_code(target: torch.Tensor, source: torch.Tensor | None, n_genres: int,
               known: torch.Tensor | None = None) -> torch.Tensor:
    """StarGAN conditioning code [B, 2 * n_genres]: one-hot target genre, then one-hot source genre.

    ``target``/``source`` are int64 genre indices [B]. The source half is uniform (1 / n_genres each)
    where it is unknown: ``source`` None, or ``known`` (bool [B]) False. This is what a convert
    without ``--from`` feeds the generator.
    """
    onehot_t = torch.nn.functional.one_hot(target, n_genres).float()
    uniform = torch.full_like(onehot_t, 1.0 / n_genres)
    if source is None:
        return torch.cat([onehot_t, uniform], dim=1)
    onehot_s = torch.nn.functional.one_hot(source, n_genres).float()
    if known is not None:
        onehot_s = torch.where(known[:, None], onehot_s, uniform)
    return torch.cat([onehot_t, onehot_s], dim=1)
