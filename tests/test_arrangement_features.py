"""Arrangement features (drums, feel, bass, harmony colour, instruments) on songs built in code."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.representation import Song
from midistyle.style.arrangement import ARRANGEMENT_GROUPS, ARRANGEMENT_NAMES, FAMILIES, arrangement_features
from midistyle.style.frame import beat_notes, tagged_beat_notes
from tests.midi_fixtures import song

BARS = 8
RIDE, PEDAL_HH, CLOSED_HH, KICK, SNARE = 51, 44, 42, 36, 38


def feats(s: Song) -> dict[str, float]:
    return dict(zip(ARRANGEMENT_NAMES, arrangement_features(s)))


def piano_chords(chords=((60, 64, 67, 71), (62, 65, 69, 72), (55, 59, 62, 65)), bars=BARS, program=0):
    """One chord per bar, held the whole bar (4/4)."""
    return [(b * 4.0, b * 4.0 + 4.0, p, 70) for b in range(bars) for p in chords[b % len(chords)]]


def swung_ride(bars=BARS):
    """Jazz ride: ding on every beat, 'ding-a' on the triplet off-beat of 2 and 4; pedal hi-hat on 2 and 4."""
    hits = []
    for b in range(bars * 4):
        hits.append((b, b + 0.1, RIDE, 90))
        if b % 2 == 1:
            hits += [(b + 2 / 3, b + 0.75, RIDE, 70), (b, b + 0.1, PEDAL_HH, 60)]
    return hits


def straight_rock(bars=BARS):
    """Closed hi-hat on every 8th, kick on 1 and 3, snare on 2 and 4."""
    hits = [(q, q + 0.1, CLOSED_HH, 80) for q in np.arange(0, bars * 4, 0.5)]
    hits += [(b, b + 0.1, KICK if b % 2 == 0 else SNARE, 100) for b in range(bars * 4)]
    return hits


def walking_bass(bars=BARS, start=36):
    """Stepwise quarter notes (1 or 2 semitones each), up then down."""
    steps = [2, 2, 1, 2, -2, -1, -2, -2]
    notes, p = [], start
    for b in range(bars * 4):
        notes.append((b, b + 0.95, p, 90))
        p += steps[b % len(steps)]
    return notes


def root_bass(bars=BARS, roots=(36, 38, 31)):
    """The chord root, repeated on every 8th (a rock bass)."""
    return [(q, q + 0.45, roots[int(q // 4) % len(roots)], 90) for q in np.arange(0, bars * 4, 0.5)]


def test_names_and_groups():
    assert len(ARRANGEMENT_NAMES) == len(set(ARRANGEMENT_NAMES)) == sum(map(len, ARRANGEMENT_GROUPS.values()))
    assert {"swing_share", "bass_walk", "seventh", "drums", "backbeat", "swung_hits", "ride_share"} <= set(ARRANGEMENT_NAMES)
    assert arrangement_features(song([("p", 0, False, [])])).shape == (len(ARRANGEMENT_NAMES),)


def test_swung_ride_scores_swung():
    f = feats(song([("Piano", 0, False, piano_chords()), ("Drums", 0, True, swung_ride())]))
    assert f["drums"] == 1.0 and f["swung_hits"] == 1.0  # every off-beat cymbal hit on the triplet
    assert f["ride_share"] == pytest.approx(48 / 64)  # 48 ride hits, 16 pedal hi-hat
    assert f["lane_ride"] == pytest.approx(48 / 64) and f["lane_closed_hh"] == pytest.approx(16 / 64)
    assert f["drum_density"] == pytest.approx(64 / 32) and f["drum_coverage"] == 1.0
    assert f["backbeat"] == 0.0  # no snare


def test_straight_hihat_scores_straight_with_a_backbeat():
    f = feats(song([("Guitar", 30, False, piano_chords()), ("Drums", 0, True, straight_rock())]))
    assert f["drums"] == 1.0 and f["swung_hits"] == 0.0 and f["ride_share"] == 0.0
    assert f["backbeat"] == 1.0  # every snare on 2 or 4
    assert f["drum_density"] == pytest.approx((64 + 32) / 32)
    assert f["distortion_guitar"] == 1.0 and f["family_guitar"] == 1.0


def test_backbeat_against_a_loop():
    """Snare hits on beats 2 and 4 of 4/4 bars over all snare hits, counted in plain Python."""
    rng = np.random.default_rng(3)
    grid = np.arange(0, BARS * 4, 0.25)
    snare = sorted(rng.choice(grid, 40, replace=False).tolist())
    f = feats(song([("p", 0, False, piano_chords()), ("Drums", 0, True, [(q, q + 0.1, SNARE, 90) for q in snare]
                                                        + [(0.0, 0.1, KICK, 90)])]))
    expected = sum(1 for q in snare if q == int(q) and int(q) % 4 in (1, 3)) / len(snare)
    assert f["backbeat"] == pytest.approx(expected)


def test_swung_and_straight_melody_feel():
    swung = [(b + o, b + o + 0.3, 60 + (b % 5), 80) for b in range(32) for o in (0.0, 2 / 3)]
    straight = [(b + o, b + o + 0.4, 60 + (b % 5), 80) for b in range(32) for o in (0.0, 0.5)]
    f_sw, f_st = feats(song([("Sax", 65, False, swung)])), feats(song([("Sax", 65, False, straight)]))
    assert f_sw["swing_share"] == 1.0 and f_sw["triplet8"] == pytest.approx(0.5) and f_sw["straight8"] == 0.0
    assert f_sw["swing_ratio"] == pytest.approx(2 / 3)
    assert f_st["swing_share"] == 0.0 and f_st["straight8"] == pytest.approx(0.5) and f_st["swing_ratio"] == 0.5
    assert f_sw["drums"] == 0.0 and f_sw["family_reed"] == 1.0


def test_walking_bass_scores_walking_and_root_bass_repeats():
    walk = feats(song([("Piano", 0, False, piano_chords()), ("Bass", 32, False, walking_bass())]))
    assert walk["bass_track"] == 1.0 and walk["bass_walk"] == 1.0 and walk["bass_repeat"] == 0.0
    assert walk["bass_per_beat"] == pytest.approx(1.0) and walk["acoustic_bass"] == pytest.approx(32 / (32 + 32))
    root = feats(song([("Guitar", 29, False, piano_chords()), ("Bass", 33, False, root_bass())]))
    assert root["bass_walk"] < 0.1 and root["bass_repeat"] > 0.6 and root["bass_per_beat"] == pytest.approx(2.0)


def test_bass_line_of_a_lone_piano_is_its_left_hand():
    """Without a bass track, the bass is the lowest struck note under another sounding note; a
    monophonic line has none."""
    left = [(s, e, p, v) for s, e, p, v in walking_bass()]
    right = [(b, b + 1, 76, 70) for b in range(32)]
    f = feats(song([("Piano", 0, False, left + right)]))
    assert f["bass_track"] == 0.0 and f["bass_walk"] == 1.0 and f["bass_per_beat"] == pytest.approx(1.0)
    mono = feats(song([("Sax", 65, False, left)]))
    assert mono["bass_per_beat"] == 0.0 and mono["bass_walk"] == 0.0


def test_seventh_chords_and_triads():
    sevenths = feats(song([("Piano", 0, False, piano_chords())]))  # Cmaj7 Dm7 G7
    assert sevenths["seventh"] == 1.0 and sevenths["triad"] == 0.0
    triads = feats(song([("Piano", 0, False, piano_chords(((60, 64, 67), (65, 69, 72), (55, 59, 62))))]))
    assert triads["triad"] == 1.0 and triads["seventh"] == 0.0


def test_drumless_piano_song():
    f = feats(song([("Piano", 0, False, piano_chords()), ("Piano 2", 1, False, walking_bass(start=84))]))
    assert f["drums"] == 0.0 and f["drum_density"] == 0.0 and f["drum_coverage"] == 0.0
    assert f["family_piano"] == 1.0 and sum(f[f"family_{x}"] for x in FAMILIES) == pytest.approx(1.0)
    assert f["programs"] == 2.0
    # 4 chord notes always, the upper line 0.95 of each beat: 11 of 12 cells sound 5 notes
    assert f["poly_mean"] == pytest.approx((11 * 5 + 4) / 12) and f["poly_3plus"] == 1.0 and f["silence"] == 0.0


def test_meters():
    waltz = song([("p", 0, False, [(b, b + 1, 60 + b % 3, 80) for b in range(24)])], sigs=((0.0, 3, 4),))
    jig = song([("p", 0, False, [(q, q + 0.5, 62, 80) for q in np.arange(0, 24, 0.5)])], sigs=((0.0, 6, 8),))
    assert feats(waltz)["meter_triple"] == 1.0 and feats(waltz)["meter_compound"] == 0.0
    assert feats(jig)["meter_compound"] == 1.0 and feats(jig)["meter_triple"] == 0.0


def test_tagged_beat_notes_keeps_beat_notes_and_tags_tracks():
    s = song([("Piano", 0, False, piano_chords(bars=2)), ("Drums", 0, True, straight_rock(bars=2)),
              ("Bass", 33, False, root_bass(bars=2))])
    notes, owner = tagged_beat_notes(s, s.tracks)
    assert notes.pitch.size == s.n_notes() and np.bincount(owner).tolist() == [t.n_notes for t in s.tracks]
    assert set(notes.pitch[owner == 1].tolist()) == {CLOSED_HH, KICK, SNARE}
    pitched, _ = tagged_beat_notes(s, s.pitched)
    plain = beat_notes(s)
    for a, b in ((pitched.start, plain.start), (pitched.pitch, plain.pitch), (pitched.downbeats, plain.downbeats)):
        np.testing.assert_array_equal(a, b)


def test_arrangement_features_import_no_heavy_libraries():
    import subprocess
    import sys

    code = ("import sys; from midistyle.style.arrangement import arrangement_features; "
            "from midistyle.style.judge import judge_arrangement; "
            "print(sorted(m for m in ('torch', 'sklearn', 'music21', 'librosa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
