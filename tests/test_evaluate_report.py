"""evaluate/compare: reports hold the expected numbers and files; baselines check the plumbing."""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch

from midistyle.config import ModelConfig, RollConfig
from midistyle.errors import InputError, OutputError
from midistyle.evaluate.metrics import CONTENT_KEYS, MUSICALITY_KEYS
from midistyle.evaluate.report import compare, evaluate, input_files
from midistyle.evaluate.scoring import TargetClassifier, fit_steps, score_song, strength_table
from midistyle.genre_classifier import GenreClassifier
from midistyle.models.checkpoint import CheckpointMeta, save_checkpoint
from midistyle.models.registry import build_model
from midistyle.representation import song_to_roll, write_midi
from midistyle.transfer import Converter
from tests.midi_fixtures import rich_song, song

CFG = RollConfig()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def scale_song(shift: int, bars: int = 8):
    """One piano line of eighth notes over ``bars`` 4/4 bars, sounding in every step."""
    notes = [(q, q + 0.5, 60 + (shift + k * 2) % 12, 80) for k, q in enumerate(np.arange(0, 4 * bars, 0.5))]
    return song([("Piano", 0, False, notes)])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")
    g, f = (build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1)) for _ in range(2))
    save_checkpoint(root / "gen", {"G": g, "F": f}, {"kind": "cyclegan", "roll": CFG, "source": ["pop"],
                                                     "target": ["jazz"], "genres": ["pop", "jazz"], "phrase_steps": 64})
    c = build_model(ModelConfig(kind="classifier", base_channels=4, n_classes=3))
    save_checkpoint(root / "clf", {"C": c}, {"kind": "classifier", "roll": CFG, "genres": ["pop", "jazz", "rock"],
                                             "phrase_steps": 64})
    return root / "gen", root / "clf"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    (root / "in").mkdir()
    (root / "real").mkdir()
    write_midi(rich_song(), root / "in" / "rich.mid")
    for i in range(2):
        write_midi(scale_song(i), root / "in" / f"scale{i}.mid")
    for i in range(3):  # real "jazz": different lengths, so the random baseline tiles and crops
        notes = [(float(q), q + 1.0, 48 + (q * 7) % 24, 90) for q in range(12 + 10 * i)]
        write_midi(song([("Sax", 65, False, notes)]), root / "real" / f"real{i}.mid")
    return root


@pytest.fixture(scope="module")
def report(models, corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "report"
    calls = []
    rep = evaluate(corpus / "in", "jazz", model=models[0], classifier=models[1], target_real=corpus / "real",
                   out_dir=out, progress=calls.append)
    assert calls == [1, 1, 1]
    return out, rep


def read_png(path):
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG_MAGIC
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4) and img.shape[0] > 100
    return img


