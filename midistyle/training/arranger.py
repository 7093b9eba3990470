"""Arranger task: lead-sheet planes + genre code -> drum lanes, bass and comp rolls, trained supervised.

A real song's own lead sheet is the input and its own drums, bass and comping the target, so each
genre's real arrangements are its parallel data. The network is the conditional ResNet generator
(:class:`~midistyle.models.generator.Generator`, FiLM-conditioned on a one-hot genre) on
:func:`net_inputs` planes; its output planes are :data:`OUTPUTS`. Loss: binary cross-entropy per
cell with the note cells weighted ``pos_weight`` times (rolls are mostly silence); with ``adv_weight``
a conditional least-squares discriminator per role (:data:`ROLES`) judges real vs generated parts
given the lead sheet and genre, the generated ones thresholded at 0.5 as ``convert`` plays them
(straight-through gradient); with ``density_weight`` each role's note counts per bar match the real
part's (:func:`~midistyle.training.task.count_matching`).
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from midistyle.arrangement.planes import BEAT_COL, CHROMA_COLS, DOWNBEAT_COL, DRUM_COLS
from midistyle.models.blocks import binarize
from midistyle.models.registry import build_model
from midistyle.representation.drums import LANES
from midistyle.training.adversarial import Adversary, make_adam
from midistyle.training.task import Task, count_matching

INPUTS = ("melody_onset", "melody_sustain", "chroma", "downbeat", "beat")
OUTPUTS = ("bass_onset", "bass_sustain", "comp_onset", "comp_sustain", "drums")
ROLE_ONSETS = {"bass": 0, "comp": 2, "drums": 4}  # output channel of each role's onsets
ROLES = {"bass": slice(0, 2), "comp": slice(2, 4), "drums": slice(4, 5)}  # each role's output channels


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


def role_counts_input(part: torch.Tensor) -> torch.Tensor:
    """A role's planes as the [B, 2, T, P] onset/sustain roll :func:`count_matching` reads (a drum
    lane plane is its own onsets and sustain: each hit one note)."""
    return part if part.shape[1] == 2 else part.expand(-1, 2, -1, -1)


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
        self.bar = 4 * info.roll.steps_per_beat  # count-matching window: one 4/4 bar
        # D_<role> reads the role's planes, then the lead sheet (net inputs) and the genre as planes
        self.critics = {} if not cfg.adv_weight else {
            role: Adversary(build_model(dataclasses.replace(
                preset.discriminator, in_channels=ch.stop - ch.start + len(INPUTS) + self.n)), cfg, runtime)
            for role, ch in ROLES.items()}

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, **{f"D_{role}": adv.D for role, adv in self.critics.items()}}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt, **{f"D_{role}": adv.opt for role, adv in self.critics.items()}}

    def export(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def _forward(self, batch: Mapping[str, torch.Tensor]):
        planes = self.rt.prep(batch["planes"])
        labels = batch["label"].to(planes.device)
        x, y = net_inputs(planes, self.info.roll.low_pitch), net_targets(planes)
        code = genre_onehot(labels, self.n)
        with self.rt.autocast():
            prob = self.G(x, code=code).float()
        # the critics' condition: lead sheet + genre planes (built only when there are critics)
        cond = torch.cat([x, code[:, :, None, None].expand(-1, -1, *x.shape[-2:])], 1) if self.critics else None
        return prob, y, loss_mask(y.shape, y.device), cond

    def _density(self, prob: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per item: the roles' summed per-bar note-count mismatch to the real parts."""
        return sum(count_matching(role_counts_input(prob[:, ch]), role_counts_input(y[:, ch]), self.bar)
                   for ch in ROLES.values())

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        prob, y, mask, cond = self._forward(batch)
        bce = weighted_bce(prob, y, mask, self.cfg.pos_weight).mean()
        loss, out = bce, {"bce": float(bce.detach())}
        if self.cfg.density_weight:
            density = self._density(prob * mask, y).mean()
            loss = loss + self.cfg.density_weight * density
            out["density"] = float(density.detach())
        if self.critics:
            fake = binarize(prob) * mask  # the cells convert plays; the unused drum columns silent, as in y
            g_adv = sum(adv.generator_loss(fake[:, ROLES[role]], cond=cond) for role, adv in self.critics.items())
            loss = loss + self.cfg.adv_weight * g_adv
            out["g_adv"] = float(g_adv.detach())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        for role, adv in self.critics.items():
            out[f"d_{role}"] = adv.update(y[:, ROLES[role]], fake[:, ROLES[role]], cond)
        return out

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        prob, y, mask, cond = self._forward(batch)
        out = {"n": float(len(y)), "bce": float(weighted_bce(prob, y, mask, self.cfg.pos_weight).sum())}
        if self.cfg.density_weight:
            out["density"] = float(self._density(prob * mask, y).sum())
        fake = (prob > 0.5).float() * mask
        for role, adv in self.critics.items():  # D's loss on real and generated parts: a training monitor
            out[f"d_real_{role}"] = float(adv.item_losses(y[:, ROLES[role]], 1.0, cond).sum())
            out[f"d_fake_{role}"] = float(adv.item_losses(fake[:, ROLES[role]], 0.0, cond).sum())
        for role, counts in onset_scores(prob, y, mask).items():
            tp, pred, real = counts.sum(0).tolist()
            out.update({f"{role}_tp": tp, f"{role}_pred": pred, f"{role}_real": real})
        return out

    def summarize(self, totals: Mapping[str, float]) -> dict[str, float]:
        """Mean BCE (and density mismatch, discriminator losses) per item; onset F1 per role over all
        cells (pooled), and their mean ``f1``."""
        n = max(totals.get("n", 0.0), 1.0)
        out = {k: v / n for k, v in totals.items() if k in ("bce", "density") or k.startswith("d_")}
        for role in ROLE_ONSETS:
            tp, pred, real = (totals.get(f"{role}_{k}", 0.0) for k in ("tp", "pred", "real"))
            out[f"f1_{role}"] = 2 * tp / max(pred + real, 1.0)
            out[f"density_{role}"] = pred / max(real, 1.0)  # predicted / real onsets
        out["f1"] = sum(out[f"f1_{r}"] for r in ROLE_ONSETS) / len(ROLE_ONSETS)
        return out
