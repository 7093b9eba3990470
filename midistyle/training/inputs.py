"""The datasets a kind trains on, built from a prepared corpus: genre lists, unpaired A/B phrases,
the optional validation split."""
from __future__ import annotations

import os
import warnings
from typing import Callable, Sequence

from torch.utils.data import Dataset

from midistyle.config import TrainConfig
from midistyle.errors import ConfigError, InputError, MidistyleWarning
from midistyle.training.task import TaskInfo


def genre_list(genres: Sequence[str], what: str) -> list[str]:
    """``genres`` as a non-empty list of distinct names (a single string is one genre)."""
    if isinstance(genres, str):
        genres = [genres]
    out = [str(g) for g in genres]
    if not out or len(set(out)) != len(out):
        raise ConfigError(f"{what} must be a non-empty list of distinct genres, got {out}")
    return out


def domains(a: Sequence[str], b: Sequence[str]) -> tuple[list[str], list[str]]:
    """Two disjoint genre lists (source and target domain)."""
    a, b = genre_list(a, "source domain"), genre_list(b, "target domain")
    shared = sorted(set(a) & set(b))
    if shared:
        raise ConfigError(f"the two domains share genre(s) {shared}; they must be disjoint")
    return a, b


def corpus_genres(data_dir: str | os.PathLike) -> list[str]:
    """Every genre of a prepared corpus, in its index' order."""
    from midistyle.data.index import read_index

    return list(read_index(data_dir)["genres"])


def optional(make: Callable[[], Dataset]) -> Dataset | None:
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


def first_steps(data: Dataset, key: str) -> int | None:
    """Time steps of the first item's ``key`` tensor (None for an empty dataset)."""
    return int(data[0][key].shape[-2]) if len(data) else None


def phrases(data_dir: str | os.PathLike, genres: list[str], split: str, cfg: TrainConfig) -> Dataset:
    """The ``split`` phrases of ``genres`` (transposed as ``cfg`` says while training)."""
    from midistyle.data.dataset import PhraseDataset

    return PhraseDataset(data_dir, genres, split, phrase_steps=cfg.phrase_steps,
                         transpose=cfg.transpose if split == "train" else 0, seed=cfg.seed)


def unpaired(data_dir: str | os.PathLike, a: list[str], b: list[str],
             cfg: TrainConfig) -> tuple[Dataset, Dataset | None, TaskInfo]:
    """Unpaired A/B batches for training and validation, and the TaskInfo of an A -> B run."""
    from midistyle.data.dataset import UnpairedDataset

    train_a, train_b = phrases(data_dir, a, "train", cfg), phrases(data_dir, b, "train", cfg)
    train = UnpairedDataset(train_a, train_b, seed=cfg.seed)
    val_a = optional(lambda: phrases(data_dir, a, "val", cfg))
    val_b = optional(lambda: phrases(data_dir, b, "val", cfg)) if val_a is not None else None
    val = UnpairedDataset(val_a, val_b, seed=cfg.seed) if val_a is not None and val_b is not None else None
    info = TaskInfo(roll=train_a.roll_config, genres=tuple(a + b), source=tuple(a), target=tuple(b),
                    phrase_steps=first_steps(train_a, "roll"))
    return train, val, info
