"""What the training loop asks of a task; shared plumbing for the GAN, CycleGAN and classifier tasks."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import torch
from torch import nn

from midistyle.config import RollConfig, TrainConfig, to_dict
from midistyle.models import blocks
from midistyle.training.runtime import Runtime


@dataclasses.dataclass(frozen=True)
class TaskInfo:
    """Data facts a checkpoint must remember: the grid, class names and transfer direction."""

    roll: RollConfig
    genres: tuple[str, ...] = ()  # classifier: logit order; transfer: every genre involved
    source: tuple[str, ...] = ()  # domain A
    target: tuple[str, ...] = ()  # domain B
    phrase_steps: int | None = None
    # the corpus it was read from (midistyle.training.provenance.corpus_facts): kept in the provenance
    corpus: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class Task:
    """Base class of a training task. The loop drives it through this small protocol.

    Subclasses set ``kind`` (checkpoint kind), ``best_metric`` / ``best_mode`` (which validation
    number picks ``best/``), build their networks and optimisers in ``__init__`` (on CPU; the loop
    calls :meth:`setup` to place them) and implement :meth:`modules`, :meth:`optimizers`,
    :meth:`step`, :meth:`validate` and :meth:`export`.
    """

    kind: str = ""
    best_metric: str = ""
    best_mode: str = "min"  # "min" or "max"

    def __init__(self, cfg: TrainConfig, runtime: Runtime, info: TaskInfo):
        self.cfg = cfg
        self.rt = runtime
        self.info = info

    # -- protocol ---------------------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        """Every network that has trainable state, by checkpoint name."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Every optimiser, by name (a discriminator's is named after it)."""
        raise NotImplementedError

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """One optimisation step on ``batch``; returns its losses."""
        raise NotImplementedError

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """Sums over the items of ``batch`` (key ``n`` = item count); called under no_grad in eval mode."""
        raise NotImplementedError

    def summarize(self, totals: Mapping[str, float]) -> dict[str, float]:
        """Turn summed validation numbers into the reported metrics (default: means per item)."""
        n = max(totals.get("n", 0.0), 1.0)
        return {k: v / n for k, v in totals.items() if k != "n"}

    def export(self) -> dict[str, nn.Module]:
        """The networks a shipped checkpoint holds (e.g. G and F, not the discriminators)."""
        raise NotImplementedError

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Extra state the loop must save for an exact resume (e.g. image pools)."""
        return {}

    def load_state_tensors(self, tensors: Mapping[str, torch.Tensor]) -> None:
        """Restore what :meth:`state_tensors` gave."""

    # -- shared plumbing --------------------------------------------------------------------
    def setup(self) -> None:
        """Place every network on the runtime's device (and compile it if asked)."""
        for module in self.modules().values():
            self.rt.place(module)

    def train(self) -> None:
        for module in self.modules().values():
            module.train()

    def eval(self) -> None:
        for module in self.modules().values():
            module.eval()

    def set_lr(self, lr: float) -> None:
        for opt in self.optimizers().values():
            for group in opt.param_groups:
                group["lr"] = lr

    def checkpoint_meta(self) -> dict[str, Any]:
        """The meta every checkpoint of this task carries (the loop adds step and metrics)."""
        return {"kind": self.kind, "roll": self.info.roll, "genres": list(self.info.genres),
                "source": list(self.info.source), "target": list(self.info.target),
                "phrase_steps": self.info.phrase_steps, "train": to_dict(self.cfg)}


