"""PyTorch datasets over a prepared corpus (see :mod:`midistyle.data.corpus`).

Shards are ``.npy`` files opened memory-mapped on first use (per process, a few dozen at a time),
so a corpus larger than RAM works and DataLoader workers share the page cache.
"""
from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Collection, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import ConfigError
from .index import SPLITS, read_index, roll_config

MAX_OPEN_SHARDS = 64


class PhraseDataset(Dataset):
    """Phrases of some genres, labelled by the position of their genre in ``genres``.

    Parameters
    ----------
    root : a folder written by :func:`~midistyle.data.corpus.prepare`.
    genres : genre names; an entry may also be a set of names (or ``"a+b"``) pooled under one
        label, e.g. ``["jazz", {"classical", "pop", "folk", "rock"}]`` gives jazz label 0 and
        everything else label 1. ``.genres[label]`` names each label (pooled names joined by
        ``+`` in corpus order).
    split : ``"train"``, ``"val"`` or ``"all"``.
    phrase_steps : steps per item (default: as stored); longer phrases are cropped, shorter
        zero-padded at the end.
    transpose : random transposition by an integer in ``[-transpose, transpose]`` semitones per
        item (content shifted along pitch; notes pushed out of range are dropped).
    seed : seeds the transpositions (per DataLoader worker: ``seed`` and the worker id; per
        data-parallel rank too).

    Items are ``{"roll": float32 [2, T, P] (0 onset, 1 sustain; 0/1), "label": int64 scalar}``.
    """

    content = "roll"  # what the corpus' phrases must hold (index.json "content"; roll when absent)

    def __init__(self, root: str | os.PathLike, genres: Sequence[str | Collection[str]],
                 split: str = "train", *, phrase_steps: int | None = None, transpose: int = 0,
                 seed: int = 0):
        index = read_index(root)
        held = index.get("content", "roll")
        if held != self.content:
            other = "PhraseDataset" if held == "roll" else "ArrangementDataset"
            raise ConfigError(f"{root} holds {held} phrases, not {self.content} phrases: read it with {other}")
        if split not in SPLITS + ("all",):
            raise ConfigError(f"split must be one of {SPLITS + ('all',)}, got {split!r}")
        if not isinstance(transpose, int) or transpose < 0:
            raise ConfigError(f"transpose must be a non-negative integer, got {transpose!r}")
        self.root = Path(root)
        self.roll_config = roll_config(index)
        self.stored_steps = int(index["phrase_steps"])
        self.phrase_steps = int(phrase_steps or self.stored_steps)
        if self.phrase_steps < 1:
            raise ConfigError(f"phrase_steps must be positive, got {phrase_steps!r}")
        self.transpose, self.seed, self.split = transpose, seed, split
        label_of, self.genres = _labels(genres, index["genres"])
        self._files = [self.root / s["file"] for s in index["shards"]]
        pieces = index["pieces"]
        keep = [(row[0], row[1], label_of[pieces[row[2]]["genre"]], row[2], row[3])
                for row in index["phrases"]
                if pieces[row[2]]["genre"] in label_of and split in ("all", pieces[row[2]]["split"])]
        table = np.asarray(keep, dtype=np.int64).reshape(-1, 5)
        self._shard, self._row, self.labels, self._piece, self._bar = table.T.copy()
        self._sources = [p["source"] for p in pieces]
        self._maps: collections.OrderedDict = collections.OrderedDict()
        self._rng: np.random.Generator | None = None

    def __len__(self) -> int:
        return int(self._shard.shape[0])

    def __getitem__(self, i: int) -> dict:
        x = np.asarray(self._open(int(self._shard[i]))[int(self._row[i])])
        x = _fit(x, self.phrase_steps)
        if self.transpose:
            x = shift_pitch(x, int(self._generator().integers(-self.transpose, self.transpose + 1)))
        return {"roll": torch.from_numpy(x.astype(np.float32)),
                "label": torch.tensor(int(self.labels[i]), dtype=torch.int64)}

    def info(self, i: int) -> dict:
        """Where item ``i`` comes from: source file (``book.abc#N`` for tunes), bar offset, label."""
        return {"source": self._sources[int(self._piece[i])], "bar": int(self._bar[i]),
                "label": int(self.labels[i]), "genre": self.genres[int(self.labels[i])]}

    def counts(self) -> dict[str, int]:
        """Items per label name."""
        return {g: int((self.labels == k).sum()) for k, g in enumerate(self.genres)}

    def _open(self, shard: int) -> np.ndarray:
        arr = self._maps.get(shard)
        if arr is None:
            arr = np.load(self._files[shard], mmap_mode="r", allow_pickle=False)
            self._maps[shard] = arr
            if len(self._maps) > MAX_OPEN_SHARDS:
                self._maps.popitem(last=False)
        else:
            self._maps.move_to_end(shard)
        return arr

    def _generator(self) -> np.random.Generator:
        if self._rng is None:
            worker = torch.utils.data.get_worker_info()
            key = [self.seed, 0 if worker is None else worker.id + 1]
            dist = torch.distributed
            if dist.is_available() and dist.is_initialized() and dist.get_rank() > 0:
                key.append(dist.get_rank())  # data-parallel ranks transpose independently
            self._rng = np.random.default_rng(key)
        return self._rng

    def __getstate__(self) -> dict:  # memory maps and generators stay in their process
        state = dict(self.__dict__)
        state["_maps"], state["_rng"] = collections.OrderedDict(), None
        return state


