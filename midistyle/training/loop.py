"""The one training loop: epochs, progress, validation, metrics, checkpoints and exact resume,
in one process or data-parallel over the processes ``torchrun`` starts (see :mod:`.distributed`)."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from midistyle.atomic import write_text
from midistyle.config import TrainConfig, to_dict
from midistyle.errors import ConfigError, MidistyleWarning, ModelError, OutputError, one_line
from midistyle.models.checkpoint import (load_state_into, load_weights, previous_checkpoint, read_meta,
                                         save_checkpoint, unwrap)
from midistyle.models.registry import count_parameters
from midistyle.training import state as train_state
from midistyle.training.distributed import Group, pack_files, stream_seed, unpack_files
from midistyle.training.curves import plot_curves, read_metrics
from midistyle.training.provenance import runtime_facts
from midistyle.training.runs import CURVE_NAME, METRICS_NAME, RUN_NAME
from midistyle.training.runtime import CPU_PRESETS
from midistyle.training.task import Task

# TrainConfig fields a resumed run may change; the others must match the saved run.
# (A longer run also stretches the learning-rate schedule from the resumed step on.)
RESUMABLE_CHANGES = frozenset({"epochs", "max_steps", "log_every", "checkpoint_every", "keep_every", "num_workers",
                               "val_phrases", "compile", "channels_last", "bf16"})


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What :func:`fit` leaves behind."""

    run_dir: Path
    best: Path  # export checkpoint (e.g. G and F) with the best validation metric
    last: Path  # full training checkpoint (all networks, optimisers, RNG) for resume
    step: int
    metrics: dict[str, float]  # last validation summary ({} without validation data)


def total_steps(n_batches: int, cfg: TrainConfig) -> int:
    """Length of the run: ``max_steps`` when set, else ``epochs`` epochs of ``n_batches``."""
    return cfg.max_steps if cfg.max_steps is not None else cfg.epochs * n_batches


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Constant ``cfg.lr`` for the first ``decay_from`` share of ``total`` steps, then linear to 0."""
    start = int(round(cfg.decay_from * total))
    if step < start or total <= start:
        return cfg.lr
    return cfg.lr * max(0.0, (total - step) / (total - start))


def _batches(n: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """A seeded shuffle of range(n) cut into batches (the last partial one dropped when n >= batch_size)."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch)).tolist()
    if n < batch_size:
        return [order]
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]


def _loader(data: Dataset, batches: list[list[int]], cfg: TrainConfig, pin: bool, seed: int) -> DataLoader:
    # Own generator: creating a DataLoader iterator must not draw from the global RNG (exact resume).
    return DataLoader(data, batch_sampler=batches, num_workers=cfg.num_workers, pin_memory=pin,
                      generator=torch.Generator().manual_seed(seed),
                      persistent_workers=False)


