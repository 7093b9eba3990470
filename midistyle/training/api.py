"""Train any registered model kind from a prepared corpus: :func:`train` (by kind name), or one
call per shipped kind (:func:`train_classifier`, :func:`train_cyclegan`, :func:`train_gan`,
:func:`train_stargan`)."""
from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any, Mapping, Sequence

import torch
from torch.utils.data import Dataset

from midistyle.config import TrainConfig, derive, get_preset
from midistyle.errors import ConfigError, MidistyleWarning
from midistyle.kinds import registry as kinds
from midistyle.training.loop import FitResult, fit
from midistyle.training.provenance import corpus_facts
from midistyle.training.runtime import default_preset, resolve_device, resolve_runtime
from midistyle.training.task import TaskInfo


def train(kind: str, data_dir: str | os.PathLike, out_dir: str | os.PathLike, *, preset: str | None = None,
          device: str | torch.device | None = None, max_steps: int | None = None, epochs: int | None = None,
          batch_size: int | None = None, resume: bool = False, seed: int | None = None,
          phrase_steps: int | None = None, progress: bool = True, overrides: Mapping[str, Any] | None = None,
          **genre_args: Any) -> FitResult:
    """Train a model of the registered ``kind`` (see :mod:`midistyle.kinds`) on a prepared corpus.

    ``genre_args`` are the kind's genre arguments (``genres=``, ``a=``/``b=``, ``source=``/``target=``).
    The TrainConfig is the kind's config class: the preset's shared settings, then the kind's
    ``defaults``, then ``overrides`` (any field of it; unknown ones raise ConfigError listing the
    valid ones) and the keyword settings given. Other parameters as in :func:`train_classifier`.
    """
    spec = kinds.get(kind)
    preset = preset or default_preset(resolve_device(device))
    cfg = train_config(kind, preset, seed, max_steps, epochs, batch_size, phrase_steps,
                        {**spec.defaults, **dict(overrides or {})})
    train_data, val, info = spec.data(data_dir, cfg, **genre_args)
    info = dataclasses.replace(info, corpus=corpus_facts(data_dir))
    return run_task(spec.task(), preset, cfg, info, train_data, val, out_dir, device, resume, progress)


def train_classifier(data_dir: str | os.PathLike, genres: Sequence[str] | None, out_dir: str | os.PathLike, *,
                     preset: str | None = None, device: str | torch.device | None = None,
                     max_steps: int | None = None, epochs: int | None = None, batch_size: int | None = None,
                     resume: bool = False, seed: int = 0, phrase_steps: int | None = None,
                     progress: bool = True, overrides: Mapping[str, Any] | None = None) -> FitResult:
    """Train a genre classifier on phrases of ``genres`` (labels in that order).

    Parameters
    ----------
    data_dir
        A corpus prepared by ``midistyle prepare`` (read with ``midistyle.data.dataset.PhraseDataset``).
    genres
        Two or more genre names (None: every genre of the corpus, in its order); the checkpoint's
        ``meta["genres"]`` keeps this order (= logit order).
    out_dir
        Run folder: ``best/`` (load with :func:`midistyle.models.checkpoint.load_classifier`), ``last/``,
        ``metrics.jsonl``, ``loss_curve.png``, ``run.json``.
    preset
        "brunner" (paper sizes), "small" (CPU) or "tiny" (tests); default "small" on a CPU and
        "brunner" on a GPU (:func:`~midistyle.training.runtime.default_preset`).
    device
        "cpu", "cuda", "cuda:1"...; default CUDA when available.
    max_steps, epochs, batch_size, seed, phrase_steps
        Override the preset's TrainConfig; ``overrides`` sets any other TrainConfig field (e.g. ``lr``).
        The run lasts ``max_steps`` steps when given (or set by the preset: "small" has 5,000), else
        ``epochs`` epochs; giving ``epochs`` alone clears the preset's ``max_steps``.
    resume
        Continue the run in ``out_dir`` from its ``last/`` checkpoint.
    progress
        Show a progress bar.

    Returns
    -------
    FitResult with ``run_dir``, ``best``, ``last``, ``step`` and the last validation ``metrics``
    (``accuracy`` and ``accuracy_<genre>``).
    """
    return train("classifier", data_dir, out_dir, genres=genres, preset=preset, device=device, max_steps=max_steps,
                 epochs=epochs, batch_size=batch_size, resume=resume, seed=seed, phrase_steps=phrase_steps,
                 progress=progress, overrides=overrides)


def train_cyclegan(data_dir: str | os.PathLike, a: Sequence[str], b: Sequence[str], out_dir: str | os.PathLike, *,
                   preset: str | None = None, device: str | torch.device | None = None, mixed: str = "none",
                   mixed_genres: Sequence[str] | None = None, max_steps: int | None = None,
                   epochs: int | None = None, batch_size: int | None = None, resume: bool = False, seed: int = 0,
                   phrase_steps: int | None = None, progress: bool = True,
                   overrides: Mapping[str, Any] | None = None) -> FitResult:
    """Train a CycleGAN between domain ``a`` and domain ``b`` (each a list of genres, disjoint).

    ``mixed`` picks Brunner et al.'s extra discriminators: "none", "partial" (reals from A u B) or
    "full" (reals from ``mixed_genres``, default every genre of the corpus).
    The shipped checkpoint ``best/`` holds G (a -> b) and F (b -> a); load it with
    :func:`midistyle.models.checkpoint.load_generator`. Other parameters as in :func:`train_classifier`.
    """
    return train("cyclegan", data_dir, out_dir, a=a, b=b, mixed_genres=mixed_genres, preset=preset, device=device,
                 max_steps=max_steps, epochs=epochs, batch_size=batch_size, resume=resume, seed=seed,
                 phrase_steps=phrase_steps, progress=progress, overrides=dict(overrides or {}, mixed=mixed))