@pytest.mark.slow
def test_report_folder_holds_markdown_json_pictures_and_outputs(report):
    out, rep = report
    assert json.loads((out / "report.json").read_text()) == rep
    assert set(rep["plots"]) == {"style_profile", "musicality", "content", "target_hist", "compare"}
    for name in rep["plots"].values():
        read_png(out / name)
    md = (out / "report.md").read_text()
    assert md.startswith("# midistyle evaluation: 3 songs converted to jazz")
    for part in ("## Summary", "## Style judge (headline)", "## Style profile", "## CNN classifier",
                 "![style_profile](style_profile.png)", "## Content kept", "## Musicality", "| pitch_class_entropy |",
                 "| onset_f1 |", "| target_rate_windows |", "![compare](compare.png)", "rich.mid"):
        assert part in md, part
    assert sorted(p.name for p in (out / "converted").iterdir()) == ["rich.jazz.mid", "scale0.jazz.mid",
                                                                     "scale1.jazz.mid"]
    assert [s["output"] for s in rep["songs"]] == ["converted/rich.jazz.mid", "converted/scale0.jazz.mid",
                                                   "converted/scale1.jazz.mid"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging or old folders left


@pytest.mark.slow
def test_identity_baseline_is_exact_and_numbers_are_plausible(report):
    _, rep = report
    ident = rep["content"]["identity"]
    assert {k: ident[k] for k in CONTENT_KEYS if k != "chroma_similarity"} == \
        {"pitch_class_overlap": 1.0, "onset_precision": 1.0, "onset_recall": 1.0, "onset_f1": 1.0,
         "note_count_ratio": 1.0}
    assert ident["chroma_similarity"] == pytest.approx(1.0)
    # rich_song has 11 pitched notes; each scale song 64 eighths.
    assert [s["notes_in"] for s in rep["songs"]] == [11, 64, 64]
    assert rep["counts"]["notes_in"] == 139
    # 8 bars = 128 steps, windows of 64 with hop 32 -> starts 0, 32, 64 (all sounding) for the scales;
    # rich_song's 21 quarters = 84 steps -> starts 0, 32 (both sounding).
    assert rep["counts"]["windows"] == 3 + 3 + 2
    st = rep["strength"]
    for group in ("model", "identity", "random_target"):
        for key in ("target_rate_windows", "target_rate_songs", "p_target"):
            assert 0.0 <= st[group][key] <= 1.0
    assert st["identity"]["gain_windows"] == 0.0 and st["identity"]["strength"] == 0.0
    assert -1.0 <= st["model"]["strength"] <= 1.0 and st["random_target"]["strength"] is None
    assert st["model"]["gain_windows"] == pytest.approx(st["model"]["p_target"] - st["identity"]["p_target"])
    for rec in rep["songs"]:
        assert 0.0 <= rec["p_target"]["source"] <= 1.0 and rec["detected"] in ("pop", "jazz", "rock")
        assert set(rec["musicality_source"]) == set(MUSICALITY_KEYS) | {"n_notes"}
    mus = rep["musicality"]
    assert set(mus) == {"sources", "outputs", "target_real"}
    assert mus["sources"]["n_notes"] == pytest.approx(139 / 3)
    assert mus["target_real"]["n_notes"] == pytest.approx((12 + 22 + 32) / 3)
    assert set(rep["toward_target"].values()) <= {"toward", "away", "same"}
    assert rep["counts"]["target_real"] == 3 and rep["failed"] == [] and rep["classifier"]["source"] == ["pop"]


@pytest.mark.slow
def test_style_judge_leads_with_its_profile(report):
    out, rep = report
    st = rep["style_judge"]
    assert st["trained_against"] == "unknown (the checkpoint records no training config)"
    assert st["songs"] == 3 and st["reference"] == "real jazz (3 songs given)"
    for key in ("inputs", "outputs", "target_real", "target_real_on_grid"):
        assert 0.0 <= st["target_rate"][key] <= 1.0 and 0.0 <= st["p_target"][key] <= 1.0
        assert sum(st["verdicts"][key].values()) == (3 if key != "outputs" else 3 - st["empty_outputs"])
    assert st["gain"] == pytest.approx(np.mean([(s["style_p_target"]["output"] or 0.0) - s["style_p_target"]["source"]
                                                for s in rep["songs"]]))
    groups = st["profile"]["groups"]
    assert list(groups) == ["sonority", "onset", "polyphony", "lines", "register", "pitch_classes", "key_profile"]
    assert all(row["moved"] in ("toward", "away", "same") for row in groups.values())
    assert len(groups["onset"]["features"]["onset_triplet"]) == 3
    for key in ("sources", "outputs"):  # one number per set: the mean of the group distances
        assert st["profile"]["distance"][key] == pytest.approx(np.mean([g["distance"][key] for g in groups.values()]))
    md = (out / "report.md").read_text()
    assert md.index("## Style judge (headline)") < md.index("## CNN classifier")
    assert "The generator trained against: unknown" in md
    read_png(out / "style_profile.png")


def test_trained_against_comes_from_the_checkpoint(models):
    from midistyle.config import TrainConfig
    from midistyle.errors import ConfigError
    from midistyle.evaluate.style_report import trained_against

    conv = Converter.load("jazz", models[0], classifier=False)
    assert trained_against(conv) == "unknown (the checkpoint records no training config)"
    meta = dataclasses.replace(conv.meta, train=TrainConfig(genre_loss="cnn"))
    assert trained_against(dataclasses.replace(conv, meta=meta)) == "cnn"
    assert TrainConfig().genre_loss == "none" and trained_against(None).startswith("unknown")
    with pytest.raises(ConfigError, match="referee"):
        TrainConfig(genre_loss="style_judge")


class DensityCNN(torch.nn.Module):
    """Stub classifier over (pop, jazz): jazz when more than 10% of a window's cells sound."""

    def forward(self, x):
        dense = (x[:, 1].mean(dim=(1, 2)) > 0.1).float()
        return torch.stack([(1 - dense) * 20, dense * 20], dim=1)


class Identity(torch.nn.Module):
    config = None

    def forward(self, x, z=None):
        return x


def test_strength_matches_a_hand_computation():
    """Sparse source (pop) -> dense output (jazz); F = identity keeps it dense, so P_pop(cycle) = 0.

    S = 1/2 [(P_pop(x) - P_pop(x^)) + (P_pop(x~) - P_pop(x^))] = 1/2 [(1 - 0) + (0 - 0)] = 1/2.
    """
    src = song_to_roll(song([("P", 0, False, [(0.0, 1.0, 60, 80), (31.5, 32.0, 62, 80)])]), CFG)  # 8 bars
    dense = song([("P", 0, False, [(0.0, 32.0, p, 80) for p in range(40, 80)])])
    out = song_to_roll(dense, CFG)
    judge = TargetClassifier(GenreClassifier(DensityCNN(), ("pop", "jazz"), CFG, 64, "<stub>"), "jazz", ("pop",))
    back = Converter(Identity(), CheckpointMeta("cyclegan"), CFG, 64)
    score = score_song(src, out, cfg=CFG, source="s", output="o", cnn=judge, back=back)
    assert len(score.probs["source"]) == 2  # windows at steps 0 and 64 hold notes, the one at 32 is silent
    table = strength_table([score], judge, has_cycle=True)
    assert table["model"]["target_rate_windows"] == 1.0 and table["identity"]["target_rate_windows"] == 0.0
    assert table["model"]["strength"] == pytest.approx(0.5, abs=1e-6)
    assert table["model"]["gain_songs"] == pytest.approx(1.0, abs=1e-6)
    assert score.detected == "pop"


@pytest.mark.slow
def test_converted_copies_score_exactly_like_identity(models, corpus, tmp_path):
    conv = tmp_path / "conv" / "deep"
    conv.mkdir(parents=True)
    for f in (corpus / "in").iterdir():
        shutil.copy(f, conv / f"{f.stem}.jazz.mid")
    rep = evaluate(corpus / "in", "jazz", classifier=models[1], converted_dir=tmp_path / "conv",
                   out_dir=tmp_path / "r")
    assert rep["model"] is None and not (tmp_path / "r" / "converted").exists()
    assert rep["content"]["model"] == rep["content"]["identity"]
    for rec in rep["songs"]:
        assert rec["content"]["model"] == rec["content"]["identity"]
        assert rec["musicality_output"] == rec["musicality_source"]
        assert rec["p_target"]["model"] == rec["p_target"]["source"]
    assert rep["strength"]["model"] == rep["strength"]["identity"]
    assert "strength" not in rep["strength"]["model"]  # no generator -> no cycle -> no S
    assert "random_target" not in rep["content"] and "target_real" not in rep["musicality"]
    assert "--target-data" in (tmp_path / "r" / "report.md").read_text()


def test_compare_aligns_a_shorter_b_on_a_bars(tmp_path):
    a, b = tmp_path / "a.mid", tmp_path / "b.mid"
    write_midi(scale_song(0, bars=8), a)
    write_midi(scale_song(5, bars=3), b)
    info = compare(a, b, tmp_path / "c.png", bars=(1, 6))
    assert info == {"bars": 8, "drawn": (1, 6), "steps_per_beat": 4, "steps_a": 128, "steps_b": 48}
    read_png(tmp_path / "c.png")
    with pytest.raises(InputError, match="select none"):
        compare(a, b, tmp_path / "d.png", bars=(9, 12))
    assert not (tmp_path / "d.png").exists()
    long = np.ones((2, 200, 84), bool)
    assert fit_steps(long, 128).shape == (2, 128, 84)
    assert fit_steps(long[:, :48], 128, tile=True).sum() == 2 * 128 * 84
    assert fit_steps(long[:, :48], 128)[:, 48:].sum() == 0


def test_cli_compare_writes_png_and_refuses_overwrite(cli, tmp_path):
    a, b = tmp_path / "a.mid", tmp_path / "b.mid"
    write_midi(rich_song(), a)
    write_midi(scale_song(2, bars=2), b)
    res = cli("compare", a, b, "-o", tmp_path / "c.png", "--bars", "0:4")
    assert res.exit_code == 0, res.output
    assert "(bars 0:4 of 7, 4 steps per quarter)" in res.output  # what was drawn, of how many
    read_png(tmp_path / "c.png")
    again = cli("compare", a, b, "-o", tmp_path / "c.png")
    assert again.exit_code == 4 and len(again.output.strip().splitlines()) == 1
    missing = cli("compare", a, tmp_path / "nope.mid", "-o", tmp_path / "x.png")
    assert missing.exit_code == 3 and "nope.mid" in missing.output and len(missing.output.strip().splitlines()) == 1
    bars = cli("compare", a, b, "-o", tmp_path / "y.png", "--bars", "20:30")
    assert bars.exit_code == 3 and "select none" in bars.output and not (tmp_path / "y.png").exists()


@pytest.mark.slow
def test_cli_evaluate_reports_failures_and_guards_its_folder(cli, models, corpus, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(corpus / "in", data)
    (data / "broken.mid").write_bytes(b"MThd garbage")
    out = tmp_path / "rep"
    args = ["--data", data, "--to", "jazz", "--model", models[0], "--classifier", models[1], "-o", out]
    res = cli("evaluate", *args, "--target-data", corpus / "real")
    assert res.exit_code == 1  # the report is written, then failures are listed
    assert "broken.mid" in res.output and (out / "report.md").is_file()
    rep = json.loads((out / "report.json").read_text())
    assert rep["counts"]["songs"] == 3 and [f["path"] for f in rep["failed"]] == [str(data / "broken.mid")]
    assert "broken.mid" in (out / "report.md").read_text()
    again = cli("evaluate", *args)
    assert again.exit_code == 4 and len(again.output.strip().splitlines()) == 1
    before = (out / "report.json").read_bytes()
    (data / "broken.mid").unlink()
    forced = cli("evaluate", *args, "--force")
    assert forced.exit_code == 0, forced.output
    assert "3 songs" in forced.output and (out / "report.json").read_bytes() != before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_evaluate_one_line_errors(cli, models, corpus, tmp_path):
    src = corpus / "in" / "rich.mid"
    assert cli("evaluate", "--to", "jazz").exit_code == 2  # neither FILES nor --data
    assert cli("evaluate", src, "--data", corpus / "in", "--to", "jazz").exit_code == 2
    assert cli("evaluate", src, "--to", "polka").exit_code == 2
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    for args, code in [((src, "--model", bad), 5), ((src, "--model", models[0], "--classifier", bad), 5),
                       ((src, "--model", models[0], "--classifier", models[0]), 5),
                       ((tmp_path / "none.mid", "--model", models[0]), 3),
                       ((src, "--converted", tmp_path / "empty", "--classifier", models[1]), 3)]:
        res = cli("evaluate", *args, "--to", "jazz", "-o", tmp_path / "r")
        assert res.exit_code == code, (args, res.output)
        assert len(res.output.strip().splitlines()) == 1 and res.output.startswith("Error:"), res.output
        assert not (tmp_path / "r").exists()
    not_report = tmp_path / "mine"
    not_report.mkdir()
    (not_report / "keep.txt").write_text("x")
    res = cli("evaluate", src, "--to", "jazz", "--model", models[0], "-o", not_report, "--force")
    assert res.exit_code == 4 and "not a midistyle report" in res.output
    assert (not_report / "keep.txt").read_text() == "x"


def test_max_files_draws_a_seeded_sample(corpus):
    all_files = input_files(corpus / "real")
    sample = input_files(corpus / "real", max_files=2, seed=3)
    assert len(sample) == 2 and set(sample) < set(all_files) and sample == sorted(sample)
    assert input_files(corpus / "real", max_files=2, seed=3) == sample
    assert input_files(corpus / "real", max_files=10) == all_files
    with pytest.raises(InputError):
        input_files([])


@pytest.mark.slow
def test_failed_run_keeps_the_previous_report(models, corpus, tmp_path):
    out = tmp_path / "rep"
    evaluate([corpus / "in" / "rich.mid"], "jazz", model=models[0], classifier=False, out_dir=out)
    before = (out / "report.json").read_bytes()
    assert json.loads(before)["strength"] is None  # no classifier: no style numbers
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd garbage")
    with pytest.raises(InputError, match="no input could be evaluated"):
        evaluate([broken], "jazz", model=models[0], classifier=False, out_dir=out, force=True)
    assert (out / "report.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mid", "rep"]
    with pytest.raises(OutputError):
        evaluate([corpus / "in" / "rich.mid"], "jazz", model=models[0], out_dir=broken)


def test_a_finer_grid_is_judged_by_the_cnn_on_coarsened_rolls(models):
    """A 12-step roll coarsened to the classifier's 4 steps gets exactly the probabilities of the song
    rolled at 4 steps, window for window (the song's notes lie on the 16th grid)."""
    s = scale_song(3, bars=10)
    grid12 = RollConfig(steps_per_beat=12)
    coarse = TargetClassifier.load(models[1], "jazz", ["pop"], CFG, 64)
    fine = TargetClassifier.load(models[1], "jazz", ["pop"], grid12, 192)
    assert (coarse.classifier.factor, fine.classifier.factor, fine.window) == (1, 3, 64)
    x4, x12 = song_to_roll(s, CFG).merged(), song_to_roll(s, grid12).merged()
    keep = coarse.sounding_windows(x4)
    assert keep.sum() >= 4 and np.array_equal(fine.sounding_windows(x12), keep)
    p4, p12 = coarse.probs(x4, keep), fine.probs(x12, keep)
    assert p4.shape == (keep.sum(), 3) and np.allclose(p12, p4, atol=1e-6)


def test_convert_detects_the_source_genre_of_a_finer_grid_model_on_the_classifiers_grid(models, tmp_path):
    torch.manual_seed(0)
    grid12 = RollConfig(steps_per_beat=12)
    g = build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1))
    save_checkpoint(tmp_path / "gen12", {"G": g}, {"kind": "gan", "roll": grid12, "source": ["pop"],
                                                   "target": ["jazz"], "genres": ["pop", "jazz"], "phrase_steps": 192})
    coarse = Converter.load("jazz", models[0], classifier=models[1])
    fine = Converter.load("jazz", tmp_path / "gen12", classifier=models[1])
    assert (coarse.classifier.factor, fine.classifier.factor) == (1, 3)
    s = scale_song(2, bars=10)
    genre4, p4 = coarse.detect(song_to_roll(s, CFG).merged())
    genre12, p12 = fine.detect(song_to_roll(s, grid12).merged())
    assert genre12 == genre4 and p12 == pytest.approx(p4, abs=1e-6)
    assert fine.classifier.on_grid(RollConfig(steps_per_beat=6)) is None  # a grid it cannot read: no detection


