"""Track roles and the split of one piano into melody, bass and inner voices (fixtures in code)."""
from __future__ import annotations

import numpy as np

from midistyle.analysis.roles import SPLIT, split_voices, track_roles
from midistyle.representation.song import Track
from tests.midi_fixtures import song

# Four bars of 4/4 in C: I vi IV V.
ROOTS = (36, 45, 41, 43)  # bass: C2 A2 F2 G2, a whole bar each
CHORDS = ((60, 64, 67), (57, 60, 64), (57, 60, 65), (59, 62, 67))  # comp voicings, beats 1 and 3
MELODY = [  # (start, end, pitch): quarters and eighths around E5-C6, a rest at beat 3 of bar 2
    (0, 1, 76), (1, 1.5, 79), (1.5, 2, 77), (2, 3, 76), (3, 4, 72),
    (4, 5, 81), (5, 6, 79),                                  (7, 8, 76),
    (8, 9, 77), (9, 9.5, 81), (9.5, 10, 84), (10, 12, 81),
    (12, 13, 79), (13, 14, 77), (14, 15, 74), (15, 16, 79),
]


def _parts():
    melody = [(s, e, p, 90) for s, e, p in MELODY]
    bass = [(4 * i, 4 * i + 4, r, 80) for i, r in enumerate(ROOTS)]
    comp = [(4 * i + b, 4 * i + b + 2, p, 60) for i, ch in enumerate(CHORDS) for b in (0, 2) for p in ch]
    drums = [(q, q + 0.25, 36 if q % 2 == 0 else 38, 100) for q in np.arange(0, 16, 1.0)]
    return melody, bass, comp, drums


def test_band_roles_from_register_polyphony_and_evidence():
    melody, bass, comp, drums = _parts()
    band = song([("Keys", 0, False, comp), ("Flute", 73, False, melody),
                 ("Kit", 0, True, drums), ("Fingered", 33, False, bass)])
    assert track_roles(band) == ["comp", "melody", "drums", "bass"]


def test_roles_without_program_evidence_use_register_and_polyphony():
    # Every track on piano (program 0) with uninformative names: register and polyphony decide.
    melody, bass, comp, drums = _parts()
    band = song([("Track 1", 0, False, bass), ("Track 2", 0, False, comp), ("Track 3", 0, False, melody)])
    assert track_roles(band) == ["bass", "comp", "melody"]


def test_melody_is_the_highest_line_not_a_high_pad():
    melody, bass, comp, _ = _parts()
    pad = [(4 * i, 4 * i + 4, p + 24, 50) for i, ch in enumerate(CHORDS) for p in ch]  # above the melody
    band = song([("Strings", 48, False, pad), ("Sax", 65, False, melody), ("Bass", 33, False, bass)])
    assert track_roles(band) == ["comp", "melody", "bass"]


def test_a_single_piano_is_split_and_gets_back_its_parts():
    melody, bass, comp, _ = _parts()
    piano = song([("Piano", 0, False, melody + bass + comp)])
    assert track_roles(piano) == [SPLIT]
    parts = split_voices(piano.tracks[0])
    want = {"melody": melody, "bass": bass, "comp": comp}
    for role, notes in want.items():
        got = {(s, p) for s, p in zip(parts[role].start.tolist(), parts[role].pitch.tolist())}
        ref = {(float(s), p) for s, _, p, _ in notes}
        tp = len(got & ref)
        f1 = 2 * tp / (len(got) + len(ref))
        assert f1 == 1.0, (role, sorted(got ^ ref))
    assert parts["melody"].program == 0 and not parts["melody"].is_drum


def test_a_humanly_played_piano_splits_the_same():
    # each note a few ticks early or late (a human chord: the melody may come after the bass)
    melody, bass, comp, _ = _parts()
    rng = np.random.default_rng(7)
    jitter = lambda notes: [(s + d, e + d, p, v) for (s, e, p, v), d in  # noqa: E731
                            zip(notes, rng.uniform(-0.03, 0.03, len(notes)))]
    melody, bass, comp = jitter(melody), jitter(bass), jitter(comp)
    parts = split_voices(Track.from_notes("Piano", 0, False, melody + bass + comp))
    for role, notes in {"melody": melody, "bass": bass, "comp": comp}.items():
        assert sorted(parts[role].notes()) == sorted(Track.from_notes("x", 0, False, notes).notes()), role


def test_split_is_a_partition_of_the_notes():
    rng = np.random.default_rng(3)
    n = 300
    start = np.sort(rng.integers(0, 128, n) / 4.0)
    track = Track("Piano", 4, False, start, start + rng.integers(1, 8, n) / 4.0,
                  rng.integers(30, 90, n).astype(np.int16), rng.integers(40, 120, n).astype(np.int16))
    parts = split_voices(track)
    assert sum(p.n_notes for p in parts.values()) == n
    joined = sorted(note for p in parts.values() for note in p.notes())
    assert joined == sorted(track.notes())
    mel = parts["melody"]
    assert mel.n_notes > 0 and np.median(mel.pitch) > np.median(track.pitch)
    # the top line is one note at a time at each onset
    assert np.unique(mel.start).size == mel.n_notes


def test_split_without_bass_leaves_low_notes_in_comp_and_ornaments_out_of_the_melody():
    melody, bass, comp, _ = _parts()
    grace = [(3.95, 4.0, 88, 70)]  # a 1/20-quarter grace note above the line
    parts = split_voices(Track.from_notes("Piano", 0, False, melody + bass + comp + grace), bass=False)
    assert parts["bass"].n_notes == 0
    assert parts["comp"].n_notes == len(bass) + len(comp) + 1
    assert 88 not in parts["melody"].pitch.tolist()


def test_drums_only_and_empty_pitched_tracks():
    _, _, _, drums = _parts()
    assert track_roles(song([("Kit", 0, True, drums)])) == ["drums"]
    lone = song([("Solo", 0, False, [(0, 1, 72, 90), (1, 2, 74, 90), (2, 3, 76, 90)])])
    assert track_roles(lone) == ["melody"]


def test_a_quartets_cello_is_the_bass_up_to_g3_but_a_duets_low_line_needs_to_be_low():
    line = lambda pitches: [(float(i), i + 1.0, p, 80) for i, p in enumerate(pitches)]  # noqa: E731
    violin1, violin2 = line([76, 79, 77, 74] * 4), line([67, 69, 65, 67] * 4)
    viola, cello = line([60, 62, 60, 59] * 4), line([48, 53, 50, 55] * 4)  # cello median 51.5
    quartet = song([("Vn1", 40, False, violin1), ("Vn2", 40, False, violin2), ("Va", 41, False, viola),
                    ("Vc", 42, False, cello)])
    assert track_roles(quartet) == ["melody", "comp", "comp", "bass"]
    duet = song([("Vn1", 40, False, violin1), ("Vc", 42, False, cello)])
    assert track_roles(duet)[1] != "bass"
