"""Train a genre classifier, a CycleGAN, a GAN or a StarGAN from a prepared corpus: one call each."""
from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any, Callable, Mapping, Sequence

import torch
from torch.utils.data import Dataset

from midistyle.config import TrainConfig, get_preset
from midistyle.errors import ConfigError, InputError, MidistyleWarning
from midistyle.training.loop import FitResult, fit
from midistyle.training.runtime import default_preset, resolve_device, resolve_runtime
from midistyle.training.task import TaskInfo


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
    from midistyle.data.dataset import PhraseDataset
    from midistyle.training.classifier import ClassifierTask

    genres = _genre_list(genres or _corpus_genres(data_dir), "genres")
    preset = preset or default_preset(resolve_device(device))
    cfg = _train_config("classifier", preset, seed, max_steps, epochs, batch_size, phrase_steps, overrides)
    train = PhraseDataset(data_dir, genres, "train", phrase_steps=cfg.phrase_steps, transpose=cfg.transpose,
                          seed=cfg.seed)
    val = _optional(lambda: PhraseDataset(data_dir, genres, "val", phrase_steps=cfg.phrase_steps, seed=cfg.seed))
    info = TaskInfo(roll=train.roll_config, genres=tuple(train.genres), phrase_steps=_steps(train, "roll"))
    return _run(ClassifierTask, preset, cfg, info, train, val, out_dir, device, resume, progress)


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
    from midistyle.training.cyclegan import CycleGANTask, WithMixed

    a, b = _domains(a, b)
    preset = preset or default_preset(resolve_device(device))
    cfg = _train_config("cyclegan", preset, seed, max_steps, epochs, batch_size, phrase_steps,
                        dict(overrides or {}, mixed=mixed))
    train, val, info = _unpaired(data_dir, a, b, cfg)
    if cfg.mixed == "full":
        from midistyle.data.dataset import PhraseDataset

        pool = _genre_list(mixed_genres or _corpus_genres(data_dir), "mixed_genres")
        # validation judges G and F against D_A/D_B only, so only training batches carry mixed phrases
        train = WithMixed(train, PhraseDataset(data_dir, pool, "train", phrase_steps=cfg.phrase_steps,
                                               transpose=cfg.transpose, seed=cfg.seed), seed=cfg.seed)
    return _run(CycleGANTask, preset, cfg, info, train, val, out_dir, device, resume, progress)


def train_gan(data_dir: str | os.PathLike, source: Sequence[str], target: Sequence[str], out_dir: str | os.PathLike,
              *, preset: str | None = None, device: str | torch.device | None = None, max_steps: int | None = None,
              epochs: int | None = None, batch_size: int | None = None, resume: bool = False, seed: int = 0,
              phrase_steps: int | None = None, progress: bool = True,
              overrides: Mapping[str, Any] | None = None) -> FitResult:
    """Train a conditional GAN that rewrites ``source``-genre phrases as ``target``-genre ones.

    The shipped checkpoint ``best/`` holds G; load it with :func:`midistyle.models.checkpoint.load_generator`.
    Other parameters as in :func:`train_classifier`.
    """
    from midistyle.training.gan import GANTask

    source, target = _domains(source, target)
    preset = preset or default_preset(resolve_device(device))
    cfg = _train_config("gan", preset, seed, max_steps, epochs, batch_size, phrase_steps, overrides)
    train, val, info = _unpaired(data_dir, source, target, cfg)
    return _run(GANTask, preset, cfg, info, train, val, out_dir, device, resume, progress)


