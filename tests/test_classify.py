"""``midistyle classify``: the JSON-lines contract, the table, folder walking, failures; fitting a judge."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.representation import to_pretty_midi
from midistyle.representation.song import GENRES
from midistyle.style import FEATURE_NAMES, StyleJudge
from tests.fuzz_corpus import ABC_BOOK, KERN, MUSICXML
from tests.midi_fixtures import ii_v_i, swung_line, waltz


def run(*args):
    result = CliRunner().invoke(main, ["classify", *map(str, args)])
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.fixture()
def folder(tmp_path):
    d = tmp_path / "music"
    (d / "sub").mkdir(parents=True)
    to_pretty_midi(ii_v_i()).write(str(d / "chords.mid"))
    to_pretty_midi(waltz()).write(str(d / "sub" / "waltz.mid"))
    (d / "book.abc").write_bytes(ABC_BOOK)
    (d / "bach.krn").write_bytes(KERN)
    (d / "flute.musicxml").write_bytes(MUSICXML)
    (d / "notes.txt").write_text("not music")
    return d


def check_probs(probs: dict) -> None:
    assert set(probs) == set(GENRES)
    assert all(0.0 <= p <= 1.0 for p in probs.values())
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)


def test_shipped_judge_loads_and_matches_the_features():
    judge = StyleJudge.load()
    assert judge.feature_names == tuple(FEATURE_NAMES) and set(judge.genres) == set(GENRES)
    assert judge.info["validation"]["balanced_accuracy"] > 0.5  # the number is measured in benchmarks/
    from midistyle.evaluate.style_report import StyleRecorder

    ref, label = StyleRecorder(judge, "jazz").reference()  # evaluate without --target-data
    assert label == "jazz in the judge's training corpus" and ref.shape == (len(FEATURE_NAMES),)


def test_json_lines_for_every_format_in_a_folder(folder):
    result, rows = run("--json", folder)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(rows) == 6  # one line per piece, nothing else on stdout
    found = {(r["file"].replace(str(folder) + "/", ""), r["tune"]) for r in rows}
    assert found == {("bach.krn", None), ("book.abc", 1), ("book.abc", 2), ("chords.mid", None),
                     ("flute.musicxml", None), ("sub/waltz.mid", None)}
    for r in rows:
        assert set(r) == {"file", "tune", "style", "cnn"}
        check_probs(r["style"])
        check_probs(r["cnn"])


def test_file_as_given_book_tune_and_failures(folder, tmp_path):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd garbage")
    result, rows = run("--json", folder / "chords.mid", f"{folder / 'book.abc'}#2", bad)
    assert result.exit_code == 1
    assert [r["file"] for r in rows] == [str(folder / "chords.mid"), str(folder / "book.abc"), str(bad)]
    assert rows[1]["tune"] == 2
    assert set(rows[2]) == {"file", "error"}
    assert "1 failed" in result.stderr
    result, rows = run("--json", folder / "chords.mid", tmp_path / "missing.mid")  # a missing path: bad input,
    assert result.exit_code == 3 and rows == [] and "no such file" in result.stderr  # rc 3 as in every command


def test_readable_table(folder):
    result, _ = run(folder / "chords.mid", folder / "sub")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("piece") and "style judge" in lines[0] and "cnn" in lines[0]
    assert len(lines) == 4 and "chords.mid" in lines[2] and "waltz.mid" in lines[3]


def test_empty_folder_is_bad_input(tmp_path):
    result, _ = run(tmp_path)
    assert result.exit_code == 3  # as in convert, prepare and evaluate (issue 29 item 10)


def two_genres(data, n: int) -> None:
    """``n`` files each of two made-up genres under ``data/<genre>/set/``: a different melody each
    time, same style."""
    rng = np.random.default_rng(0)
    for genre, make in (("swing", swung_line), ("waltz", waltz)):
        for i in range(n):
            s = make()
            for t in s.tracks:
                t.pitch[:] = np.clip(t.pitch + rng.integers(-5, 6, t.pitch.size), 30, 100)
            (data / genre / "set").mkdir(parents=True, exist_ok=True)
            to_pretty_midi(s).write(str(data / genre / "set" / f"{i}.mid"))


@pytest.mark.slow
def test_fit_separates_two_made_up_genres(tmp_path):
    pytest.importorskip("sklearn")
    from midistyle.style.fit import extract, fit_corpus, corpus_units, table

    two_genres(tmp_path / "data", 12)
    units = corpus_units(tmp_path / "data")
    features = extract(units, tmp_path / "cache", workers=1, progress=False)
    assert len(list((tmp_path / "cache").glob("chunk-*.npz"))) == 1
    t = table(units, features, tmp_path / "data", val_fraction=0.3)
    assert set(t.source) == {"set"} and set(t.split) == {"train", "val"} and not t.augmented.any()
    features = extract(units, tmp_path / "cache", workers=1, augment=True, progress=False)  # adds the copies
    t = table(units, features, tmp_path / "data", val_fraction=0.3)
    assert t.augmented.sum() == (t.split[~t.augmented] == "train").sum()  # one copy per training piece
    assert not (t.augmented & (t.split == "val")).any()
    for how in ("piece", "segments"):
        judge = fit_corpus(t, ("swing", "waltz"), how=how)
        assert judge.rows == how
        assert judge.classify(swung_line())["swing"] > 0.5 and judge.classify(waltz())["waltz"] > 0.5
    judge.save(tmp_path / "judge")
    again = StyleJudge.load(tmp_path / "judge")
    assert again.rows == "segments" and again.classify(waltz()) == judge.classify(waltz())
    assert extract(units, tmp_path / "cache", workers=1, augment=True, progress=False).keys() == features.keys()


@pytest.mark.slow
def test_fit_adds_every_piece_through_converts_grid(tmp_path):
    """With ``grid``, each piece also gets a copy through convert's alignment and grid: a training
    row for training pieces, a row scored apart for validation pieces; its features are those of
    :func:`on_grid`'s song."""
    pytest.importorskip("sklearn")
    from midistyle.config import RollConfig
    from midistyle.representation import read
    from midistyle.representation.beats import on_grid
    from midistyle.style import piece_features
    from midistyle.style.fit import extract, fit_corpus, corpus_units, grid_key, table, validate

    two_genres(tmp_path / "data", 6)
    units = corpus_units(tmp_path / "data")
    features = extract(units, tmp_path / "cache", workers=1, augment=True, grid=4, progress=False)
    t = table(units, features, tmp_path / "data", val_fraction=0.3, grid=4)
    written, grid, perf = (t.view == ""), (t.view == "grid"), (t.view == "performance-like")
    assert written.sum() == grid.sum() == len(units) and perf.sum() == (t.split[written] == "train").sum()
    assert set(t.split[grid]) == {"train", "val"}
    assert (t.split[grid] == "val").sum() == (t.split[written] == "val").sum()
    u = next(u for u in units if u.genre == "swing")
    song = on_grid(read(u.path), RollConfig(steps_per_beat=4))  # 16ths: the swung 8ths move
    np.testing.assert_allclose(features[u.sha1 + grid_key(4)][0], piece_features(song))
    assert not np.allclose(features[u.sha1 + grid_key(4)][0], features[u.sha1][0])
    judge = fit_corpus(t, ("swing", "waltz"), how="segments")
    written_only = fit_corpus(t, ("swing", "waltz"), how="segments", views=("",))
    assert not np.allclose(judge.coef, written_only.coef)  # the copies are fitted on
    scored = validate(judge, t, "segments", view="grid")
    assert scored["n"] == (t.split[grid] == "val").sum() and scored["balanced_accuracy"] == 1.0


def test_json_has_no_nan():
    from midistyle.classify import Verdict

    rec = Verdict("a.mid", None, {"jazz": 1.0}, {"jazz": float("nan")}).record()
    assert json.loads(json.dumps(rec, allow_nan=False)) == {"file": "a.mid", "tune": None, "style": {"jazz": 1.0},
                                                            "cnn": {"jazz": None}}
