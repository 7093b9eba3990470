"""Arranger task: lead-sheet planes + genre code -> drum lanes, bass and comp rolls, trained supervised.

A real song's own lead sheet is the input and its own drums, bass and comping the target, so each
genre's real arrangements are its parallel data. The network is the conditional ResNet generator
(:class:`~midistyle.models.generator.Generator`, FiLM-conditioned on a one-hot genre) on
:func:`net_inputs` planes; its output planes are :data:`OUTPUTS`. Loss: binary cross-entropy per
cell with the note cells weighted ``pos_weight`` times (rolls are mostly silence).
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from midistyle.arrangement.planes import BEAT_COL, CHROMA_COLS, DOWNBEAT_COL, DRUM_COLS
from midistyle.models.registry import build_model
from midistyle.representation.drums import LANES
from midistyle.training.adversarial import make_adam
from midistyle.training.task import Task

INPUTS = ("melody_onset", "melody_sustain", "chroma", "downbeat", "beat")
OUTPUTS = ("bass_onset", "bass_sustain", "comp_onset", "comp_sustain", "drums")
ROLE_ONSETS = {"bass": 0, "comp": 2, "drums": 4}  # output channel of each role's onsets


def net_inputs(planes: torch.Tensor, low_pitch: int) -> torch.Tensor:
    """Stored planes [B, 7, T, P] -> network input [B, 5, T, P]: the melody, the chord chroma spread
    over the pitch axis (each pitch its class's value) and the downbeat and beat marks on every pitch."""
    ctx = planes[:, 6]
    n_pitch = planes.shape[-1]
    classes = (torch.arange(n_pitch, device=planes.device) + low_pitch) % 12
    chroma = ctx[..., CHROMA_COLS][..., classes]
    grid = [ctx[..., col:col + 1].expand(-1, -1, n_pitch) for col in (DOWNBEAT_COL, BEAT_COL)]
    return torch.stack([planes[:, 0], planes[:, 1], chroma, *grid], dim=1)


def net_targets(planes: torch.Tensor) -> torch.Tensor:
    """Stored planes -> the target planes [B, 5, T, P]: bass and comp onset/sustain, drum lanes in
    the first columns of the last plane (the rest of it zero, and left out of the loss)."""
    drums = torch.zeros_like(planes[:, 6])
    drums[..., :len(LANES)] = planes[:, 6][..., DRUM_COLS]
    return torch.cat([planes[:, 2:6], drums[:, None]], dim=1)


def loss_mask(shape: torch.Size, device) -> torch.Tensor:
    """[1, 5, 1, P]: every cell of the pitched planes, the lane columns of the drum plane."""
    mask = torch.ones((1, len(OUTPUTS), 1, shape[-1]), device=device)
    mask[:, 4, :, len(LANES):] = 0
    return mask


def genre_onehot(labels: torch.Tensor, n: int) -> torch.Tensor:
    return F.one_hot(labels, n).float()


def weighted_bce(prob: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, pos_weight: float) -> torch.Tensor:
    """Per item: masked mean of BCE with note cells weighted ``pos_weight``."""
    p = prob.clamp(1e-6, 1 - 1e-6)
    cell = -(pos_weight * target * torch.log(p) + (1 - target) * torch.log1p(-p))
    return (cell * mask).flatten(1).sum(1) / mask.expand_as(cell).flatten(1).sum(1)


@torch.no_grad()
def onset_scores(prob: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per item and role: true positives, predicted and real onset cells above 0.5 (exact cell)."""
    out = {}
    for role, ch in ROLE_ONSETS.items():
        pred, real = (prob[:, ch] > 0.5) & (mask[:, ch] > 0), target[:, ch] > 0.5
        out[role] = torch.stack([(pred & real).flatten(1).sum(1), pred.flatten(1).sum(1),
                                 real.flatten(1).sum(1)], dim=1).float()
    return out


class ArrangerTask(Task):
    """Supervised arranger over ``info.genres`` (labels = code order). Batches:
    ``{"planes": [B, 7, T, P], "label": [B]}`` (:class:`~midistyle.data.dataset.ArrangementDataset`)."""

    kind = "arranger"
    best_metric = "f1"
    best_mode = "max"

    def __init__(self, preset, cfg, runtime, info):
        super().__init__(cfg, runtime, info)
        self.n = len(info.genres)
        g = dataclasses.replace(preset.generator, in_channels=len(INPUTS), out_channels=len(OUTPUTS), z_dim=0,
                                cond_dim=self.n, input_skip=0.0, edit_margin=-1, reduce_beat=0)
        self.G = build_model(g)
        self.opt = make_adam(self.G.parameters(), cfg)

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt}

    def export(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def _forward(self, batch: Mapping[str, torch.Tensor]):
        planes = self.rt.prep(batch["planes"])
        labels = batch["label"].to(planes.device)
        x, y = net_inputs(planes, self.info.roll.low_pitch), net_targets(planes)
        with self.rt.autocast():
            prob = self.G(x, code=genre_onehot(labels, self.n)).float()
        return prob, y, loss_mask(y.shape, y.device)

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        prob, y, mask = self._forward(batch)
        loss = weighted_bce(prob, y, mask, self.cfg.pos_weight).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"bce": float(loss.detach())}

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        prob, y, mask = self._forward(batch)
        out = {"n": float(len(y)), "bce": float(weighted_bce(prob, y, mask, self.cfg.pos_weight).sum())}
        for role, counts in onset_scores(prob, y, mask).items():
            tp, pred, real = counts.sum(0).tolist()
            out.update({f"{role}_tp": tp, f"{role}_pred": pred, f"{role}_real": real})
        return out

    def summarize(self, totals: Mapping[str, float]) -> dict[str, float]:
        """Mean BCE per item; onset F1 per role over all cells (pooled), and their mean ``f1``."""
        out = {"bce": totals.get("bce", 0.0) / max(totals.get("n", 0.0), 1.0)}
        for role in ROLE_ONSETS:
            tp, pred, real = (totals.get(f"{role}_{k}", 0.0) for k in ("tp", "pred", "real"))
            out[f"f1_{role}"] = 2 * tp / max(pred + real, 1.0)
            out[f"density_{role}"] = pred / max(real, 1.0)  # predicted / real onsets
        out["f1"] = sum(out[f"f1_{r}"] for r in ROLE_ONSETS) / len(ROLE_ONSETS)
        return out