# StarGAN defaults that differ from the preset's (shared with gan/cyclegan): a light content pull,
# weaker discriminator input noise so D's genre head still sees the music, and the record that G
# trains against that head (evaluate reports it).
STARGAN_DEFAULTS: dict[str, Any] = {"lambda_content": 1.0, "d_input_noise": 0.3, "genre_loss": "aux"}


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
    are the preset's with :data:`STARGAN_DEFAULTS`. Other parameters as in :func:`train_classifier`.
    """
    from midistyle.data.dataset import BalancedDataset, PhraseDataset
    from midistyle.training.stargan import StarGANTask

    genres = _genre_list(genres or _corpus_genres(data_dir), "genres")
    if len(genres) < 2:
        raise ConfigError(f"a stargan needs at least 2 genres, got {genres}")
    preset = preset or default_preset(resolve_device(device))
    cfg = _train_config("stargan", preset, seed, max_steps, epochs, batch_size, phrase_steps,
                        {**STARGAN_DEFAULTS, **dict(overrides or {})})
    phrases = PhraseDataset(data_dir, genres, "train", phrase_steps=cfg.phrase_steps, transpose=cfg.transpose,
                            seed=cfg.seed)
    train = BalancedDataset(phrases, phrases.labels, seed=cfg.seed)
    val = _optional(lambda: PhraseDataset(data_dir, genres, "val", phrase_steps=cfg.phrase_steps, seed=cfg.seed))
    # a focused run converts into its focus genres only: its checkpoint says so (convert refuses others)
    info = TaskInfo(roll=phrases.roll_config, genres=tuple(phrases.genres), target=tuple(cfg.focus),
                    phrase_steps=_steps(phrases, "roll"))
    return _run(StarGANTask, preset, cfg, info, train, val, out_dir, device, resume, progress)


# ------------------------------------------------------------------------------------------ helpers
def _genre_list(genres: Sequence[str], what: str) -> list[str]:
    if isinstance(genres, str):
        genres = [genres]
    out = [str(g) for g in genres]
    if not out or len(set(out)) != len(out):
        raise ConfigError(f"{what} must be a non-empty list of distinct genres, got {out}")
    return out


def _domains(a: Sequence[str], b: Sequence[str]) -> tuple[list[str], list[str]]:
    a, b = _genre_list(a, "source domain"), _genre_list(b, "target domain")
    shared = sorted(set(a) & set(b))
    if shared:
        raise ConfigError(f"the two domains share genre(s) {shared}; they must be disjoint")
    return a, b


def _train_config(task: str, preset: str, seed: int, max_steps: int | None, epochs: int | None,
                  batch_size: int | None, phrase_steps: int | None,
                  overrides: Mapping[str, Any] | None) -> TrainConfig:
    changes: dict[str, Any] = dict(overrides or {})
    changes.update(task=task, seed=seed)
    if epochs is not None:
        changes["epochs"] = epochs
        changes.setdefault("max_steps", None)  # asking for epochs means training by epochs
    for key, value in (("max_steps", max_steps), ("batch_size", batch_size), ("phrase_steps", phrase_steps)):
        if value is not None:
            changes[key] = value
    unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(TrainConfig)})
    if unknown:
        raise ConfigError(f"unknown training setting(s) {unknown}")
    return dataclasses.replace(get_preset(preset).train, **changes)


def _corpus_genres(data_dir: str | os.PathLike) -> list[str]:
    from midistyle.data.index import read_index

    return list(read_index(data_dir)["genres"])


def _optional(make: Callable[[], Dataset]) -> Dataset | None:
    """The validation split, or None (with a warning) when the corpus has none."""
    try:
        data = make()
        if not len(data):
            raise InputError(None, "its validation split holds no phrases (too few pieces for one to land there)")
    except (InputError, FileNotFoundError) as exc:
        warnings.warn(f"no validation data, so best/ is the final model and the loss curve shows training "
                      f"losses only: {exc}", MidistyleWarning, stacklevel=3)
        return None
    return data


def _steps(data: Dataset, key: str) -> int | None:
    return int(data[0][key].shape[-2]) if len(data) else None


def _unpaired(data_dir: str | os.PathLike, a: list[str], b: list[str],
              cfg: TrainConfig) -> tuple[Dataset, Dataset | None, TaskInfo]:
    from midistyle.data.dataset import PhraseDataset, UnpairedDataset

    def phrases(genres: list[str], split: str) -> Dataset:
        return PhraseDataset(data_dir, genres, split, phrase_steps=cfg.phrase_steps,
                             transpose=cfg.transpose if split == "train" else 0, seed=cfg.seed)

    train_a, train_b = phrases(a, "train"), phrases(b, "train")
    train = UnpairedDataset(train_a, train_b, seed=cfg.seed)
    val_a = _optional(lambda: phrases(a, "val"))
    val_b = _optional(lambda: phrases(b, "val")) if val_a is not None else None
    val = UnpairedDataset(val_a, val_b, seed=cfg.seed) if val_a is not None and val_b is not None else None
    info = TaskInfo(roll=train_a.roll_config, genres=tuple(a + b), source=tuple(a), target=tuple(b),
                    phrase_steps=_steps(train_a, "roll"))
    return train, val, info


def _run(task_cls, preset: str, cfg: TrainConfig, info: TaskInfo, train: Dataset, val: Dataset | None,
         out_dir: str | os.PathLike, device: str | torch.device | None, resume: bool, progress: bool) -> FitResult:
    runtime = resolve_runtime(cfg, device)
    torch.manual_seed(cfg.seed)  # network initialisation
    task = task_cls(get_preset(preset), cfg, runtime, info)
    result = fit(task, train, cfg, out_dir, val_data=val, resume=resume, progress=progress)
    advice = collapse_advice(task.kind, result.metrics)
    if advice:
        warnings.warn(advice, MidistyleWarning, stacklevel=3)
    return result


def collapse_advice(kind: str, metrics: Mapping[str, float]) -> str | None:
    """A warning when validation says the generator's output is nearly empty (None otherwise)."""
    fake, real = (metrics.get(f"density_{k}", metrics.get(f"density_{k}_b")) for k in ("fake", "real"))
    if fake is None or not real or fake >= 0.1 * real:
        return None
    advice = ("train longer, or on a GPU with --preset brunner; `train gan` learned where this did not"
              if kind == "cyclegan" else
              "train longer, or raise --content-weight to hold the output closer to its source")
    return (f"the generator's output is nearly empty (note density {fake:.2g} against {real:.2g} in real "
            f"target phrases): this run has collapsed and will convert songs to silence; {advice}")
