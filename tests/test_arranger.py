"""The arranger kind: trains on an arrangement corpus, learns each genre's parts, arranges a lead sheet."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
torch.set_num_threads(1)

from midistyle.config import RollConfig
from midistyle.errors import ConfigError, ModelError
from midistyle.representation import write_midi
from midistyle.representation.drums import LANES
from midistyle.arrangement.encode import encode
from midistyle.arrangement.planes import to_planes
from midistyle.arrangement.profile import learn_profile
from midistyle.data.corpus import prepare
from midistyle.kinds import get
from midistyle.kinds.arranger import arrange
from midistyle.models import checkpoint as ckpt
from midistyle.training.arranger import loss_mask, net_inputs, net_targets, weighted_bce

from tests.arrangement_fixtures import band_song, lead_sheet, notes

GENRES = {"swing": dict(swing=2 / 3, bass_program=32, ride=True),
          "straight": dict(swing=0.5, bass_program=33, ride=False, comp_program=27)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("genres")
    for genre, kw in GENRES.items():
        for seed in range(4):
            write_midi(band_song(seed=seed, **kw), root / genre / f"{seed}.mid")
    out = tmp_path_factory.mktemp("arr")
    prepare({g: [root / g] for g in GENRES}, out, workers=1, progress=False, content="arrangement",
            val_fraction=0.4, align_beats="off")
    return out


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    from midistyle.training.api import train

    run = tmp_path_factory.mktemp("run") / "arranger"
    result = train("arranger", corpus, run, genres=list(GENRES), preset="tiny", device="cpu", max_steps=80,
                   batch_size=4, progress=False, seed=0, overrides={"lr": 1e-2, "pos_weight": 3.0})
    return result


def test_inputs_and_targets_split_the_stored_planes():
    arr = encode(lead_sheet(band_song(ride=True)))
    planes = torch.from_numpy(to_planes(arr)[None].astype(np.float32))
    x, y = net_inputs(planes, RollConfig().low_pitch), net_targets(planes)
    assert x.shape == (1, 5, arr.n_steps, 84) and y.shape == x.shape
    assert torch.equal(x[0, :2].bool(), torch.from_numpy(arr.melody))
    c4 = 60 - RollConfig().low_pitch
    assert torch.equal(x[0, 2, :, c4].bool(), torch.from_numpy(arr.chroma[:, 0] > 0))  # C of every octave
    assert x[0, 3, :, 0].nonzero()[:, 0].tolist() == arr.bar_starts[:-1].tolist()
    assert torch.equal(y[0, 4, :, :len(LANES)].bool(), torch.from_numpy(arr.drums))
    assert y[0, 4, :, len(LANES):].sum() == 0
    mask = loss_mask(y.shape, y.device)
    # a perfect guess costs almost nothing; missing every note costs pos_weight times more than adding
    assert weighted_bce(y, y, mask, 8.0).item() < 1e-4
    silent = torch.zeros_like(y)
    assert weighted_bce(silent, y, mask, 8.0) == pytest.approx(8 * weighted_bce(silent, y, mask, 1.0).item(), rel=1e-4)


def test_config_refuses_transposition_and_a_bad_weight():
    cfg = get("arranger").config
    with pytest.raises(ConfigError, match="untransposed"):
        cfg(task="arranger", transpose=2)
    with pytest.raises(ConfigError, match="pos_weight"):
        cfg(task="arranger", pos_weight=0.0)


@pytest.mark.slow
def test_trains_on_the_one_loop_and_learns_each_genres_parts(trained):
    rows = [json.loads(line) for line in (trained.run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [r["bce"] for r in rows if r["split"] == "train"]
    assert trained.step == 80 and np.mean(losses[-10:]) < 0.5 * np.mean(losses[:5])
    m = trained.metrics
    assert set(m) >= {"bce", "f1", "f1_bass", "f1_comp", "f1_drums", "density_drums"}
    assert m["f1_drums"] > 0.5 and 0 <= m["f1"] <= 1
    meta = ckpt.read_meta(trained.best)
    assert meta.kind == "arranger" and meta.genres == tuple(GENRES) and meta.train.pos_weight == 3.0
    # the same lead sheet in both genres: the swing code plays the ride, the straight one the hi-hat
    lead = lead_sheet(band_song(seed=7))
    drums = {g: arrange(lead, g, trained.best).drums for g in GENRES}
    lanes = {g: {int(p): int((d[0].pitch == p).sum()) for p in (42, 51)} for g, d in drums.items()}
    assert lanes["swing"][51] > lanes["swing"][42] and lanes["straight"][42] > lanes["straight"][51], lanes


@pytest.mark.slow
def test_arrange_keeps_the_melody_and_takes_instruments_and_feel_from_the_profile(trained):
    src = band_song(seed=5)
    lead = lead_sheet(src)
    profile = learn_profile([lead_sheet(band_song(seed=s, **GENRES["swing"])) for s in range(2)], "swing")
    out = arrange(lead, "swing", trained.best, profile=profile)
    np.testing.assert_array_equal(out.tracks[0].pitch, src.tracks[0].pitch)  # the melody's notes, in order,
    assert out.tracks[0].start[1] == pytest.approx(2 / 3, abs=0.01)  # played in the genre's swing
    assert notes(arrange(lead, "swing", trained.best, profile=profile, keep=("feel",)).tracks[0]) == \
        notes(src.tracks[0])
    assert out.tempos == src.tempos and out.time_signatures == src.time_signatures
    assert [(t.name, t.program, t.is_drum) for t in out.tracks[1:]] == \
        [("Bass", 32, False), ("Comp", 0, False), ("Drums", 0, True)]
    phase = np.mod(out.drums[0].start, 1.0)
    assert np.isclose(phase, 2 / 3, atol=0.01).sum() > 10 and not np.isclose(phase, 0.5).any()  # swung
    profile.roles["drums"]["share"] = 0.0
    assert arrange(lead, "swing", trained.best, profile=profile).drums == []
    with pytest.raises(ModelError, match="not jazz"):
        arrange(lead, "jazz", trained.best)
