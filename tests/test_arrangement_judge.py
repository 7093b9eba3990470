"""The arrangement judge: fitted by style/fit.py's machinery on arrangement features, stored and
loaded like the style judge, and asked through judge_arrangement."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from midistyle.errors import ModelError
from midistyle.representation import to_pretty_midi
from midistyle.style import StyleJudge
from midistyle.style.arrangement import ARRANGEMENT_NAMES
from midistyle.style.feature_sets import FEATURE_SETS, feature_set
from midistyle.style.judge import SHIPPED_ARRANGEMENT, judge_arrangement
from tests.midi_fixtures import song
from tests.test_arrangement_features import piano_chords, root_bass, straight_rock, swung_ride, walking_bass


def combo(rng):
    """Swung ride, walking upright bass, 7th chords on piano, each file transposed and of its own length."""
    bars, k = int(rng.integers(6, 12)), int(rng.integers(-3, 4))
    return song([("Piano", 0, False, [(s, e, p + k, v) for s, e, p, v in piano_chords(bars=bars)]),
                 ("Bass", 32, False, walking_bass(bars, 36 + k)), ("Drums", 0, True, swung_ride(bars))])


def band(rng):
    """Straight hi-hat with a backbeat, root bass on 8ths, triads on distortion guitar."""
    bars, k = int(rng.integers(6, 12)), int(rng.integers(-3, 4))
    chords = [(s, e, p + k, v) for s, e, p, v in piano_chords(((52, 59, 64), (57, 64, 69), (55, 62, 67)), bars)]
    return song([("Guitar", 30, False, chords), ("Bass", 33, False, root_bass(bars, (28 + k, 33 + k, 31 + k))),
                 ("Drums", 0, True, straight_rock(bars))])


def write_corpus(data, n: int) -> None:
    rng = np.random.default_rng(0)
    for genre, make in (("combo", combo), ("band", band)):
        (data / genre / "set").mkdir(parents=True)
        for i in range(n):
            to_pretty_midi(make(rng)).write(str(data / genre / "set" / f"{i}.mid"))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    pytest.importorskip("sklearn")
    from midistyle.style.fit import corpus_units, extract, fit_corpus, table

    root = tmp_path_factory.mktemp("arr")
    write_corpus(root / "data", 10)
    units = corpus_units(root / "data")
    features = extract(units, root / "cache", features="arrangement", align="auto", progress=False)
    t = table(units, features, root / "data", val_fraction=0.3, width=len(ARRANGEMENT_NAMES))
    judge = fit_corpus(t, ("combo", "band"), features="arrangement", views=("",))
    return root, units, t, dataclasses.replace(judge, align="auto")


def test_a_tiny_fit_separates_two_made_up_genres(fitted):
    from midistyle.style.fit import validate

    _, units, t, judge = fitted
    assert t.piece.shape == (len(units), len(ARRANGEMENT_NAMES)) and t.seg.shape == (0, len(ARRANGEMENT_NAMES))
    assert judge.features == "arrangement" and judge.feature_names == tuple(ARRANGEMENT_NAMES)
    rng = np.random.default_rng(99)  # pieces it never saw
    assert judge_arrangement(combo(rng), judge)[0] == "combo" and judge_arrangement(band(rng), judge)[0] == "band"
    assert validate(judge, t)["balanced_accuracy"] == 1.0


def test_the_judge_round_trips_through_its_files(fitted, tmp_path):
    _, _, _, judge = fitted
    judge.save(tmp_path / "j")
    config = json.loads((tmp_path / "j" / "config.json").read_text())
    assert config["features"] == "arrangement" and config["align"] == "auto"
    again = StyleJudge.load(tmp_path / "j")
    assert (again.features, again.align, again.genres) == ("arrangement", "auto", judge.genres)
    s = band(np.random.default_rng(5))
    assert again.classify(s) == judge.classify(s)
    path = tmp_path / "band.mid"
    to_pretty_midi(s).write(str(path))
    genre, probs = judge_arrangement(path, tmp_path / "j")
    assert genre == "band" and abs(sum(probs.values()) - 1) < 1e-9
    from midistyle.classify import classify

    (verdict,) = classify([path], judge=again, cnn=False)  # `midistyle classify --judge` reads its feature set
    assert verdict.error is None and verdict.style == pytest.approx(probs)
    (tmp_path / "j" / "config.json").write_text(json.dumps({**config, "features": "notes"}))
    with pytest.raises(ModelError, match="other features"):  # arrangement weights read as a notes judge
        StyleJudge.load(tmp_path / "j")
    (tmp_path / "j" / "config.json").write_text(json.dumps({**config, "features": "timbre"}))
    with pytest.raises(ModelError, match="notes, arrangement"):
        StyleJudge.load(tmp_path / "j")


def test_feature_sets_keep_apart_in_one_cache(fitted):
    from midistyle.style.fit import extract, load_cache

    root, units, _, _ = fitted
    notes = extract(units, root / "cache", features="notes", align="auto", progress=False)
    again = extract(units, root / "cache", features="arrangement", align="auto", progress=False)
    assert len(notes[units[0].sha1][0]) == len(feature_set("notes").names)
    assert len(again[units[0].sha1][0]) == len(ARRANGEMENT_NAMES)
    assert load_cache(root / "cache", "auto").keys() == load_cache(root / "cache", "arrangement/auto",
                                                                     feature_set("arrangement").names).keys()
    with pytest.raises(ModelError, match="known: notes, arrangement"):
        feature_set("timbre")
    assert FEATURE_SETS == ("notes", "arrangement")


def test_subsample_caps_each_collection_and_split(fitted):
    from midistyle.data.corpus import split_of
    from midistyle.style.fit import subsample

    root, units, _, _ = fitted
    few = subsample(units, root / "data", per_source=3, val_per_source=1, seed=1)
    for genre in ("combo", "band"):
        mine = [u for u in few if u.genre == genre]
        assert sum(split_of(u.sha1, 0.1) == "train" for u in mine) == 3
        assert sum(split_of(u.sha1, 0.1) == "val" for u in mine) <= 1
    assert [u.sha1 for u in few] == [u.sha1 for u in subsample(units, root / "data", 3, 1, seed=1)]
    assert subsample(units, root / "data") == units
    assert {u.sha1 for u in few} <= {u.sha1 for u in subsample(units, root / "data", 5, 2, seed=1)}  # nested
    capped = subsample(units, root / "data", 3, 1, seed=1, caps={"combo/set": (2, 0)})
    assert sum(u.genre == "combo" for u in capped) == 2 and sum(u.genre == "band" for u in capped) >= 3


def test_the_shipped_arrangement_judge_loads_and_judges():
    if not (SHIPPED_ARRANGEMENT / "config.json").exists():
        pytest.skip("no arrangement judge shipped yet")
    judge = StyleJudge.load(SHIPPED_ARRANGEMENT)
    assert judge.features == "arrangement" and judge.align == "auto" and "jazz" in judge.genres
    assert judge.info["validation"]["n"] > 0
    genre, probs = judge_arrangement(combo(np.random.default_rng(1)))
    assert genre in judge.genres and abs(sum(probs.values()) - 1) < 1e-9