class _Log:
    """metrics.jsonl writer (append-only; cut back to the resumed step on resume; rank 0 only)."""

    def __init__(self, path: Path, resume_step: int | None, enabled: bool = True):
        self.path, self.enabled = path, enabled
        if not enabled:
            return
        if resume_step is not None and path.exists():
            kept = [r for r in read_metrics(path) if r.get("step", 0) <= resume_step]
            write_text(path, "".join(json.dumps(r) + "\n" for r in kept))
        elif resume_step is None and path.exists():
            path.unlink()

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def fit(task: Task, train_data: Dataset, cfg: TrainConfig, run_dir: str | os.PathLike, *,
        val_data: Dataset | None = None, resume: bool = False, progress: bool = True) -> FitResult:
    """Train ``task`` on ``train_data`` and write everything into ``run_dir``.

    Parameters
    ----------
    task
        A :class:`~midistyle.training.task.Task` built with a runtime from
        :func:`~midistyle.training.runtime.resolve_runtime` (device, bf16, channels_last, compile).
    train_data, val_data
        Datasets of dict items the task understands. Validation runs after each epoch and at the end.
    cfg
        Batch size, epochs, ``max_steps`` (stop after this many steps in total), learning-rate schedule,
        ``log_every`` and ``checkpoint_every`` steps, seed; ``keep_every`` also keeps the exported
        networks of every N-th step as ``step<N>/``.
    run_dir
        Gets ``run.json``, ``metrics.jsonl`` (one JSON object per log step and per validation),
        ``loss_curve.png``, ``last/`` (everything needed to resume) and ``best/`` (the exported
        networks with the best validation metric; the final ones without validation data).
    resume
        Continue from ``run_dir/last`` at its step with the saved weights, optimisers, image pools and
        random generators, so the following losses equal those of an uninterrupted run. Starts fresh
        when there is nothing to resume. Without ``resume`` an existing ``last/`` raises OutputError.
    progress
        Show a tqdm bar with the running losses.

    Under torchrun (``task.rt.group`` of several processes) each global batch of
    ``cfg.batch_size`` is shared out between the ranks, gradients are summed before every
    optimiser step, validation is shared too, and rank 0 alone writes ``run_dir``. Resuming works
    on another number of processes: weights, optimisers and the data order carry over; ranks the
    saved run did not have start with fresh random streams and empty image pools.
    """
    run_dir = Path(run_dir)
    last_dir, best_dir = run_dir / "last", run_dir / "best"
    n_items = len(train_data)
    if n_items == 0:
        raise ConfigError("the training set is empty")
    group: Group = task.rt.group
    n_batches = len(_batches(n_items, cfg.batch_size, cfg.seed, 0))
    group.check_batch(min(n_items, cfg.batch_size))
    total = total_steps(n_batches, cfg)
    task.setup()
    group.sync_gradients(task.optimizers().values())

    body = _start(task, cfg, run_dir, last_dir, resume, group)
    resumed = body is not None
    # provenance: what made the checkpoints; the wall time adds up over resumed sessions
    started, wall_before = time.perf_counter(), float((body or {}).get("wall_s", 0.0))
    facts = {**task.info.corpus, **runtime_facts(task.rt.device, task.rt.bf16)} if group.main else {}

    def provenance() -> dict[str, Any]:
        return dict(facts, wall_time_s=round(wall_before + time.perf_counter() - started, 3))
    step, best, metrics = (int(body["step"]), body.get("best"), body.get("metrics", {})) if resumed else (0, None, {})
    if not resumed or body.get("fresh_rank"):
        # the training stream, independent of how networks were initialised; one per rank
        torch.manual_seed(stream_seed(cfg.seed, group.rank, step))
    group.broadcast_modules(task.modules())
    if group.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text(run_dir / RUN_NAME, json.dumps(_run_info(task, cfg, n_items, n_batches), indent=2))
    log = _Log(run_dir / METRICS_NAME, step if resumed else None, enabled=group.main)
    show = progress and group.main

    drawn = [step]  # the loss picture is redrawn with checkpoints only: drawing costs more than tiny steps

    def checkpoint_last() -> None:
        group.average_buffers(task.modules())
        ranks = group.gather_bytes(train_state.rank_state(task))
        if group.main:
            prov = provenance()
            scalars = {"step": step, "best": best, "metrics": metrics, "train": to_dict(cfg),
                       "wall_s": prov["wall_time_s"]}
            meta = dict(task.checkpoint_meta(), step=step, metrics=metrics, provenance=prov)
            save_checkpoint(last_dir, task.modules(), meta, extra_files=train_state.pack(task, scalars, ranks))
            if step - drawn[0] >= cfg.checkpoint_every:
                plot_curves(run_dir / METRICS_NAME, run_dir / CURVE_NAME)
                drawn[0] = step

    bar = tqdm(total=total, initial=step, desc=task.kind, unit="step", disable=not show, dynamic_ncols=True)
    running: dict[str, list[float]] = {}
    pin = task.rt.device.type == "cuda"
    eta = _EtaCheck(task, cfg, step, total)
    try:
        while step < total:
            epoch, skip = divmod(step, n_batches)
            batches = _batches(n_items, cfg.batch_size, cfg.seed, epoch)[skip:]
            sizes = [len(b) for b in batches]
            mine = [group.slice(b) for b in batches]  # this rank's part of every global batch
            for batch, local, size in zip(_loader(train_data, mine, cfg, pin, cfg.seed + epoch), mine, sizes):
                lr = lr_at(step, total, cfg)
                task.set_lr(lr)
                task.train()
                group.share(len(local), size)
                losses = task.step(batch)
                step += 1
                eta.after(step)
                for key, value in losses.items():
                    running.setdefault(key, []).append(value)
                bar.update(1)
                if step % cfg.log_every == 0 or step == total:
                    means = group.mean_of({k: sum(v) / len(v) for k, v in running.items()})
                    log.write({"step": step, "epoch": epoch, "split": "train", "lr": lr, **means})
                    bar.set_postfix({k: f"{v:.3g}" for k, v in means.items()}, refresh=False)
                    running.clear()
                if cfg.keep_every and step % cfg.keep_every == 0 and group.main:
                    # a snapshot to pick from later
                    _save_export(task, run_dir / f"step{step}", step, metrics, provenance())
                epoch_end = step % n_batches == 0
                if step % cfg.checkpoint_every == 0 and not epoch_end and step < total:
                    checkpoint_last()
                if step >= total:
                    break
            if val_data is not None and len(val_data):
                group.average_buffers(task.modules())
                metrics = _validate(task, val_data, cfg, group)
                log.write({"step": step, "epoch": epoch, "split": "val", **metrics})
                value = metrics.get(task.best_metric)
                if value is not None and _better(value, best, task.best_mode):
                    best = value
                    if group.main:
                        _save_export(task, best_dir, step, metrics, provenance())
                if show:
                    bar.write(f"step {step} epoch {epoch}: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
            checkpoint_last()
    finally:
        bar.close()
    if group.main:
        if not (best_dir / "config.json").is_file() or val_data is None or not len(val_data):
            _save_export(task, best_dir, step, metrics, provenance())
        if drawn[0] != step or not (run_dir / CURVE_NAME).is_file():
            plot_curves(run_dir / METRICS_NAME, run_dir / CURVE_NAME)
    group.barrier()  # no rank returns before rank 0 has written best/
    return FitResult(run_dir=run_dir, best=best_dir, last=last_dir, step=step, metrics=metrics)


class _EtaCheck:
    """Warn once, a few steps in, when a preset sized for a GPU runs on a CPU: with the time it will take."""

    STEPS = 3  # steps timed after the first (which pays for warm-up)

    def __init__(self, task: Task, cfg: TrainConfig, step: int, total: int):
        self.total, self.first, self.t0, self.preset = total, step + 1, None, cfg.preset
        self.armed = (task.rt.device.type == "cpu" and cfg.preset not in CPU_PRESETS and task.rt.group.main
                      and total - step > self.STEPS + 1)

    def after(self, step: int) -> None:
        if not self.armed:
            return
        if step == self.first:
            self.t0 = time.perf_counter()
        elif step == self.first + self.STEPS:
            self.armed = False
            per_step = (time.perf_counter() - self.t0) / self.STEPS
            hours = per_step * (self.total - step) / 3600
            warnings.warn(f"the {self.preset!r} preset is sized for a GPU and runs on a CPU: {per_step:.3g} s "
                          f"per step, so the {self.total - step:,} steps left take about {hours:,.1f} hours; "
                          "--preset small is sized for a CPU", MidistyleWarning, stacklevel=2)


def _better(value: float, best: float | None, mode: str) -> bool:
    """Whether ``value`` beats ``best`` ("min"/"max"); mode "last" keeps every newer validation."""
    if mode == "last":
        return True
    if best is None or math.isnan(best):
        return not math.isnan(value)
    return value < best if mode == "min" else value > best


def _save_export(task: Task, directory: Path, step: int, metrics: dict[str, float],
                 provenance: dict[str, Any]) -> None:
    """The exported networks (best/, or a step<N>/ snapshot) with the step, metrics and provenance
    they were saved with."""
    meta = dict(task.checkpoint_meta(), step=step, metrics=metrics, provenance=provenance)
    save_checkpoint(directory, task.export(), meta)


def _start(task: Task, cfg: TrainConfig, run_dir: Path, last_dir: Path, resume: bool,
           group: Group) -> dict[str, Any] | None:
    """Restore ``last/`` into ``task`` when resuming (its JSON body; None for a fresh start).

    Rank 0 reads the folder and hands its files to the other ranks, so they need not see it;
    its refusals (no --resume, another architecture...) are raised on every rank.
    """
    restored: dict[str, Any] = {}

    def on_main() -> bytes:
        source = last_dir if (last_dir / "config.json").is_file() else previous_checkpoint(last_dir)
        if source is not None and not resume:
            raise OutputError(run_dir, "already holds a training run; resume it or choose another folder")
        if not (resume and source is not None):
            return b""
        restored.update(_restore(task, source, cfg, 0))
        return pack_files(source) if group.world > 1 else b"-"

    blob = group.from_main(on_main)
    if not group.main and blob:
        with tempfile.TemporaryDirectory(prefix="midistyle-resume-") as tmp:
            unpack_files(blob, Path(tmp))
            restored.update(_restore(task, Path(tmp), cfg, group.rank))
    return restored or None


@torch.no_grad()
def _validate(task: Task, data: Dataset, cfg: TrainConfig, group: Group) -> dict[str, float]:
    """Sum the task's per-batch numbers over ``data`` in order, without touching the training RNG
    (the batches shared out between the ranks, the sums added up)."""
    task.eval()
    devices = [task.rt.device.index or 0] if task.rt.device.type == "cuda" else []
    totals: dict[str, float] = {}
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(cfg.seed)
        order = list(range(len(data)))
        if cfg.val_phrases and len(order) > cfg.val_phrases:  # a fixed, evenly spread subset
            order = [int(i) for i in np.linspace(0, len(order) - 1, cfg.val_phrases).round()]
        batches = [order[i:i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        for batch in _loader(data, batches[group.rank::group.world], cfg, False, cfg.seed):
            for key, value in task.validate(batch).items():
                totals[key] = totals.get(key, 0.0) + value
    task.train()
    return task.summarize(group.sum_of(totals))


def _restore(task: Task, source: Path, cfg: TrainConfig, rank: int = 0) -> dict[str, Any]:
    """Load weights, optimisers, pools and RNG from a ``last/`` checkpoint; check it fits this run."""
    meta = read_meta(source)
    for name, module in task.modules().items():
        saved = meta.modules.get(name)
        if saved != unwrap(module).config:
            raise ModelError(source, f"module {name!r} was saved with another architecture ({saved}); "
                                     "resume with the same preset or choose another folder")
    saved_train = to_dict(meta.train) if meta.train is not None else {}
    changed = sorted(k for k, v in to_dict(cfg).items()
                     if k not in RESUMABLE_CHANGES and k in saved_train and saved_train[k] != v)
    if changed:
        raise ModelError(source, f"cannot resume with changed training settings {changed}")
    weights = load_weights(source)
    for name, module in task.modules().items():
        load_state_into(module, weights.get(name, {}), name, source)
    tensors_path, json_path = source / train_state.TENSORS_NAME, source / train_state.JSON_NAME
    if not tensors_path.is_file() or not json_path.is_file():
        raise ModelError(source, "not a training checkpoint (no optimiser/RNG state to resume from)")
    try:
        return train_state.unpack(task, tensors_path.read_bytes(), json_path.read_bytes(), rank)
    except (KeyError, ValueError, RuntimeError, json.JSONDecodeError) as exc:
        raise ModelError(source, f"unreadable training state ({one_line(exc, typed=False)})") from None


def _run_info(task: Task, cfg: TrainConfig, n_items: int, n_batches: int) -> dict[str, Any]:
    return {
        "task": task.kind,
        "train": to_dict(cfg),
        "device": str(task.rt.device),
        "processes": task.rt.group.world,
        "runtime": {"bf16": task.rt.bf16, "channels_last": task.rt.channels_last, "compile": task.rt.compile},
        "modules": {n: dict(to_dict(unwrap(m).config), parameters=count_parameters(m))
                    for n, m in task.modules().items()},
        "train_items": n_items,
        "batches_per_epoch": n_batches,
        "meta": {k: (to_dict(v) if hasattr(v, "__dataclass_fields__") else v)
                 for k, v in task.checkpoint_meta().items()},
    }
