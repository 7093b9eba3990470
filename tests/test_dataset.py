"""Datasets over a prepared corpus: the contract the models code against."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.corpus_fixtures import make_sources

from midistyle.config import RollConfig
from midistyle.data.corpus import prepare
from midistyle.data.dataset import PhraseDataset, UnpairedDataset, shift_pitch
from midistyle.data.index import read_index
from midistyle.errors import InputError


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    prepare(make_sources(tmp_path_factory.mktemp("src")), out, workers=1, val_fraction=0.5, progress=False)
    return out


def test_items_follow_the_contract(root):
    ds = PhraseDataset(root, ["band", "tunes"], split="all")
    assert ds.genres == ("band", "tunes") and ds.roll_config == RollConfig()
    assert len(ds) == 18 and ds.counts() == {"band": 12, "tunes": 6}
    for i in range(len(ds)):
        item = ds[i]
        roll, label = item["roll"], item["label"]
        assert roll.dtype == torch.float32 and roll.shape == (2, 64, 84)
        assert set(torch.unique(roll).tolist()) <= {0.0, 1.0}
        assert label.dtype == torch.int64 and label.shape == ()
        assert ds.genres[int(label)] == ds.info(i)["genre"]
        assert (roll[1] >= roll[0]).all()  # every onset cell also sounds


def test_items_match_the_shards(root):
    index = read_index(root)
    ds = PhraseDataset(root, ["tunes"], split="all")
    rows = [r for r in index["phrases"] if index["pieces"][r[2]]["genre"] == "tunes"]
    for i, (shard, row, *_rest) in enumerate(rows):
        want = np.load(root / index["shards"][shard]["file"])[row].astype(np.float32)
        np.testing.assert_array_equal(ds[i]["roll"].numpy(), want)


def test_splits_partition_and_labels_follow_positions(root):
    tr = PhraseDataset(root, ["tunes", "band"], split="train")
    va = PhraseDataset(root, ["tunes", "band"], split="val")
    assert len(tr) + len(va) == 18 and len(tr) and len(va)
    assert tr.genres == ("tunes", "band")
    assert {tr.info(i)["genre"]: int(tr[i]["label"]) for i in range(len(tr))} == \
        {g: k for k, g in enumerate(tr.genres) if tr.counts()[g]}
    pooled = PhraseDataset(root, [{"band", "tunes"}], split="all")
    assert pooled.genres == ("band+tunes",) and len(pooled) == 18
    assert all(int(pooled[i]["label"]) == 0 for i in range(len(pooled)))
    assert PhraseDataset(root, ["band+tunes"], split="all").genres == ("band+tunes",)
    with pytest.raises(ValueError, match="unknown genre"):
        PhraseDataset(root, ["jazz"])
    with pytest.raises(ValueError, match="two labels"):
        PhraseDataset(root, ["band", "band+tunes"])


def test_phrase_steps_crops_and_pads(root):
    full = PhraseDataset(root, ["band"], split="all")
    short = PhraseDataset(root, ["band"], split="all", phrase_steps=16)
    long = PhraseDataset(root, ["band"], split="all", phrase_steps=80)
    assert short[0]["roll"].shape == (2, 16, 84) and long[0]["roll"].shape == (2, 80, 84)
    assert torch.equal(short[0]["roll"], full[0]["roll"][:, :16])
    assert torch.equal(long[0]["roll"][:, :64], full[0]["roll"]) and not long[0]["roll"][:, 64:].any()


def test_transposition_shifts_pitch(root):
    plain = PhraseDataset(root, ["band"], split="all")
    moved = PhraseDataset(root, ["band"], split="all", transpose=5, seed=1)
    shifts = []
    for _ in range(4):
        for i in range(len(plain)):
            a, b = plain[i]["roll"].numpy(), moved[i]["roll"].numpy()
            match = [k for k in range(-5, 6) if np.array_equal(shift_pitch(a, k), b)]
            assert match, "not a transposition within +-5"
            shifts.append(match[0])
    assert len(set(shifts)) > 3
    x = np.zeros((2, 4, 84), np.uint8)
    x[:, :, 0] = 1
    x[:, :, 83] = 1
    assert shift_pitch(x, 1)[:, :, 1].all() and shift_pitch(x, 1).sum() == 8  # the top note fell out
    assert shift_pitch(x, -2)[:, :, 81].all() and shift_pitch(x, -2).sum() == 8


def test_works_in_a_dataloader_with_workers(root):
    ds = PhraseDataset(root, ["band", "tunes"], split="all", transpose=2)
    ds[0]  # open a shard in this process: the copy sent to workers must not carry it
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=1)
    batches = list(loader)
    assert sum(len(b["label"]) for b in batches) == 18
    assert batches[0]["roll"].shape == (4, 2, 64, 84)


class Numbers(torch.utils.data.Dataset):
    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"roll": self.offset + i}


def test_unpaired_lengths_and_sampling():
    a, b = Numbers(10), Numbers(4, offset=100)
    u = UnpairedDataset(a, b, seed=3)
    assert len(u) == 10 and len(UnpairedDataset(b, a)) == 10
    items = [u[i] for i in range(len(u))]
    assert [it["a"] for it in items] == list(range(10))
    assert sorted(it["b"] for it in items[:4]) == [100, 101, 102, 103]  # each pass is a permutation
    assert sorted(it["b"] for it in items[4:8]) == [100, 101, 102, 103]
    assert [UnpairedDataset(a, b, seed=3)[i]["b"] for i in range(10)] == [it["b"] for it in items]
    orders = {tuple(UnpairedDataset(a, b, seed=s)[i]["b"] for i in range(4)) for s in range(6)}
    assert len(orders) > 1
    with pytest.raises(IndexError):
        u[10]
    with pytest.raises(ValueError):
        UnpairedDataset(a, Numbers(0))


def test_unpaired_over_phrase_datasets(root):
    u = UnpairedDataset(PhraseDataset(root, ["band"], split="all"), PhraseDataset(root, ["tunes"], split="all"))
    assert len(u) == 12
    item = u[7]
    assert item["a"].shape == item["b"].shape == (2, 64, 84)


def test_unfinished_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a prepared corpus"):
        PhraseDataset(tmp_path, ["band"])


def test_subset_keeps_random_phrases_bit_for_bit(root, tmp_path):
    from click.testing import CliRunner

    from midistyle.cli import main
    from midistyle.data.subset import subset_corpus
    from midistyle.errors import OutputError

    full = PhraseDataset(root, ["band", "tunes"], split="all")
    kept = subset_corpus(root, tmp_path / "sub", train=3, val=1, seed=1)
    tr = PhraseDataset(tmp_path / "sub", ["band", "tunes"], split="train")
    va = PhraseDataset(tmp_path / "sub", ["band", "tunes"], split="val")
    assert tr.counts() == {g: kept[g]["train"] for g in ("band", "tunes")} and max(tr.counts().values()) == 3
    assert va.counts() == {g: kept[g]["val"] for g in ("band", "tunes")} and set(va.counts().values()) == {1}
    # each copied phrase is one of the corpus's, from the same piece, bar and split
    where = {(full.info(i)["source"], full.info(i)["bar"]): full[i]["roll"] for i in range(len(full))}
    whole = {(s, b) for s, b in where}
    for ds in (tr, va):
        for i in range(len(ds)):
            key = (ds.info(i)["source"], ds.info(i)["bar"])
            assert key in whole and torch.equal(ds[i]["roll"], where[key])
    assert len({(tr.info(i)["source"], tr.info(i)["bar"]) for i in range(len(tr))}) == len(tr)
    with pytest.raises(OutputError, match="already holds"):
        subset_corpus(root, tmp_path / "sub", train=3, val=1)
    res = CliRunner().invoke(main, ["subset", str(root), "-o", str(tmp_path / "cli"), "--train", "2", "--val", "0"])
    assert res.exit_code == 0, res.output
    assert "band: 2 train, 0 val phrases" in res.output
    assert len(PhraseDataset(tmp_path / "cli", ["band", "tunes"], split="all")) == 4
