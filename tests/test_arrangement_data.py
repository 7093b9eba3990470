"""Arrangement corpora: prepare keeps drum-only pieces, shards hold the encoded planes, datasets read them."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from midistyle.config import RollConfig
from midistyle.errors import ConfigError
from midistyle.representation import read, write_midi
from midistyle.analysis.leadsheet import read_lead_sheet
from midistyle.arrangement.encode import encode
from midistyle.arrangement.planes import (CONTEXT_WIDTH, DRUM_COLS, PLANES, has_notes, pack, to_planes,
                                          unpack)
from midistyle.data.corpus import prepare
from midistyle.data.dataset import ArrangementDataset, PhraseDataset
from midistyle.data.index import read_index

from tests.arrangement_fixtures import band_song
from tests.midi_fixtures import song

torch.set_num_threads(1)


def _drums_only():
    hits = [(q, q + 0.1, 42, 80) for q in np.arange(0, 32, 0.5)] + \
           [(q, q + 0.1, 36 if q % 2 == 0 else 38, 110) for q in np.arange(0, 32, 1.0)]
    return song([("Kit", 0, True, hits)])


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("arr")
    write_midi(band_song(), root / "band" / "band.mid")
    write_midi(band_song(swing=2 / 3, ride=True, bass_program=32, seed=3), root / "band" / "swing.mid")
    write_midi(_drums_only(), root / "band" / "groove.mid")
    (root / "band" / "junk.mid").write_bytes(b"not midi")
    return root


@pytest.fixture(scope="module")
def arranged(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    report = prepare({"band": [folders / "band"]}, out, workers=1, progress=False, content="arrangement",
                     val_fraction=0.0)
    return out, report


def test_planes_pack_and_unpack_bit_for_bit():
    src = band_song()
    arr = encode(read_lead_sheet(src))
    planes = to_planes(arr)
    assert planes.shape == (len(PLANES), arr.n_steps, RollConfig().n_pitches)
    packed = pack(planes)
    assert packed.shape[-1] == 11 and packed.dtype == np.uint8
    np.testing.assert_array_equal(unpack(packed, planes.shape[-1]), planes)
    np.testing.assert_array_equal(planes[6][:, DRUM_COLS], arr.drums)
    assert planes[6][:, CONTEXT_WIDTH:].sum() == 0
    onset_steps = np.unique(np.rint(np.concatenate([t.start for t in src.tracks]) * 4)).astype(int)
    assert np.flatnonzero(has_notes(planes)).tolist() == onset_steps.tolist()


@pytest.mark.slow
def test_prepare_keeps_drum_only_pieces_for_arrangements(arranged):
    out, report = arranged
    assert report.pieces["band"]["train"] == 3
    assert report.skipped == {"not a MIDI file (no MThd header)": 1}
    index = read_index(out)
    assert index["content"] == "arrangement" and index["planes"] == list(PLANES)
    groove = next(p for p in index["pieces"] if p["source"].endswith("groove.mid"))
    assert groove["drum_notes"] == 96 and groove["notes"] == 0


@pytest.mark.slow
def test_the_merged_roll_corpus_still_refuses_drum_only_pieces(folders, tmp_path):
    report = prepare({"band": [folders / "band"]}, tmp_path / "rolls", workers=1, progress=False)
    assert report.pieces["band"]["train"] + report.pieces["band"]["val"] == 2
    assert report.skipped["only drum notes, nothing pitched to work on"] == 1
    with pytest.raises(ConfigError, match="holds roll phrases.*PhraseDataset"):
        ArrangementDataset(tmp_path / "rolls", ["band"])


@pytest.mark.slow
def test_dataset_items_are_the_encoded_phrases(arranged, folders):
    out, _ = arranged
    data = ArrangementDataset(out, ["band"])
    with pytest.raises(ConfigError, match="holds arrangement phrases.*ArrangementDataset"):
        PhraseDataset(out, ["band"])
    first = {}
    for i in range(len(data)):
        info = data.info(i)
        first.setdefault(info["source"], (i, info["bar"]))
    i, bar = first[str(folders / "band" / "band.mid")]
    assert bar == 0
    item = data[i]
    assert item["planes"].shape == (7, 64, 84) and item["label"].item() == 0
    expected = to_planes(encode(read_lead_sheet(read(folders / "band" / "band.mid"))))[:, :64]
    np.testing.assert_array_equal(item["planes"].numpy().astype(bool), expected)
    j, _ = first[str(folders / "band" / "groove.mid")]
    groove = data[j]["planes"].numpy()
    assert groove[:6].sum() == 0 and groove[6][:, DRUM_COLS].sum() > 0


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:no validation data")
def test_an_arranger_trains_on_a_corpus_with_drum_only_pieces(arranged, tmp_path):
    from midistyle.training.api import train

    out, _ = arranged
    index = read_index(out)
    groove = [k for k, p in enumerate(index["pieces"]) if p["source"].endswith("groove.mid")]
    n_groove = sum(1 for row in index["phrases"] if row[2] in groove)
    result = train("arranger", out, tmp_path / "run", preset="tiny", device="cpu", max_steps=2, progress=False)
    run = json.loads((result.run_dir / "run.json").read_text())
    assert n_groove == 2 and run["train_items"] == len(index["phrases"]) and result.step == 2