def recall(output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """Per item: share of the source's sounding cells (sustain channel) that ``output`` keeps above 0.5."""
    src = source[:, -1] > 0.5
    hit = (output[:, -1] > 0.5) & src
    return hit.flatten(1).sum(1) / src.flatten(1).sum(1).clamp(min=1)


def reconstruction_error(rec: torch.Tensor, real: torch.Tensor, kind: str) -> torch.Tensor:
    """Per item: mean |rec - real| (``kind`` "l1", Brunner et al.), mean squared error ("mse") or mean
    binary cross-entropy of ``rec`` (probabilities) against ``real`` ("bce")."""
    if kind == "bce":
        bce = torch.nn.functional.binary_cross_entropy(rec.clamp(1e-6, 1 - 1e-6), real, reduction="none")
        return bce.flatten(1).mean(1)
    diff = rec - real
    return (diff.abs() if kind == "l1" else diff * diff).flatten(1).mean(1)


def note_counts(x: torch.Tensor, window: int, *, straight_through: bool = False,
                band: int | None = None) -> torch.Tensor:
    """Per time window of ``window`` steps: onset cells, sounding cells and decoded note starts above
    0.5: [B, 3, T / window] (time padded), for model rolls [B, 2, T, P] (0 onset, 1 sustain); with
    ``band``, counted per band of that many pitches too: [B, 3, T / window, P / band] (pitch padded).

    A note starts where the converter's decoder (:func:`~midistyle.representation.roll_to_notes`)
    starts one: at an onset, or where sound begins without one. Counting those makes a held note
    chopped into pieces count as the pieces it will be played as.
    With ``straight_through`` the counts are the hard ones, but their gradient is that of the soft
    sums (every cell's probability; for starts, max(onset, rise of sustain)), so a loss on counts is
    binarisation-aware yet trainable.
    """
    on, sus = x[:, 0], torch.maximum(x[:, 1], x[:, 0])
    prev = torch.nn.functional.pad(sus[:, :-1], (0, 0, 1, 0))
    soft = torch.stack([on, sus, torch.maximum(on, (sus - prev).clamp(min=0))], dim=1)
    on_h, sus_h, prev_h = on > 0.5, sus > 0.5, prev > 0.5
    hard = torch.stack([on_h, sus_h, on_h | (sus_h & ~prev_h)], dim=1).to(x.dtype)
    cells = blocks.straight_through(hard, soft) if straight_through else hard
    pad, pad_p = (-cells.shape[2]) % window, (-cells.shape[3]) % band if band else 0
    if pad or pad_p:
        cells = torch.nn.functional.pad(cells, (0, pad_p, 0, pad))
    b, c, t, p = cells.shape
    if band:
        return cells.reshape(b, c, t // window, window, p // band, band).sum((3, 5))
    return cells.reshape(b, c, t // window, window * p).sum(-1)


def count_matching(output: torch.Tensor, source: torch.Tensor, window: int,
                   scale: torch.Tensor | None = None, band: int | None = None) -> torch.Tensor:
    """Per item: mean over the counts of :func:`note_counts` and windows (and pitch bands, with
    ``band``) of (log(1 + output count) - log(1 + wanted count))^2, the wanted count being the
    source's, times ``scale`` ([B, 3], one factor per kind of count) when given.

    Zero only when the output sounds and starts as many notes as wanted in every window (a bar), as
    the decoder will read them: deleting notes or going silent costs, adding notes or chopping held
    ones costs alike. Per band, sound cannot be moved from one register to another either (held
    bass notes struck as blips under new held notes above keep a bar's totals).
    """
    out = torch.log1p(note_counts(output, window, straight_through=True, band=band))
    wanted = note_counts(source, window, band=band)
    if scale is not None:
        wanted = wanted * scale.reshape(scale.shape + (1,) * (wanted.dim() - 2))
    return ((out - torch.log1p(wanted)) ** 2).flatten(1).mean(1)


@torch.no_grad()
def onset_f1(output: torch.Tensor, source: torch.Tensor, tolerance: int = 1) -> torch.Tensor:
    """Per item: F1 of the output's onset cells (channel 0, > 0.5) against the source's, same pitch,
    within ``tolerance`` steps (a training monitor; ``evaluate`` reports the note-level one)."""
    out, src = (output[:, :1] > 0.5).float(), (source[:, :1] > 0.5).float()
    k = 2 * tolerance + 1
    near = lambda x: torch.nn.functional.max_pool2d(x, (k, 1), stride=1, padding=(tolerance, 0))  # noqa: E731
    n_out, n_src = out.flatten(1).sum(1), src.flatten(1).sum(1)
    precision = (out * near(src)).flatten(1).sum(1) / n_out.clamp(min=1)
    recall = (src * near(out)).flatten(1).sum(1) / n_src.clamp(min=1)
    return 2 * precision * recall / (precision + recall).clamp(min=1e-9)
