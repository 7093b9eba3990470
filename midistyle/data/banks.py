"""A genre's retrieval bank from a prepared arrangement corpus (``prepare --content arrangement``).

The corpus' phrases are cut at barlines with no overlap by default, so each bar is read once;
its piece and bar number keep continuity across phrases. Numpy only (no torch).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from ..arrangement.planes import CHROMA_COLS, DOWNBEAT_COL, DRUM_COLS, unpack
from ..arrangement.retrieve import Bank, BarRecord, build_bank
from ..errors import InputError
from .index import iter_phrases, read_index, roll_config


def corpus_bars(root: str | os.PathLike, genre: str, split: str = "train", *,
                index: dict | None = None) -> Iterator[BarRecord]:
    """Every bar of ``genre``'s phrases in ``split`` of an arrangement corpus (``index``: its
    index.json when already read)."""
    index = read_index(root) if index is None else index
    if index.get("content", "roll") != "arrangement":
        raise InputError(root, "not an arrangement corpus (prepare it with --content arrangement)")
    cfg = roll_config(index)
    shards: dict[str, np.ndarray] = {}
    for rec in iter_phrases(index):
        if rec["genre"] != genre or rec["split"] != split:
            continue
        if rec["shard"] not in shards:
            shards[rec["shard"]] = np.load(Path(root) / rec["shard"], mmap_mode="r", allow_pickle=False)
        steps = int(rec["steps"])
        planes = unpack(shards[rec["shard"]][rec["row"]], cfg.n_pitches)[:, :steps].astype(bool)
        ctx = planes[6]
        starts = list(np.flatnonzero(ctx[:, DOWNBEAT_COL])) + [steps]
        for k, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
            yield BarRecord(int(rec["piece"]), int(rec["bar"]) + k, ctx[a:b, CHROMA_COLS].astype(np.float32),
                            planes[2:4, a:b], planes[4:6, a:b], ctx[a:b, DRUM_COLS])


def corpus_bank(root: str | os.PathLike, genre: str, *, split: str = "train", max_bars: int | None = None,
                seed: int = 0, index: dict | None = None) -> Bank:
    """The bank of ``genre`` from a prepared arrangement corpus (InputError when it has no such genre)."""
    index = read_index(root) if index is None else index
    if genre not in index.get("genres", []):
        raise InputError(root, f"no genre {genre!r} in this corpus (it has {', '.join(index.get('genres', []))})")
    return build_bank(corpus_bars(root, genre, split, index=index), genre, roll_config(index), max_bars=max_bars, seed=seed)


def corpus_profile(root: str | os.PathLike, genre: str, *, split: str = "train", index: dict | None = None):
    """``genre``'s :class:`~midistyle.arrangement.profile.GenreProfile` from the per-song
    measurements an arrangement corpus' index keeps for each piece (no file is read again)."""
    from ..arrangement.profile import combine

    index = read_index(root) if index is None else index
    stats = [p["arrangement"] for p in index["pieces"]
             if p["genre"] == genre and p["split"] == split and "arrangement" in p]
    if not stats:
        raise InputError(root, f"no {split} piece of genre {genre!r} with arrangement measurements "
                               "(prepare it with --content arrangement)")
    return combine(stats, genre, roll_config(index))


def write_genre_assets(root: str | os.PathLike, out_dir: str | os.PathLike, genres: list[str] | None = None, *,
                       max_bars: int | None = 4000, seed: int = 0) -> dict[str, Path]:
    """For each genre of an arrangement corpus, ``out_dir/<genre>/`` with its ``profile.json``
    (instruments, kit, feel) and its retrieval bank (``bank.json`` + ``bank.safetensors``), and
    ``out_dir/arrangement.json`` naming the genres: everything a genre needs besides a trained
    generator. Genres already in ``out_dir`` and not asked for are kept. Every bank of the folder, old
    and new, then gets its bars' typicality refitted against all of them
    (:func:`~midistyle.arrangement.typical.fit_typicality`), and a new bank keeps its ``max_bars``
    most typical bars (a draw seeded by ``seed`` when there is no other genre to tell them from).
    Returns genre -> folder."""
    from ..arrangement.assets import assets_genres, is_assets, write_assets_index
    from ..arrangement.profile import save_profile
    from ..arrangement.retrieve import load_bank

    index = read_index(root)  # read once for every genre
    genres = list(genres or index["genres"])
    banks, done = {}, {}
    for genre in genres:
        folder = Path(out_dir) / genre
        banks[genre] = corpus_bank(root, genre, index=index)  # every bar: the most typical are kept below
        save_profile(corpus_profile(root, genre, index=index), folder / "profile.json")
        done[genre] = folder
    before = [g for g in (assets_genres(out_dir) if is_assets(out_dir) else []) if g not in done]
    banks.update({g: load_bank(Path(out_dir) / g) for g in before})
    refit_typicality(banks, out_dir, keep={g: max_bars for g in done}, seed=seed)
    write_assets_index(out_dir, [*before, *done], corpus=str(Path(root).resolve()),
                       index_sha256=_sha256(Path(root) / "index.json"), max_bars=max_bars, seed=seed)
    return done


def refit_typicality(banks: dict, out_dir: str | os.PathLike, keep: dict | None = None, seed: int = 0) -> None:
    """Fit every bank's bar typicality against the others and write each into ``out_dir/<genre>/``;
    ``keep``: genre -> how many bars its bank keeps (the most typical; None or absent: all)."""
    from ..arrangement.retrieve import save_bank
    from ..arrangement.typical import fit_typicality

    for genre, typical in fit_typicality(banks).items():
        bank = dataclasses.replace(banks[genre], typical=typical)
        save_bank(most_typical(bank, (keep or {}).get(genre), seed), Path(out_dir) / genre)


def most_typical(bank: Bank, n: int | None, seed: int = 0) -> Bank:
    """The bank cut to its ``n`` most typical bars, in their order (a seeded draw of ``n`` when its
    bars are all alike: no typicality, or no other genre to tell them from)."""
    if n is None or bank.n_bars <= n:
        return bank
    if bank.typical is None or not np.any(bank.typical):
        chosen = np.random.default_rng(seed).choice(bank.n_bars, n, replace=False)
    else:
        chosen = np.argsort(-bank.typical, kind="stable")[:n]
    rows = np.sort(chosen)
    return dataclasses.replace(bank, **{f.name: getattr(bank, f.name)[rows] for f in dataclasses.fields(bank)
                                        if isinstance(getattr(bank, f.name), np.ndarray)})


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
