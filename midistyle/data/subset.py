"""A smaller copy of a prepared corpus: at most N phrases per genre and split, drawn at random.

For carrying a corpus where its 5 GB of shards cannot go (a lent GPU machine takes 64 MiB), and for
quick runs. The copy is a prepared corpus like any other: the datasets and ``train`` read it as is.
"""
from __future__ import annotations

import collections
import os
from pathlib import Path

import numpy as np

from ..atomic import write_text
from ..errors import OutputError
from . import index as layout
from .corpus import ShardSink, dump_index


def subset_corpus(root: str | os.PathLike, out: str | os.PathLike, *, train: int, val: int, seed: int = 0,
                  shard_size: int = 4096) -> dict[str, dict[str, int]]:
    """Write at most ``train`` training and ``val`` validation phrases of each genre of the prepared
    corpus ``root`` to the new prepared corpus ``out``; returns the phrases kept per genre and split.

    Phrases are drawn uniformly at random (``seed``) and kept in corpus order with their pieces'
    records, so the copy's splits are the original's. ``out`` must not hold a corpus already.
    """
    root, out = Path(root), Path(out)
    index = layout.read_index(root)
    if (out / layout.INDEX_NAME).exists() or out.resolve() == root.resolve():
        raise OutputError(out, "already holds a prepared corpus; give a new folder")
    pieces, cap = index["pieces"], {"train": train, "val": val}
    groups: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for k, row in enumerate(index["phrases"]):
        piece = pieces[row[2]]
        groups[(piece["genre"], piece["split"])].append(k)
    rng = np.random.default_rng(seed)
    new_rows, new_pieces, shards, piece_map = [], [], [], {}
    kept = {g: {s: 0 for s in layout.SPLITS} for g in index["genres"]}
    maps: dict[int, np.ndarray] = {}
    for genre in index["genres"]:
        for split in layout.SPLITS:
            rows = groups.get((genre, split), [])
            if len(rows) > cap[split]:
                rows = sorted(rng.choice(rows, cap[split], replace=False).tolist())
            sink = ShardSink(out, genre, split, shard_size, shards)
            for k in rows:
                shard, r, p, bar, steps, meter = index["phrases"][k]
                if shard not in maps:
                    maps[shard] = np.load(root / index["shards"][shard]["file"], mmap_mode="r", allow_pickle=False)
                if p not in piece_map:
                    piece_map[p] = len(new_pieces)
                    new_pieces.append({**pieces[p], "first_phrase": len(new_rows), "n_phrases": 0})
                new_pieces[piece_map[p]]["n_phrases"] += 1
                (place,) = sink.add(np.asarray(maps[shard][r:r + 1]))
                new_rows.append([*place, piece_map[p], bar, steps, meter])
            sink.close()
            kept[genre][split] = len(rows)
    summary = {**index["summary"], "subset_of": str(root.resolve()), "subset_seed": seed,
               "phrases": kept}
    index = {**index, "summary": summary, "shards": shards, "pieces": new_pieces, "phrases": new_rows}
    write_text(out / layout.INDEX_NAME, dump_index(index))
    return kept
