"""The learned melody picker: stored as JSON trees, evaluated in numpy, finds a melody under a line above it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from midistyle.analysis.melody import (MODEL_PATH, NOTE_FEATURES, TreeEnsemble, export_trees, load_picker, note_features,
                                      pick_melody)
from midistyle.analysis.roles import onset_clusters, split_voices
from midistyle.errors import ModelError
from midistyle.representation.song import Track

# Eight bars of 4/4 in C: I vi IV V twice. The melody (loud, a singer's rhythm) rests at the end of
# bars 2, 4 and 6. Below it: bass and soft block chords. Above it at times: a soft countermelody in
# half notes in every other bar (a second melody line, as POP909's BRIDGE track), and a fast fill
# in two of the melody's rests.
ROOTS = (48, 45, 41, 43) * 2
CHORDS = ((55, 60, 64), (57, 60, 64), (57, 60, 65), (55, 59, 62)) * 2
MELODY = [
    (0, 1, 67), (1, 1.5, 69), (1.5, 2, 67), (2, 3, 64), (3, 4, 62),
    (4, 5, 64), (5, 6, 60),
    (8, 9, 65), (9, 9.5, 67), (9.5, 10, 69), (10, 12, 67),
    (12, 13, 62), (13, 14, 64), (14, 15, 62),
    (16, 17, 67), (17, 17.5, 69), (17.5, 18, 71), (18, 19, 72), (19, 20, 71),
    (20, 21, 69), (21, 22, 67),
    (24, 25, 65), (25, 26, 64), (26, 28, 65),
    (28, 29, 67), (29, 30, 65), (30, 31, 62), (31, 32, 60),
]
COUNTER = [(0, 2, 76), (2, 4, 72), (8, 10, 77), (10, 12, 72), (16, 18, 79), (18, 20, 76), (24, 26, 72),
           (26, 28, 69)]
FILL = [(6.0, 6.25, 84), (6.5, 6.75, 81), (7.0, 7.25, 79), (7.5, 7.75, 76),
        (22.0, 22.5, 83), (22.5, 23.0, 81), (23.0, 23.5, 79), (23.5, 24.0, 77)]


def _two_voice():
    """(melody notes, every note): melody, bass, chords, and lines that go above the melody at times."""
    melody = [(float(s), float(e), p, 100) for s, e, p in MELODY]
    accomp = [(4.0 * bar, 4.0 * bar + 4, root, 70) for bar, root in enumerate(ROOTS)]
    accomp += [(4.0 * bar + b, 4.0 * bar + b + 2, p, 55) for bar, ch in enumerate(CHORDS) for b in (0, 2) for p in ch]
    above = [(float(s), float(e), p, 60) for s, e, p in COUNTER + FILL]
    return melody, melody + accomp + above


def _f1(track: Track, notes) -> float:
    got = {(s, p) for s, p in zip(track.start.tolist(), track.pitch.tolist())}
    ref = {(s, p) for s, _, p, _ in notes}
    return 2 * len(got & ref) / max(len(got) + len(ref), 1)


def test_melody_is_found_under_an_accompaniment_line_above_it():
    melody, notes = _two_voice()
    piano = Track.from_notes("Piano", 0, False, notes)
    order, clusters = onset_clusters(piano)
    tops = piano.replace_notes(*(getattr(piano, f)[order[[a for a, _ in clusters]]]
                                 for f in ("start", "end", "pitch", "velocity")))
    # the fixture is hard: a plain skyline (highest note at each onset) is far from the melody
    assert _f1(tops, melody) < 0.7
    parts = split_voices(piano)
    assert _f1(parts["melody"], melody) >= 0.85
    assert sum(p.n_notes for p in parts.values()) == len(notes)


def test_stored_picker_is_json_with_its_training_record_not_a_pickle():
    raw = MODEL_PATH.read_bytes()
    assert raw[:1] == b"{" and not raw.startswith(b"\x80")  # pickle protocol 2+ starts with 0x80
    doc = json.loads(raw)
    songs = doc["trained_on"]["songs"]  # POP909 001-100 and half of 101-909; the other half is scored
    assert set(range(1, 101)) <= set(songs) and not any(k % 4 in (2, 3) for k in songs if k > 100)
    assert doc["features"] == list(NOTE_FEATURES)
    trees, threshold = load_picker()
    assert load_picker(str(MODEL_PATH))[0] is trees  # parsed once, however the path is spelled
    assert 0 < threshold < 1 and trees.n_trees >= 10


def test_tree_ensemble_walks_splits_and_missing_values():
    # one stump on feature 1 (<= 0.5 left: -1, else +2; NaN right) and one leaf of 0.25
    stump = {"feature": [1, 0, 0], "threshold": [0.5, 0, 0], "left": [1, 0, 0], "right": [2, 0, 0],
             "missing_left": [0, 0, 0], "leaf": [0, 1, 1], "value": [0, -1.0, 2.0]}
    leaf = {"feature": [0], "threshold": [0], "left": [0], "right": [0], "missing_left": [0], "leaf": [1],
            "value": [0.25]}
    model = TreeEnsemble([stump, leaf], baseline=0.5)
    x = np.array([[9.0, 0.5], [9.0, 0.7], [0.0, np.nan]])
    np.testing.assert_allclose(model.raw(x), [0.5 - 1 + 0.25, 0.5 + 2 + 0.25, 0.5 + 2 + 0.25])
    np.testing.assert_allclose(model.prob(x), 1 / (1 + np.exp(-model.raw(x))))


def test_exported_trees_give_scikit_learns_probabilities():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    x[rng.random(600) < 0.05, 2] = np.nan  # missing values take the learned side
    x[:, 3] = np.round(x[:, 3], 1)  # repeated values: thresholds that sit on data points
    y = (x[:, 0] + np.nan_to_num(x[:, 2]) * x[:, 1] + x[:, 3] > 0.3)
    model = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=8, random_state=0).fit(x, y)
    doc = json.loads(json.dumps(export_trees(model)))  # through JSON text, as shipped
    ours = TreeEnsemble(doc["trees"], doc["baseline"]).prob(x)
    np.testing.assert_allclose(ours, model.predict_proba(x)[:, 1], atol=1e-12)


def test_a_broken_picker_file_is_a_model_error(tmp_path):
    bad = tmp_path / "picker.json"
    bad.write_text(json.dumps({"threshold": 0.5, "features": ["pitch"], "baseline": 0, "trees": []}))
    with pytest.raises(ModelError):
        pick_melody(np.zeros(1), np.ones(1), np.array([60]), np.array([90]), [(0, 1)], path=bad)


def test_line_context_features_measure_intervals_to_neighbouring_notes():
    # three onset clusters: (72 loud, 60 soft), (74 soft, 62 loud), (67 loud)
    start = np.array([0.0, 0.0, 1.0, 1.0, 2.0])
    pitch = np.array([72, 60, 74, 62, 67])
    velocity = np.array([100, 60, 80, 90, 100])
    x = note_features(start, start + 1, pitch, velocity, [(0, 2), (2, 4), (4, 5)])
    assert x.shape == (5, len(NOTE_FEATURES))
    col = {name: x[:, NOTE_FEATURES.index(name)] for name in NOTE_FEATURES}
    np.testing.assert_allclose(col["pitch - previous cluster top"] * 12, [0, 0, 2, -10, -7])
    np.testing.assert_allclose(col["pitch - next cluster top"] * 12, [-2, -14, 7, -5, 0])
    np.testing.assert_allclose(col["nearest in previous cluster"] * 12, [24, 24, 2, 2, 5])
    np.testing.assert_allclose(col["nearest two clusters back"] * 12, [24, 24, 24, 24, 5])
    # only notes within 4 of the note's velocity count: 67 (100) continues 72 (100), not 74 or 62
    np.testing.assert_allclose(col["nearest same-loudness note before"] * 12, [24, 24, 24, 24, 5])
    np.testing.assert_allclose(col["velocity rank in cluster"], [0, 1, 1, 0, 0])
    np.testing.assert_allclose(col["velocity - previous cluster top"] * 20, [0, 0, -20, -10, 20])
