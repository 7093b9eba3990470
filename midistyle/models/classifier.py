"""Genre classifier after Brunner et al. 2018: octave-wide first filters, then convolutions over time."""
from __future__ import annotations

import torch
from torch import nn

from midistyle.config import ModelConfig
from midistyle.models.blocks import ConvNormAct, check_roll, expect_kind, init_weights, pad_to_multiple

_OCTAVE = 12
_TIME_STRIDE = 8  # the two strided time layers (4 x 2)


class Classifier(nn.Module):
    """[B, C, T, P] -> logits [B, n_classes] for any T.

    Layers (base c): conv 1x12 stride 1x12 (one filter position per octave) -> c; conv 4x1 stride 4 -> 2c;
    conv 2x1 stride 2 -> 4c; conv 3x1 -> 8c; conv 1 x n_octaves -> n_classes logits per time window,
    averaged over the windows that hold real input. Brunner et al.'s last time layer is 8x1 stride 8
    (fixed 64 steps); the 3x1 layer plus the average make any length work. Inputs are mapped
    from {0, 1} to {-1, 1} as in their code.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        expect_kind(config, "classifier", "Classifier")
        self.config = config
        c, norm = config.base_channels, config.norm
        self.n_octaves = -(-config.n_pitches // _OCTAVE)
        self.features = nn.Sequential(
            ConvNormAct(config.in_channels, c, (1, _OCTAVE), (1, _OCTAVE), padding=0, norm="none", act="lrelu"),
            ConvNormAct(c, 2 * c, (4, 1), (4, 1), padding=0, norm=norm, act="lrelu"),
            ConvNormAct(2 * c, 4 * c, (2, 1), (2, 1), padding=0, norm=norm, act="lrelu"),
            ConvNormAct(4 * c, 8 * c, (3, 1), 1, norm=norm, act="lrelu"),
        )
        self.head = nn.Conv2d(8 * c, config.n_classes, (1, self.n_octaves))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_roll(x, self.config.in_channels, "Classifier")
        t, p = x.shape[-2:]
        if p != self.config.n_pitches:
            raise ValueError(f"Classifier was built for {self.config.n_pitches} pitches, got {p}")
        x = pad_to_multiple(x, _TIME_STRIDE, _OCTAVE)  # silence appended in time, empty pitches on top
        windows = self.head(self.features(x * 2.0 - 1.0))  # [B, n_classes, T_pad / 8, 1]
        n_real = -(-t // _TIME_STRIDE)  # windows that overlap real steps
        return windows[:, :, :n_real, 0].mean(dim=2)


def predict_proba(module: nn.Module, windows, n_classes: int, device: str | torch.device = "cpu",
                  batch_size: int = 128):
    """Softmax class probabilities of phrase windows: numpy [n, C, T, P] -> float64 [n, n_classes].

    One batched inference pass; :class:`midistyle.genre_classifier.GenreClassifier` calls it for
    convert's source-genre detection, evaluate and classify.
    """
    import numpy as np

    out = [np.zeros((0, n_classes), np.float64)]
    with torch.inference_mode():
        for a in range(0, len(windows), batch_size):
            logits = module(torch.from_numpy(np.ascontiguousarray(windows[a:a + batch_size])).to(device))
            out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy().astype(np.float64))
    return np.concatenate(out)