@pytest.mark.slow
def test_the_cnn_among_two_genres_renormalises_over_the_pair(models, corpus, tmp_path):
    from midistyle.errors import ModelError

    x = song_to_roll(scale_song(1), CFG).merged()
    full = TargetClassifier.load(models[1], "jazz", ["pop"], CFG, 64)
    pair = TargetClassifier.load(models[1], "jazz", ["pop"], CFG, 64, among=["pop", "jazz"])
    keep = full.sounding_windows(x)
    pf, pp = full.probs(x, keep), pair.probs(x, keep)
    assert np.allclose(pp.sum(axis=1), 1.0) and np.all(pp[:, 2] == 0)  # rock is out of the verdict
    assert np.allclose(pp[:, 1] / pp[:, 0], pf[:, 1] / pf[:, 0], rtol=1e-5)
    for bad in (["jazz"], ["pop", "rock"], ["jazz", "folk"]):
        with pytest.raises(ModelError, match="among"):
            TargetClassifier.load(models[1], "jazz", ["pop"], CFG, 64, among=bad)
    rep = evaluate(corpus / "in", "jazz", model=models[0], classifier=models[1], out_dir=tmp_path / "r",
                   cnn_among=("pop", "jazz"))
    assert rep["classifier"]["among"] == ["pop", "jazz"]
    st = rep["strength"]["model"]
    assert np.isfinite(st["strength"]) and -1.0 <= st["strength"] <= 1.0