def train_gan(data_dir: str | os.PathLike, source: Sequence[str], target: Sequence[str], out_dir: str | os.PathLike,
              *, preset: str | None = None, device: str | torch.device | None = None, max_steps: int | None = None,
              epochs: int | None = None, batch_size: int | None = None, resume: bool = False, seed: int = 0,
              phrase_steps: int | None = None, progress: bool = True,
              overrides: Mapping[str, Any] | None = None) -> FitResult:
    """Train a conditional GAN that rewrites ``source``-genre phrases as ``target``-genre ones.

    The shipped checkpoint ``best/`` holds G; load it with :func:`midistyle.models.checkpoint.load_generator`.
    Other parameters as in :func:`train_classifier`.
    """
    return train("gan", data_dir, out_dir, source=source, target=target, preset=preset, device=device,
                 max_steps=max_steps, epochs=epochs, batch_size=batch_size, resume=resume, seed=seed,
                 phrase_steps=phrase_steps, progress=progress, overrides=overrides)


def train_stargan(data_dir: str | os.PathLike, genres: Sequence[str] | None, out_dir: str | os.PathLike, *,
                  preset: str | None = None, device: str | torch.device | None = None,
                  max_steps: int | None = None, epochs: int | None = None, batch_size: int | None = None,
                  resume: bool = False, seed: int = 0, phrase_steps: int | None = None, progress: bool = True,
                  overrides: Mapping[str, Any] | None = None) -> FitResult:
    """Train one StarGAN generator that converts any of ``genres`` into any other (Choi et al. 2018).

    ``genres`` (default: every genre of the corpus) fixes the code order kept in the checkpoint's
    ``genres``. Training phrases are drawn genre-balanced. ``best/`` holds G (the latest validated
    one); convert with ``midistyle convert --model RUN/best --to G [--from G]``. ``overrides`` may set
    any TrainConfig field (``lambda_cls``, ``lambda_identity``, ``lambda_density``, ...); defaults
    are the preset's with the kind's ``defaults`` (:mod:`midistyle.kinds.stargan`). Other parameters as
    in :func:`train_classifier`.
    """
    return train("stargan", data_dir, out_dir, genres=genres, preset=preset, device=device, max_steps=max_steps,
                 epochs=epochs, batch_size=batch_size, resume=resume, seed=seed, phrase_steps=phrase_steps,
                 progress=progress, overrides=overrides)


# ------------------------------------------------------------------------------------------ helpers
def train_config(task: str, preset: str, seed: int | None, max_steps: int | None, epochs: int | None,
                 batch_size: int | None, phrase_steps: int | None,
                 overrides: Mapping[str, Any] | None) -> TrainConfig:
    """The ``task`` kind's config: the preset's shared settings, then ``overrides``, then the keywords."""
    changes: dict[str, Any] = dict(overrides or {})
    changes["task"] = task
    if epochs is not None:
        changes["epochs"] = epochs
        changes.setdefault("max_steps", None)  # asking for epochs means training by epochs
    for key, value in (("seed", seed), ("max_steps", max_steps), ("batch_size", batch_size),
                       ("phrase_steps", phrase_steps)):
        if value is not None:
            changes[key] = value
    cls = kinds.get(task).config
    unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ConfigError(f"unknown training setting(s) {unknown} for a {task}; valid: "
                          f"{sorted(f.name for f in dataclasses.fields(cls))}")
    return derive(cls, get_preset(preset).train, **changes)


def run_task(task_cls, preset: str, cfg: TrainConfig, info: TaskInfo, train: Dataset, val: Dataset | None,
             out_dir: str | os.PathLike, device: str | torch.device | None, resume: bool, progress: bool) -> FitResult:
    """Build ``task_cls`` on the preset's networks, seeded, ``fit`` it, and warn if the run collapsed."""
    runtime = resolve_runtime(cfg, device)
    torch.manual_seed(cfg.seed)  # network initialisation
    task = task_cls(get_preset(preset), cfg, runtime, info)
    result = fit(task, train, cfg, out_dir, val_data=val, resume=resume, progress=progress)
    advice = collapse_advice(task.kind, result.metrics)
    if advice:
        warnings.warn(advice, MidistyleWarning, stacklevel=3)
    return result


def collapse_advice(kind: str, metrics: Mapping[str, float]) -> str | None:
    """A warning when validation says the generator's output is nearly empty (None otherwise); the
    advice is the kind's ``collapse_hint``."""
    fake, real = (metrics.get(f"density_{k}", metrics.get(f"density_{k}_b")) for k in ("fake", "real"))
    if fake is None or not real or fake >= 0.1 * real:
        return None
    advice = kinds.get(kind).collapse_hint
    return (f"the generator's output is nearly empty (note density {fake:.2g} against {real:.2g} in real "
            f"target phrases): this run has collapsed and will convert songs to silence; {advice}")
