"""StarGAN task (Choi et al. 2018): one generator converts any genre into any other, chosen by a code.

G(x, code) with code = [one-hot target genre, one-hot source genre or uniform]; D scores real/fake
and names the genre (auxiliary head). See :class:`StarGANTask` for the losses.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from midistyle.config import Preset, TrainConfig
from midistyle.errors import ConfigError
from midistyle.models.generator import genre_code
from midistyle.models.registry import build_model
from midistyle.training.adversarial import AuxAdversary, make_adam
from midistyle.training.runtime import Runtime
from midistyle.training.task import (Task, TaskInfo, count_matching, note_counts, onset_f1, recall,
                                     reconstruction_error)

DENSITY_RATIO_LIMIT = 3.0  # density_target "genre": the wanted count lies within [1/3, 3] x the source's


class GenreCounts:
    """Running means of the note counts per bar (onsets, sounding cells, note starts) of each genre's
    real phrases, for ``density_target="genre"``: an output should have as many notes as its source
    times (target genre's mean / source genre's mean)."""

    def __init__(self, n: int, window: int, momentum: float = 0.99):
        self.window, self.momentum = window, momentum
        self.mean = torch.zeros(n, 3)
        self.seen = torch.zeros(n)

    @torch.no_grad()
    def update(self, x: torch.Tensor, y: torch.Tensor) -> None:
        counts = note_counts(x, self.window).mean(2).to(self.mean.device)
        for g in y.unique().tolist():
            m = counts[(y == g).to(counts.device)].mean(0)
            keep = self.momentum if self.seen[g] else 0.0
            self.mean[g] = keep * self.mean[g] + (1 - keep) * m
            self.seen[g] = 1.0

    def ratio(self, target: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        """[B, 3] factors target mean / source mean, clamped; 1 where a genre has not been seen yet."""
        t, s = target.cpu(), source.cpu()
        r = ((self.mean[t] + 1) / (self.mean[s] + 1)).clamp(1 / DENSITY_RATIO_LIMIT, DENSITY_RATIO_LIMIT)
        known = (self.seen[t] * self.seen[s])[:, None] > 0
        return torch.where(known, r, torch.ones_like(r)).to(target.device)


def target_odds(genres: tuple[str, ...], focus: tuple[str, ...] = ()) -> torch.Tensor:
    """[n, n] odds of each target genre (columns) for a phrase of each genre (rows): every other
    genre alike, or only the ``focus`` genres; a phrase of the only focus genre gets any other."""
    n = len(genres)
    unknown = sorted(set(focus) - set(genres))
    if unknown:
        raise ConfigError(f"focus genre(s) {unknown} are not among this run's genres {list(genres)}")
    others = 1.0 - torch.eye(n)
    if not focus:
        return others
    wanted = torch.tensor([g in focus for g in genres], dtype=torch.float32)[None, :] * others
    return torch.where(wanted.sum(1, keepdim=True) > 0, wanted, others)


class StarGANTask(Task):
    """Any-to-any genre transfer between ``info.genres`` with one generator.

    Batches: ``{"roll": [B, 2, T, P], "label": [B] genre index}`` (genre-balanced). Each item gets a
    random target genre other than its own; ``unknown_source`` of them are coded without their
    source genre (as ``convert`` without ``--from`` runs). Generator loss::

        LSGAN(D(fake) -> 1) + lambda_cls CE(D_cls(fake), target)
        + lambda_cycle rec(G(fake, back to source), x) + lambda_identity rec(G(x, own genre), x)
        + lambda_content MSE(fake, x) + lambda_density count_matching(fake, x, per bar)

    With ``density_target="genre"`` the count matched is the source's times the ratio of the target
    genre's mean count per bar to the source genre's (:class:`GenreCounts`), so a conversion to folk
    may thin the texture and one to rock fill it, by as much as the genres differ. With
    ``density_band`` the notes are counted per band of that many pitches too (12: per octave). With
    ``reduce_input`` G reads the reduction of its input (:mod:`midistyle.models.reduction`), so the
    identity term asks it to rebuild each genre's real texture from the song's outline.

    D: LSGAN real vs fake plus lambda_cls CE(D_cls(real), genre) on real phrases only. ``best/`` is
    the latest validated generator: as D keeps learning, G's losses are not comparable across steps.
    """

    kind = "stargan"
    best_metric = "onset_f1"
    best_mode = "last"

    def __init__(self, preset: Preset, cfg: TrainConfig, runtime: Runtime, info: TaskInfo):
        super().__init__(cfg, runtime, info)
        self.n = len(info.genres)
        if cfg.genre_loss != "aux":
            raise ConfigError(f"a stargan trains against its discriminator's genre head: genre_loss must be 'aux', "
                              f"got {cfg.genre_loss!r}")
        if self.n < 2:
            raise ConfigError(f"a stargan needs at least 2 genres, got {list(info.genres)}")
        self.G = build_model(dataclasses.replace(preset.generator, z_dim=0, cond_dim=2 * self.n,
                                                 input_skip=cfg.input_skip, edit_margin=cfg.edit_margin,
                                                 reduce_beat=info.roll.steps_per_beat if cfg.reduce_input else 0))
        d_config = dataclasses.replace(preset.discriminator, aux_classes=self.n, aux_head=cfg.aux_head,
                                       n_pitches=info.roll.n_pitches)
        self.adversary = AuxAdversary(build_model(d_config), cfg, runtime)
        self.opt_g = make_adam(self.G.parameters(), cfg)
        self.bar = 4 * info.roll.steps_per_beat  # count-matching window: one 4/4 bar
        self.counts = GenreCounts(self.n, self.bar) if cfg.density_target == "genre" else None
        odds = target_odds(tuple(info.genres), tuple(cfg.focus))
        self.odds = odds if cfg.focus else None  # None: every other genre alike
        self.allowed = [row.nonzero()[:, 0] for row in odds]  # validation cycles through these

    def _targets(self, labels: torch.Tensor) -> torch.Tensor:
        """A random target per item of ``labels`` (on the CPU, as loaded: no device sync): another
        genre, among the focus genres when there are some."""
        if self.odds is None:  # the draw of unfocused runs, kept so their seeds reproduce
            return (labels + torch.randint(1, self.n, labels.shape)) % self.n
        return torch.multinomial(self.odds[labels], 1)[:, 0]

    def _density(self, fake: torch.Tensor, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        scale = None if self.counts is None else self.counts.ratio(t, y)
        return count_matching(fake, x, self.bar, scale, self.cfg.density_band or None)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {} if self.counts is None else {"count_mean": self.counts.mean, "count_seen": self.counts.seen}

    def load_state_tensors(self, tensors: Mapping[str, torch.Tensor]) -> None:
        if self.counts is not None and "count_mean" in tensors:
            self.counts.mean, self.counts.seen = tensors["count_mean"].cpu(), tensors["count_seen"].cpu()

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.adversary.D}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.adversary.opt}

    def export(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def _g(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        with self.rt.autocast():
            return self.G(x, code=code).float()

    def _rec(self, rec: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return reconstruction_error(rec, real, self.cfg.cycle_loss)

    def step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        x, y = self.rt.prep(batch["roll"]), batch["label"].to(self.rt.device)
        # a random other genre per item; the draws come from the global RNG the loop saves for resume
        t = self._targets(batch["label"]).to(y.device)
        known = (torch.rand(y.shape) >= self.cfg.unknown_source).to(y.device)
        if self.counts is not None:
            self.counts.update(x, y)
        self.opt_g.zero_grad(set_to_none=True)
        fake = self._g(x, genre_code(t, y, self.n, known))
        rec = self._g(fake, genre_code(y, t, self.n, known))
        same = self._g(x, genre_code(y, y, self.n, known))
        g_adv, g_cls = self.adversary.generator_losses(fake, t)
        cycle, identity = self._rec(rec, x).mean(), self._rec(same, x).mean()
        content = F.mse_loss(fake, x)
        density = self._density(fake, x, t, y).mean()
        cfg = self.cfg
        g_loss = (g_adv + cfg.lambda_cls * g_cls + cfg.lambda_cycle * cycle + cfg.lambda_identity * identity
                  + cfg.lambda_content * content + cfg.lambda_density * density)
        g_loss.backward()
        self.opt_g.step()
        losses = {"g": float(g_loss.detach()), "g_adv": float(g_adv.detach()), "g_cls": float(g_cls.detach()),
                  "cycle": float(cycle.detach()), "identity": float(identity.detach()),
                  "content": float(content.detach()), "density": float(density.detach())}
        losses.update(self.adversary.update_labelled(x, y, fake))
        return losses

    def validate(self, batch: Mapping[str, torch.Tensor]) -> dict[str, float]:
        x, y = self.rt.prep(batch["roll"]), batch["label"].to(self.rt.device)
        # every allowed target in turn (every other genre unless focused); no source code, as convert
        # runs without --from
        if self.odds is not None:
            t = torch.stack([self.allowed[g][i % len(self.allowed[g])] for i, g in enumerate(y.tolist())])
            t = t.to(y.device)
        else:
            t = (y + 1 + torch.arange(len(y), device=y.device) % (self.n - 1)) % self.n
        fake = self._g(x, genre_code(t, None, self.n))
        rec = self._g(fake, genre_code(y, None, self.n))
        same = self._g(x, genre_code(y, None, self.n))
        adv = self.adversary
        return {
            "n": float(len(x)),
            "cycle": float(self._rec(rec, x).sum()),
            "identity": float(self._rec(same, x).sum()),
            "density": float(self._density(fake, x, t, y).sum()),
            "g_adv": float(adv.item_losses(fake, 1.0).sum()),
            # D's genre head on real phrases, and on outputs: the latter is what G trained against,
            # a training monitor only; transfer is judged by the style judge (`evaluate`).
            "d_acc_real": float((adv.logits(x).argmax(1) == y).sum()),
            "d_says_target": float((adv.logits(fake).argmax(1) == t).sum()),
            "onset_f1": float(onset_f1(fake, x).sum()),
            "kept": float(recall(fake, x).sum()),
            "density_fake": float((fake > 0.5).float().flatten(1).mean(1).sum()),
            "density_real": float(x.flatten(1).mean(1).sum()),
        }