@pytest.mark.slow
def test_model_on_a_grid_the_shipped_cnn_cannot_judge_is_judged_by_the_style_judge_alone(corpus, models, tmp_path):
    from midistyle.errors import ModelError

    torch.manual_seed(0)
    grid6 = RollConfig(steps_per_beat=6)  # not a multiple of the CNN's 4 steps per beat
    g, f = (build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1)) for _ in range(2))
    save_checkpoint(tmp_path / "gen6", {"G": g, "F": f}, {"kind": "cyclegan", "roll": grid6, "source": ["pop"],
                                                          "target": ["jazz"], "genres": ["pop", "jazz"],
                                                          "phrase_steps": 96})
    with pytest.warns(UserWarning, match="CNN classifier is left out"):
        rep = evaluate(corpus / "in", "jazz", model=tmp_path / "gen6", target_real=corpus / "real",
                       out_dir=tmp_path / "report")
    assert rep["strength"] is None and rep["classifier"] is None
    assert rep["style_judge"]["songs"] == 3 and set(rep["style_judge"]["target_rate"]) >= {"inputs", "outputs"}
    with pytest.raises(ModelError, match="grid"):  # a CNN asked for by name must fit
        evaluate(corpus / "in", "jazz", model=tmp_path / "gen6", classifier=models[1], out_dir=tmp_path / "r2")


@pytest.mark.slow
def test_a_12_step_cyclegan_gets_the_cnn_strength(corpus, models, tmp_path):
    torch.manual_seed(0)
    grid12 = RollConfig(steps_per_beat=12)
    g, f = (build_model(ModelConfig(kind="generator", base_channels=4, n_res_blocks=1)) for _ in range(2))
    save_checkpoint(tmp_path / "gen12", {"G": g, "F": f}, {"kind": "cyclegan", "roll": grid12, "source": ["pop"],
                                                           "target": ["jazz"], "genres": ["pop", "jazz"],
                                                           "phrase_steps": 192})
    rep = evaluate(corpus / "in", "jazz", model=tmp_path / "gen12", classifier=models[1],
                   target_real=corpus / "real", out_dir=tmp_path / "report")
    st = rep["strength"]
    assert rep["classifier"]["genres"] == ["pop", "jazz", "rock"] and rep["counts"]["windows"] > 0
    assert st["identity"]["strength"] == 0.0 and np.isfinite(st["model"]["strength"])
    assert 0.0 <= st["model"]["target_rate_windows"] <= 1.0
