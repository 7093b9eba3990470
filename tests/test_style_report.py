"""evaluate's style report with the arrangement judge recorded beside the style judge."""
from __future__ import annotations

import numpy as np

from midistyle.evaluate.style_report import StyleRecorder, load_recorder, markdown
from midistyle.style import StyleJudge
from midistyle.style.arrangement import ARRANGEMENT_GROUPS, ARRANGEMENT_NAMES, arrangement_features
from midistyle.style.feature_sets import feature_set
from tests.midi_fixtures import song
from tests.test_arrangement_features import piano_chords, root_bass, straight_rock, swung_ride, walking_bass

GENRES = ("jazz", "rock")


def made_up_judge(features: str) -> StyleJudge:
    """A judge that says jazz for swung ride hits and walking bass (arrangement), or at random (notes)."""
    names = feature_set(features).names
    coef = np.zeros((2, len(names)))
    if features == "arrangement":
        coef[0, ARRANGEMENT_NAMES.index("swung_hits")] = coef[0, ARRANGEMENT_NAMES.index("bass_walk")] = 3.0
    else:
        coef[:] = np.random.default_rng(0).normal(size=coef.shape)
    return StyleJudge(GENRES, names, np.zeros(len(names)), np.ones(len(names)), coef, np.array([0.0, 1.0]),
                      features=features)


def rock_song():
    return song([("Guitar", 30, False, piano_chords()), ("Bass", 33, False, root_bass()),
                 ("Drums", 0, True, straight_rock())])


def jazz_song():
    return song([("Piano", 0, False, piano_chords()), ("Bass", 32, False, walking_bass()),
                 ("Drums", 0, True, swung_ride())])


def test_arrangement_judge_is_recorded_beside_the_style_judge():
    rec = StyleRecorder(made_up_judge("notes"), "jazz", arrangement=StyleRecorder(made_up_judge("arrangement"), "jazz"))
    row = rec.add_song(rock_song(), jazz_song())
    rec.add_song(rock_song(), rock_song())
    rec.add_real(jazz_song())
    assert set(row) == {"source", "output", "arrangement"} and row["arrangement"]["output"] > 0.9
    st = rec.summary("nothing")
    at = st["arrangement_judge"]
    assert at["judge"]["features"] == "arrangement" and st["judge"]["features"] == "notes"
    assert at["target_rate"] == {"inputs": 0.0, "outputs": 0.5, "target_real": 1.0}
    assert list(at["profile"]["groups"]) == list(ARRANGEMENT_GROUPS)
    swing = at["profile"]["groups"]["drums"]["features"]["swung_hits"]
    assert swing == [0.0, 0.5, 1.0]  # sources, outputs (one jazz of two), the real jazz song
    expected = np.mean([arrangement_features(rock_song()), arrangement_features(jazz_song())], axis=0)
    assert at["profile"]["groups"]["bass"]["features"]["bass_walk"][1] == expected[ARRANGEMENT_NAMES.index("bass_walk")]
    md = "\n".join(markdown(st, "jazz", None))
    assert "## Style judge (headline)" in md and "## Arrangement judge" in md and "## Arrangement profile" in md
    assert "| swung_hits | 0.000 | 0.500 | 1.000 |" in md and "| songs judged jazz: outputs | 50% |" in md


def test_load_recorder_attaches_the_arrangement_judge_asked_for(tmp_path):
    made_up_judge("notes").save(tmp_path / "notes")
    made_up_judge("arrangement").save(tmp_path / "arr")
    rec = load_recorder(tmp_path / "notes", "jazz", tmp_path / "arr")
    assert rec.judge.features == "notes" and rec.arrangement.judge.features == "arrangement"
    assert load_recorder(tmp_path / "notes", "jazz", False).arrangement is None
    assert load_recorder(False, "jazz", tmp_path / "arr") is None
