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


# -- the adversarial option (adv_weight) ---------------------------------------------------------
ADV = {"adv_weight": 0.1, "density_weight": 1.0, "d_input_noise": 0.0}


def _adv_task(corpus, **changes):
    from midistyle.config import get_preset
    from midistyle.training.api import train_config
    from midistyle.training.arranger import ArrangerTask
    from midistyle.training.runtime import Runtime

    cfg = train_config("arranger", "tiny", 0, None, None, 4, None, {**ADV, **changes})
    train_data, _, info = get("arranger").data(corpus, cfg, genres=list(GENRES))
    torch.manual_seed(0)
    task = ArrangerTask(get_preset("tiny"), cfg, Runtime(torch.device("cpu")), info)
    batch = next(iter(torch.utils.data.DataLoader(train_data, batch_size=4)))
    return task, batch


@pytest.mark.slow
def test_each_roles_discriminator_judges_binarised_parts_given_the_lead_sheet_and_trains(corpus):
    from midistyle.models.blocks import binarize
    from midistyle.training.arranger import INPUTS, ROLES

    task, batch = _adv_task(corpus)
    assert set(task.modules()) == {"G", "D_bass", "D_comp", "D_drums"} and set(task.export()) == {"G"}
    seen = {}
    for role, adv in task.critics.items():
        adv.D.register_forward_pre_hook(lambda m, args, role=role: seen.setdefault(role, []).append(args[0]))
    before = {name: [p.detach().clone() for p in m.parameters()] for name, m in task.modules().items()}
    losses = task.step(batch)
    assert set(losses) >= {"bce", "density", "g_adv", "d_bass", "d_comp", "d_drums"}
    assert all(np.isfinite(v) and v >= 0 for v in losses.values()), losses
    for name, m in task.modules().items():  # G and every D took a step
        assert any(not torch.equal(a, b) for a, b in zip(before[name], m.parameters())), name
    for role, ch in ROLES.items():
        width = ch.stop - ch.start
        for x in seen[role]:  # the judged part is 0/1 (as convert plays it), then lead sheet + genre planes
            assert x.shape[1] == width + len(INPUTS) + len(GENRES)
            part = x[:, :width]
            assert torch.allclose(part, part.round(), atol=1e-6) and part.round().unique().tolist() == [0.0, 1.0]
            assert torch.equal(x[:, width + len(INPUTS):].amax((2, 3)).sum(1), torch.ones(len(x)))
    # the thresholded part still trains G (straight-through): the adversarial term alone reaches its weights
    prob, _, mask, cond = task._forward(batch)
    task.G.zero_grad()
    task.critics["comp"].D.zero_grad()
    task.critics["comp"].generator_loss(binarize(prob)[:, ROLES["comp"]] * mask[:, ROLES["comp"]], cond=cond).backward()
    assert sum(float(p.grad.abs().sum()) for p in task.G.parameters() if p.grad is not None) > 0
    assert not any(p.grad is not None and p.grad.abs().sum() > 0 for p in task.critics["comp"].D.parameters())


def test_density_term_counts_notes_as_played_and_vanishes_on_the_real_parts(corpus):
    from midistyle.training.arranger import net_targets

    task, batch = _adv_task(corpus, adv_weight=0.0)
    assert task.critics == {} and set(task.modules()) == {"G"}
    y = net_targets(batch["planes"].float())
    mask = loss_mask(y.shape, y.device)
    assert task._density(y, y).abs().max() < 1e-6
    doubled = y.clone()
    doubled[:, 0, :, 1:] = torch.maximum(doubled[:, 0, :, 1:], y[:, 0, :, :-1])  # every bass onset struck twice
    assert (task._density(doubled * mask, y) > 0).all()


def test_config_refuses_negative_adversarial_and_density_weights():
    cfg = get("arranger").config
    for key in ("adv_weight", "density_weight"):
        with pytest.raises(ConfigError, match=key):
            cfg(task="arranger", **{key: -1.0})


@pytest.mark.slow
def test_adversarial_run_saves_resumes_converts_and_old_configs_load(corpus, tmp_path):
    from midistyle.training.api import train

    run = tmp_path / "adv"
    kw = dict(genres=list(GENRES), preset="tiny", device="cpu", batch_size=4, progress=False, seed=0,
              overrides={"lr": 1e-2, "adv_weight": 0.1, "density_weight": 0.5})
    train("arranger", corpus, run, max_steps=3, **kw)
    result = train("arranger", corpus, run, max_steps=5, resume=True, **kw)
    assert result.step == 5
    for key in ("d_real_bass", "d_fake_bass", "d_real_comp", "d_fake_drums", "density"):
        assert np.isfinite(result.metrics[key]), key
    assert set(json.loads((run / "last" / "config.json").read_text())["modules"]) == {"G", "D_bass", "D_comp",
                                                                                        "D_drums"}
    meta = ckpt.read_meta(result.best)
    assert set(meta.modules) == {"G"} and meta.train.adv_weight == 0.1 and meta.train.density_weight == 0.5
    lead = lead_sheet(band_song(seed=6))
    out = arrange(lead, "swing", result.best)
    assert [t.name for t in out.tracks[1:]] == ["Bass", "Comp", "Drums"]
    np.testing.assert_array_equal(out.tracks[0].pitch, lead.song.tracks[0].pitch)
    # a checkpoint written before these options (no adv_weight/density_weight) loads as weight 0
    old = tmp_path / "old"
    old.mkdir()
    for f in result.best.iterdir():
        (old / f.name).write_bytes(f.read_bytes())
    raw = json.loads((old / "config.json").read_text())
    del raw["train"]["adv_weight"], raw["train"]["density_weight"]
    (old / "config.json").write_text(json.dumps(raw))
    meta_old = ckpt.read_meta(old)
    assert meta_old.train.adv_weight == 0.0 and meta_old.train.density_weight == 0.0
    assert [notes(t) for t in arrange(lead, "swing", old).tracks] == [notes(t) for t in out.tracks]
