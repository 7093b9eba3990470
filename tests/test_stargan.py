"""StarGAN: conditioned generator, D with a genre head, the task on the one loop, CLI train + convert by code."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.config import ModelConfig, RollConfig, derive, get_preset
from midistyle.errors import ConfigError
from midistyle.kinds.stargan import StarGANConfig
from midistyle.data.dataset import BalancedDataset
from midistyle.models.checkpoint import load_generator, read_meta
from midistyle.models.discriminator import Discriminator
from midistyle.models.generator import Generator, genre_code
from midistyle.representation import write_midi
from midistyle.training.adversarial import AuxAdversary
from midistyle.training.loop import fit
from midistyle.training.runtime import resolve_runtime
from midistyle.training.stargan import StarGANTask
from midistyle.training.task import TaskInfo, count_matching, note_counts, onset_f1, reconstruction_error
from tests.midi_fixtures import song

torch.set_num_threads(1)
TINY = get_preset("tiny")


def _roll(seed: int, chords: bool, t: int = 32, p: int = 84) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(2, t, p)
    for step in range(0, t, 4 if chords else 1):
        root = int(torch.randint(20, 50, (), generator=g))
        for d in ((0, 4, 7) if chords else (0,)):
            x[0, step, root + d] = 1
            x[1, step:step + (4 if chords else 1), root + d] = 1
    return x


def test_generator_code_is_required_and_changes_the_output():
    torch.manual_seed(0)
    G = Generator(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1, cond_dim=6)).eval()
    x = torch.stack([_roll(0, True), _roll(1, False)])
    with pytest.raises(ValueError, match="code"):
        G(x)
    jazz = genre_code(torch.tensor([0, 0]), None, 3)
    pop = genre_code(torch.tensor([2, 2]), None, 3)
    with torch.no_grad():
        a, b = G(x, code=jazz), G(x, code=pop)
    assert a.shape == x.shape and not torch.allclose(a, b)


def test_genre_code_one_hot_target_then_source_or_uniform():
    code = genre_code(torch.tensor([1, 2]), torch.tensor([0, 0]), 3, known=torch.tensor([True, False]))
    assert code.tolist()[0] == [0, 1, 0, 1, 0, 0]
    assert code[1, :3].tolist() == [0, 0, 1] and torch.allclose(code[1, 3:], torch.full((3,), 1 / 3))


def test_discriminator_genre_head_and_plain_discriminator_keys_unchanged():
    D = Discriminator(ModelConfig(kind="discriminator", base_channels=4, aux_classes=5))
    score, logits = D.heads(torch.zeros(3, 2, 64, 84))
    assert score.shape == (3, 1, 16, 21) and logits.shape == (3, 5)
    plain = Discriminator(ModelConfig(kind="discriminator", base_channels=4))
    assert all(k.startswith("net.") for k in plain.state_dict())  # old checkpoints still load
    with pytest.raises(ValueError, match="genre head"):
        plain.heads(torch.zeros(1, 2, 64, 84))


def test_input_skip_generator_starts_as_a_copy_of_its_input_and_can_still_edit_it():
    torch.manual_seed(0)
    G = Generator(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1, cond_dim=4, input_skip=3.0))
    x = _roll(1, True, t=48)[None]
    code = genre_code(torch.tensor([1]), torch.tensor([0]), 2)
    out = G(x, code=code)
    assert out.shape == x.shape and torch.equal((out > 0.5).float(), x)  # untrained: the input, thresholded
    loss = out[..., 60].sum()  # gradient reaches the weights: it can learn to change cells
    loss.backward()
    assert G.head[0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="input_skip"):
        ModelConfig(kind="generator", input_skip=-1.0)


def test_edit_margin_keeps_every_note_within_the_inputs_pitch_span():
    torch.manual_seed(0)
    G = Generator(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1, cond_dim=4, input_skip=3.0,
                              edit_margin=2))
    with torch.no_grad():
        G.head[0].bias.fill_(10.0)  # a generator that wants every cell on
    x = torch.zeros(2, 2, 48, 84)
    x[0, :, 0:12, 40] = 1.0
    x[0, :, 12:24, 50] = 1.0
    code = genre_code(torch.tensor([1, 1]), torch.tensor([0, 0]), 2)
    on = (G(x, code=code) > 0.5).amax(dim=(1, 2))  # [B, P]: rows with any note
    assert on[0].nonzero().flatten().tolist() == list(range(38, 53))  # span 40-50, +-2
    assert not on[1].any()  # a silent input stays silent
    with pytest.raises(ValueError, match="edit_margin"):
        ModelConfig(kind="generator", edit_margin=-2)


@pytest.mark.slow
def test_classifier_genre_head_learns_genres_of_its_own_and_leaves_the_trunk_alone():
    D = Discriminator(ModelConfig(kind="discriminator", base_channels=4, aux_classes=2, aux_head="classifier"))
    score, logits = D.heads(torch.zeros(3, 2, 64, 84))
    assert score.shape == (3, 1, 16, 21) and logits.shape == (3, 2)
    x = torch.cat([_Labelled(8, 0)[k]["roll"][None] for k in range(8)])
    y = torch.tensor([_Labelled(8, 0)[k]["label"] for k in range(8)])
    opt = torch.optim.Adam(D.cls.parameters(), lr=1e-2)
    trunk = [p.detach().clone() for p in D.net.parameters()]
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(D.heads(x)[1], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (D.heads(x)[1].argmax(1) == y).all()
    assert all(torch.equal(a, b) for a, b in zip(trunk, D.net.parameters()))
    with pytest.raises(ValueError, match="aux head"):
        ModelConfig(kind="discriminator", aux_head="deep")


def test_bce_reconstruction_charges_a_missed_note_far_more_than_mse():
    x = torch.stack([_roll(3, True)])
    soft = x * 0.9 + 0.05  # every cell on the right side of 0.5
    missed = soft.clone()
    missed[x > 0.5] = 0.05  # every note gone
    for kind in ("l1", "mse", "bce"):
        assert float(reconstruction_error(soft, x, kind)) < float(reconstruction_error(missed, x, kind))
    assert float(reconstruction_error(x, x, "bce")) < 1e-5
    share = float(x.mean())  # a sparse roll: mse of silence is about the note share, bce several times it
    assert float(reconstruction_error(missed, x, "bce")) > 4 * float(reconstruction_error(missed, x, "mse")) > 0.5 * share


def test_binary_d_judges_the_notes_convert_plays_and_still_trains_g():
    cfg = derive(StarGANConfig, TINY.train, d_binary=True, lambda_cls=1.0)
    D = Discriminator(ModelConfig(kind="discriminator", base_channels=4, aux_classes=2, aux_head="classifier"))
    binary = AuxAdversary(D, cfg, resolve_runtime(cfg, "cpu"))
    soft_view = AuxAdversary(D, dataclasses.replace(cfg, d_binary=False), resolve_runtime(cfg, "cpu"))
    x = torch.stack([_roll(3, True), _roll(4, False)])
    soft = (x * 0.4 + 0.3).requires_grad_()  # every note at 0.7, every silence at 0.3: the same notes as x
    assert torch.equal(binary.item_losses(soft, 1.0), binary.item_losses(x, 1.0))
    assert torch.equal(binary.logits(soft), binary.logits(x))
    assert not torch.allclose(soft_view.item_losses(soft, 1.0), soft_view.item_losses(x, 1.0))
    adv, cls = binary.generator_losses(soft, torch.tensor([0, 1]))
    (adv + cls).backward()
    assert soft.grad is not None and float(soft.grad.abs().sum()) > 0  # the straight-through gradient reaches G
    assert all(p.grad is None for p in D.parameters())


def test_count_matching_cannot_be_won_by_silence_and_has_a_gradient():
    x = torch.stack([_roll(3, True)])
    assert float(count_matching(x, x, 16)) == 0.0
    assert float(count_matching(torch.zeros_like(x), x, 16)) > 1.0
    soft = torch.full_like(x, 0.4, requires_grad=True)  # everything below threshold: counts as silence
    loss = count_matching(soft, x, 16).sum()
    loss.backward()
    assert float(loss.detach()) > 1.0 and soft.grad.abs().sum() > 0
    assert float(onset_f1(x, x)) == pytest.approx(1.0) and float(onset_f1(torch.zeros_like(x), x)) == 0.0


def test_note_counts_count_the_notes_the_decoder_will_play():
    from midistyle.representation import roll_to_notes
    from midistyle.training.task import note_counts

    rng = np.random.default_rng(3)
    x = torch.from_numpy((rng.random((1, 2, 48, 12)) > 0.7).astype(np.float32))
    starts = note_counts(x, 48)[0, 2, 0]
    assert float(starts) == len(roll_to_notes(x[0, 0].numpy() > 0.5, x[0, 1].numpy() > 0.5)[0])


def test_count_matching_charges_chopping_a_held_note():
    held = torch.zeros(1, 2, 16, 4)
    held[0, 0, 0, 1] = 1
    held[0, 1, :, 1] = 1  # one note held through the bar
    chopped = held.clone()
    chopped[0, 1, 4::4, 1] = 0  # three holes: the decoder plays four notes, 13 of 16 cells still sound
    assert float(count_matching(held, held, 16)) == 0.0
    assert float(count_matching(chopped, held, 16)) > 0.25  # (ln 5 - ln 2)^2 / 3 from the starts alone


def test_count_matching_scaled_wants_that_many_times_the_sources_notes():
    one = torch.zeros(1, 2, 16, 8)
    one[0, :, 0, 1] = 1
    one[0, 1, :, 1] = 1  # one held note
    two = one.clone()
    two[0, :, :, 5] = one[0, :, :, 1]  # the same note twice: twice as many of every count
    assert float(count_matching(two, one, 16, torch.full((1, 3), 2.0))) == pytest.approx(0.0, abs=1e-6)
    assert float(count_matching(two, one, 16)) > 0.1
    assert float(count_matching(one, one, 16, torch.full((1, 3), 2.0))) > 0.1


def test_count_matching_per_octave_charges_sound_moved_between_registers():
    src = torch.zeros(1, 2, 16, 40)
    src[0, 0, 0, [5, 30]] = 1
    src[0, 1, :, 5] = 1  # a held bass note
    src[0, 1, 0, 30] = 1  # a short note two octaves up
    out = torch.zeros_like(src)
    out[0, 0, 0, [5, 30]] = 1
    out[0, 1, 0, 5] = 1  # the bass struck as a blip ...
    out[0, 1, :, 30] = 1  # ... and the sound held above instead: the bar's totals are unchanged
    assert torch.equal(note_counts(out, 16), note_counts(src, 16))
    assert note_counts(src, 16, band=12).shape == (1, 3, 1, 4)  # 40 pitches: 4 bands, the last padded
    assert float(count_matching(out, src, 16)) == 0.0
    assert float(count_matching(out, src, 16, band=12)) > 0.2
    assert float(count_matching(src, src, 16, band=12)) == 0.0


def test_genre_counts_scale_toward_the_target_genres_density_within_limits():
    from midistyle.training.stargan import DENSITY_RATIO_LIMIT, GenreCounts

    dense, sparse = _roll(1, True), _roll(2, False)  # chords on every 4th step vs one note a step
    counts = GenreCounts(3, 16)
    assert torch.equal(counts.ratio(torch.tensor([1]), torch.tensor([0])), torch.ones(1, 3))  # nothing seen yet
    counts.update(torch.stack([dense, dense, sparse]), torch.tensor([0, 0, 1]))
    on = note_counts(torch.stack([dense, sparse]), 16).mean(2)  # [2, 3]
    r = counts.ratio(torch.tensor([1, 0, 2]), torch.tensor([0, 1, 0]))
    want = ((on[1] + 1) / (on[0] + 1)).clamp(1 / DENSITY_RATIO_LIMIT, DENSITY_RATIO_LIMIT)
    assert torch.allclose(r[0], want) and torch.allclose(r[1], 1 / want)
    assert torch.equal(r[2], torch.ones(3))  # genre 2 never seen: the source's own count
    assert float(r.max()) <= DENSITY_RATIO_LIMIT and float(r.min()) >= 1 / DENSITY_RATIO_LIMIT
    counts.update(torch.stack([torch.zeros_like(dense)]), torch.tensor([1]))  # a running mean, not the last batch
    assert 0 < float(counts.mean[1, 0]) < float(on[1, 0])


class _Labelled(torch.utils.data.Dataset):
    def __init__(self, n: int, seed: int):
        self.items = [(_roll(seed + i, i % 2 == 0, t=64), i % 2) for i in range(n)]
        self.labels = np.array([label for _, label in self.items])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        roll, label = self.items[i]
        return {"roll": roll, "label": torch.tensor(label)}


@pytest.mark.slow
def test_task_trains_on_the_one_loop_and_exports_a_stargan_checkpoint(tmp_path):
    cfg = derive(StarGANConfig, TINY.train, task="stargan", max_steps=6, batch_size=4, log_every=1, d_input_noise=0.3,
                 genre_loss="aux")
    info = TaskInfo(roll=RollConfig(), genres=("blocks", "lines"), phrase_steps=64)
    torch.manual_seed(0)
    task = StarGANTask(TINY, cfg, resolve_runtime(cfg, "cpu"), info)
    train = _Labelled(12, 0)
    result = fit(task, BalancedDataset(train, train.labels), cfg, tmp_path / "run", val_data=_Labelled(6, 100),
                 progress=False)
    assert result.step == 6
    for key in ("cycle", "identity", "density", "onset_f1", "d_acc_real", "d_says_target"):
        assert key in result.metrics
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {"g_cls", "d_cls", "density", "identity"} <= set(records[0])
    G, meta = load_generator(result.best)
    assert meta.kind == "stargan" and meta.genres == ("blocks", "lines")
    assert G.config.cond_dim == 4 and meta.train.lambda_density == cfg.lambda_density
    assert meta.train.genre_loss == "aux"  # evaluate reports what G trained against
    # resume continues the run from last/
    more = dataclasses.replace(cfg, max_steps=8)
    torch.manual_seed(0)
    task2 = StarGANTask(TINY, more, resolve_runtime(more, "cpu"), info)
    again = fit(task2, BalancedDataset(train, train.labels), more, tmp_path / "run", resume=True, progress=False)
    assert again.step == 8


@pytest.mark.slow
def test_genre_density_target_trains_keeps_snapshots_and_resumes_its_genre_means(tmp_path):
    cfg = derive(StarGANConfig, TINY.train, task="stargan", max_steps=4, batch_size=4, log_every=1, d_input_noise=0.3,
                 genre_loss="aux", density_target="genre", keep_every=2)
    info = TaskInfo(roll=RollConfig(), genres=("blocks", "lines"), phrase_steps=64)
    train = _Labelled(12, 0)
    torch.manual_seed(0)
    task = StarGANTask(TINY, cfg, resolve_runtime(cfg, "cpu"), info)
    result = fit(task, BalancedDataset(train, train.labels), cfg, tmp_path / "run", progress=False)
    assert result.step == 4 and bool(task.counts.seen.all())
    blocks, lines = task.counts.mean  # chords every 4th step vs one note a step
    assert float(blocks[0]) < float(lines[0])  # fewer onsets per bar in the chord genre
    for step in (2, 4):  # snapshots to pick among, loadable like best/
        G, meta = load_generator(tmp_path / "run" / f"step{step}")
        assert meta.step == step and meta.train.density_target == "genre"
    torch.manual_seed(0)
    task2 = StarGANTask(TINY, cfg, resolve_runtime(cfg, "cpu"), info)
    fit(task2, BalancedDataset(train, train.labels), dataclasses.replace(cfg, max_steps=4), tmp_path / "run",
        resume=True, progress=False)  # nothing left to train: only the restore
    assert torch.equal(task2.counts.mean, task.counts.mean) and torch.equal(task2.counts.seen, task.counts.seen)
    from midistyle.errors import ConfigError
    for bad in ({"density_target": "target"}, {"keep_every": 0}, {"density_band": -1}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            dataclasses.replace(cfg, **bad)


def test_balanced_dataset_alternates_labels():
    data = _Labelled(10, 0)
    data.labels[:] = [0] * 8 + [1] * 2
    data.items = [(roll, int(label)) for (roll, _), label in zip(data.items, data.labels)]
    bal = BalancedDataset(data, data.labels, seed=1)
    assert len(bal) == 10 and [int(bal[i]["label"]) for i in range(6)] == [0, 1, 0, 1, 0, 1]


def _blocks(seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [(i * 2.0, i * 2.0 + 2.0, int(rng.integers(48, 60)) + d, 80) for i in range(32) for d in (0, 4, 7)]


def _lines(seed: int) -> list:
    pitch = 66 + np.cumsum(np.random.default_rng(seed).integers(-2, 3, size=256)) % 24
    return [(i * 0.25, i * 0.25 + 0.25, int(p), 90) for i, p in enumerate(pitch)]


@pytest.mark.slow
def test_cli_trains_tiny_stargan_and_converts_either_way(tmp_path):
    run = lambda *a: CliRunner().invoke(main, [str(x) for x in a])  # noqa: E731
    for genre, make in (("blocks", _blocks), ("lines", _lines)):
        (tmp_path / genre).mkdir()
        for k in range(6):
            write_midi(song([("Keys", 0, False, make(k))]), tmp_path / genre / f"{genre}{k}.mid")
    (tmp_path / "sources.json").write_text(json.dumps({"blocks": ["blocks"], "lines": ["lines"]}))
    res = run("prepare", "--config", tmp_path / "sources.json", "-o", tmp_path / "prep", "--workers", 1)
    assert res.exit_code == 0, res.output
    res = run("train", "stargan", "--data", tmp_path / "prep", "--preset", "tiny", "--max-steps", 4,
              "--identity-weight", 2, "--cls-weight", 3, "--cycle-weight", 4, "--phrase-steps", 8, "--aux-head", "classifier",
              "--input-skip", 3, "--edit-margin", 5, "--density-target", "genre", "--density-band", 12,
              "--keep-every", 2, "--reduce-input", "--rec-loss", "bce", "--binary-d", "-o", tmp_path / "run")
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "run" / "run.json").read_text())["train"]
    gen, meta = load_generator(tmp_path / "run" / "best")
    assert saved["d_binary"] is True
    assert saved["reduce_input"] is True and saved["cycle_loss"] == "bce" and gen.config.reduce_beat == meta.roll.steps_per_beat > 0
    assert (saved["lambda_identity"], saved["lambda_cls"], saved["lambda_cycle"], saved["phrase_steps"],
            saved["aux_head"], saved["input_skip"], saved["edit_margin"], saved["density_target"],
            saved["density_band"], saved["keep_every"]) == (2, 3, 4, 8, "classifier", 3, 5, "genre", 12, 2)
    assert (tmp_path / "run" / "step2" / "config.json").is_file() and (tmp_path / "run" / "step4").is_dir()
    # the shipped recipe, as examples/train_stargan.sh runs it, is accepted and saved; flags and --set override it
    recipe = Path(__file__).parents[1] / "examples" / "recipes" / "to_jazz.toml"
    res = run("train", "stargan", "--recipe", recipe, "--data", tmp_path / "prep", "--preset", "tiny", "--max-steps", 2,
              "--set", "focus=", "--set", "keep_every=none", "--phrase-steps", 8, "-o", tmp_path / "recipe")
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "recipe" / "run.json").read_text())["train"]
    assert saved["density_band"] == 12 and saved["aux_head"] == "classifier" and saved["input_skip"] == 3
    assert saved["d_binary"] is True and saved["preset"] == "tiny" and saved["max_steps"] == 2
    assert saved["focus"] == [] and saved["keep_every"] is None and saved["phrase_steps"] == 8
    best = tmp_path / "run" / "best"
    assert read_meta(best).kind == "stargan"

    src = tmp_path / "in.mid"
    write_midi(song([("Keys", 0, False, _blocks(99)), ("Kit", 0, True, [(0, 0.5, 36, 100)])]), src)
    outs = {}
    for to, extra in (("lines", ("--from", "blocks")), ("blocks", ()), ("lines", ())):
        out = tmp_path / f"out-{to}-{len(extra)}.mid"
        res = run("convert", src, "--to", to, "--model", best, "-o", out, "--threshold", 0.3, *extra)
        assert res.exit_code == 0, res.output
        pm = pretty_midi.PrettyMIDI(str(out))
        assert [i.is_drum for i in pm.instruments] == [False, True]
        outs[(to, len(extra))] = out
    res = run("convert", src, "--to", "jazz", "--model", best, "-o", tmp_path / "x.mid")
    assert res.exit_code != 0 and "blocks, lines" in res.output and "Traceback" not in res.output
    # --focus: the checkpoint converts into its focus genre only, and a focused run resumes
    res = run("train", "stargan", "--data", tmp_path / "prep", "--preset", "tiny", "--max-steps", 2, "--focus", "lines",
              "--phrase-steps", 8, "--no-compile", "-o", tmp_path / "focus")
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "focus" / "run.json").read_text())["train"]
    assert saved["focus"] == ["lines"] and saved["compile"] is False
    res = run("train", "stargan", "--data", tmp_path / "prep", "--max-steps", 3, "--focus", "lines", "--phrase-steps", 8,
              "--no-compile", "--resume", "-o", tmp_path / "focus")
    assert res.exit_code == 0, res.output
    focused = tmp_path / "focus" / "best"
    assert read_meta(focused).target == ("lines",) and read_meta(focused).step == 3
    assert run("convert", src, "--to", "lines", "--model", focused, "-o", tmp_path / "f.mid").exit_code == 0
    res = run("convert", src, "--to", "blocks", "--model", focused, "-o", tmp_path / "g.mid")
    assert res.exit_code != 0 and "trained to convert into lines, not blocks" in res.output
    assert not (tmp_path / "g.mid").exists()
    res = run("train", "stargan", "--data", tmp_path / "prep", "--preset", "tiny", "--max-steps", 2, "--focus", "jazz",
              "-o", tmp_path / "bad")
    assert res.exit_code != 0 and "focus genre(s) ['jazz']" in res.output and "Traceback" not in res.output


def test_focus_draws_targets_only_among_the_focus_genres():
    from midistyle.training.stargan import target_odds

    genres = ("jazz", "classical", "pop", "folk", "rock")
    assert torch.equal(target_odds(genres), 1 - torch.eye(5))
    odds = target_odds(genres, ("jazz",))
    # every other genre goes to jazz only; jazz phrases, with no other focus genre, to any other
    assert torch.equal(odds[1:], torch.tensor([[1.0, 0, 0, 0, 0]] * 4))
    assert torch.equal(odds[0], torch.tensor([0.0, 1, 1, 1, 1]))
    two = target_odds(genres, ("jazz", "pop"))
    assert two[0].tolist() == [0, 0, 1, 0, 0] and two[2].tolist() == [1, 0, 0, 0, 0]
    assert two[3].tolist() == [1, 0, 1, 0, 0]
    with pytest.raises(ConfigError, match="blues"):
        target_odds(genres, ("blues",))


def test_converter_codes_select_the_target(tmp_path):
    from midistyle.models.checkpoint import save_checkpoint
    from midistyle.transfer import Converter

    torch.manual_seed(0)
    G = Generator(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1, cond_dim=6))
    with torch.no_grad():  # make the code matter visibly
        for block in G.res:
            for film in block.film:
                film.proj.weight.normal_(0, 1.0)
    save_checkpoint(tmp_path / "m", {"G": G}, {"kind": "stargan", "roll": RollConfig(), "genres": ["a", "b", "c"],
                                               "phrase_steps": 32})
    x = _roll(5, True).numpy()
    ys = {}
    for to, src in (("a", None), ("b", None), ("b", "a")):
        conv = Converter.load(to, tmp_path / "m", classifier=False)
        assert conv.meta.target == (to,) and to not in conv.meta.source
        ys[(to, src)] = conv.transform(x, from_genre=src)
        assert ys[(to, src)].shape == x.shape
    assert not np.allclose(ys[("a", None)], ys[("b", None)])
    assert not np.allclose(ys[("b", None)], ys[("b", "a")])