class ArrangementDataset(PhraseDataset):
    """Arrangement phrases (a corpus prepared with ``content="arrangement"``), labelled by genre.

    Items are ``{"planes": float32 [7, T, P] (0/1, unpacked; see
    :mod:`midistyle.arrangement.planes`), "label": int64 scalar}``. No transposition (the chord
    chroma and drum lanes would need their own).
    """

    content = "arrangement"

    def __init__(self, root: str | os.PathLike, genres: Sequence[str | Collection[str]],
                 split: str = "train", *, phrase_steps: int | None = None, seed: int = 0):
        super().__init__(root, genres, split, phrase_steps=phrase_steps, seed=seed)
        self.n_pitches = self.roll_config.n_pitches

    def __getitem__(self, i: int) -> dict:
        from ..arrangement.planes import unpack

        x = _fit(np.asarray(self._open(int(self._shard[i]))[int(self._row[i])]), self.phrase_steps)
        return {"planes": torch.from_numpy(unpack(x, self.n_pitches).astype(np.float32)),
                "label": torch.tensor(int(self.labels[i]), dtype=torch.int64)}


class UnpairedDataset(Dataset):
    """Unpaired samples from two datasets (CycleGAN domains A and B).

    Item ``i`` is ``{"a": a[i mod len(a)]["roll"], "b": b[perm_k[i mod len(b)]]["roll"]}`` where
    ``perm_k`` is a permutation seeded by ``(seed, k)``, ``k = i // len(b)``: every pass over
    ``b`` meets ``a`` in a new order. ``len = max(len(a), len(b))``.
    """

    def __init__(self, a: Dataset, b: Dataset, seed: int = 0):
        if len(a) == 0 or len(b) == 0:
            raise ConfigError(f"both domains need items (got {len(a)} and {len(b)})")
        self.a, self.b, self.seed = a, b, seed
        self._perms: collections.OrderedDict = collections.OrderedDict()

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < len(self):
            raise IndexError(i)
        nb = len(self.b)
        j = int(self._perm(i // nb)[i % nb])
        return {"a": self.a[i % len(self.a)]["roll"], "b": self.b[j]["roll"]}

    def _perm(self, k: int) -> np.ndarray:
        perm = self._perms.get(k)
        if perm is None:
            perm = np.random.default_rng([self.seed, k]).permutation(len(self.b))
            self._perms[k] = perm
            if len(self._perms) > 4:
                self._perms.popitem(last=False)
        return perm


class BalancedDataset(Dataset):
    """Items of a labelled dataset drawn with every label equally often (StarGAN's genre balance).

    Item ``i`` has label ``i mod n_labels`` and is the ``(i // n_labels)``-th item of that label
    in a permutation seeded by ``(seed, label, pass)``. ``len`` = the wrapped dataset's, so an
    epoch still means one corpus' worth of phrases; labels without items are left out.
    """

    def __init__(self, data: Dataset, labels: np.ndarray, seed: int = 0):
        labels = np.asarray(labels)
        self.data, self.seed = data, seed
        self.members = [np.flatnonzero(labels == k) for k in np.unique(labels)]
        if not self.members:
            raise ConfigError("a balanced dataset needs items")
        self._perms: collections.OrderedDict = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < len(self):
            raise IndexError(i)
        group = self.members[i % len(self.members)]
        j, k = divmod(i // len(self.members), len(group))
        key = (i % len(self.members), j)
        perm = self._perms.get(key)
        if perm is None:
            perm = self._perms[key] = np.random.default_rng([self.seed, *key]).permutation(len(group))
            if len(self._perms) > 2 * len(self.members):
                self._perms.popitem(last=False)
        return self.data[int(group[perm[k]])]


def shift_pitch(x: np.ndarray, k: int) -> np.ndarray:
    """Shift ``[..., P]`` content up by ``k`` pitches (down if negative), dropping what falls out."""
    if k == 0:
        return x
    out = np.zeros_like(x)
    if abs(k) < x.shape[-1]:
        if k > 0:
            out[..., k:] = x[..., :-k]
        else:
            out[..., :k] = x[..., -k:]
    return out


def _fit(x: np.ndarray, steps: int) -> np.ndarray:
    """Crop or zero-pad ``[C, T, P]`` to ``steps`` along time."""
    if x.shape[1] == steps:
        return x
    if x.shape[1] > steps:
        return x[:, :steps]
    out = np.zeros((x.shape[0], steps, x.shape[2]), x.dtype)
    out[:, :x.shape[1]] = x
    return out


def _labels(genres, available: list[str]) -> tuple[dict[str, int], tuple[str, ...]]:
    """``genre -> label`` and the label names, checking every name exists and none repeats."""
    if isinstance(genres, str):
        genres = [genres]
    if not genres:
        raise ConfigError("give at least one genre")
    label_of: dict[str, int] = {}
    names = []
    for label, entry in enumerate(genres):
        group = set(entry.split("+")) if isinstance(entry, str) else set(entry)
        unknown = sorted(group - set(available))
        if unknown or not group:
            raise ConfigError(f"unknown genre(s) {unknown or [entry]}; this corpus has {available}")
        for g in group:
            if g in label_of:
                raise ConfigError(f"genre {g!r} appears under two labels")
            label_of[g] = label
        names.append("+".join(g for g in available if g in group))
    return label_of, tuple(names)
