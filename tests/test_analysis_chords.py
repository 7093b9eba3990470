"""Chord and key recognition from notes (fixtures built in code)."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.analysis.chords import QUALITIES, estimate_key, recognise_chords, segment_chroma
from midistyle.analysis.leadsheet import Chord
from tests.midi_fixtures import song

# C - Am - F - G7, a bar each: bass root an octave or two down, the chord in the middle.
PROGRESSION = [(0, "maj", (48, 60, 64, 67)), (9, "min", (45, 60, 64, 69)),
               (5, "maj", (41, 60, 65, 69)), (7, "7", (43, 59, 62, 65, 67))]


def _block_chords(progression, shift=0, beats=4.0):
    notes = []
    for bar, (_, _, pitches) in enumerate(progression):
        for p in pitches:
            notes.append((bar * beats, bar * beats + beats, p + shift, 80))
    return notes


def _labels(chords):
    return [(c.start, c.end, c.root, c.quality) for c in chords]


def test_c_am_f_g7_block_chords_are_recognised():
    s = song([("Piano", 0, False, _block_chords(PROGRESSION))])
    want = [(4.0 * i, 4.0 * i + 4, root, q) for i, (root, q, _) in enumerate(PROGRESSION)]
    assert _labels(recognise_chords(s)) == want
    assert [c.label for c in recognise_chords(s)] == ["C:maj", "A:min", "F:maj", "G:7"]


@pytest.mark.parametrize("shift", range(-5, 7))
def test_transposed_progressions_move_their_roots(shift):
    s = song([("Piano", 0, False, _block_chords(PROGRESSION, shift))])
    got = [(c.root, c.quality) for c in recognise_chords(s)]
    assert got == [((r + shift) % 12, q) for r, q, _ in PROGRESSION]


def test_broken_chords_and_a_melody_on_top_keep_the_chords():
    # Arpeggiated eighths (one note at a time) under a melody with passing notes.
    notes = []
    for bar, (_, _, pitches) in enumerate(PROGRESSION):
        for i in range(8):
            q = bar * 4 + i / 2
            notes.append((q, q + 0.5, pitches[i % len(pitches)], 70))
    melody = [(0, 1, 76), (1, 1.5, 77), (1.5, 2, 79), (2, 4, 72), (4, 5, 76), (5, 6, 72), (6, 7, 71),
              (7, 8, 69), (8, 9, 77), (9, 10, 76), (10, 12, 72), (12, 13, 74), (13, 14, 77), (14, 15, 79),
              (15, 16, 71)]  # chord tones with passing notes
    melody = [(a, b, p, 90) for a, b, p in melody]
    s = song([("Left", 0, False, notes), ("Right", 73, False, melody)])
    assert [(c.root, c.quality[:3]) for c in recognise_chords(s)] == \
        [(0, "maj"), (9, "min"), (5, "maj"), (7, "7")]


@pytest.mark.parametrize("quality", sorted(QUALITIES))
def test_every_quality_in_root_position(quality):
    pitches = [50 + i for i in QUALITIES[quality]]  # root D
    s = song([("Piano", 0, False, [(0, 4, 38, 80)] + [(0, 4, p, 80) for p in pitches])])
    assert _labels(recognise_chords(s)) == [(0.0, 4.0, 2, quality)]


def test_inversions_keep_their_root():
    # C/E, F/A, G7/B: the bass is the 3rd, not the root.
    inv = [(48 + 4 - 12, 60, 64, 67), (45, 60, 65, 69), (47, 59, 62, 65, 67)]
    s = song([("Piano", 0, False, _block_chords([(0, "", inv[0]), (0, "", inv[1]), (0, "", inv[2])]))])
    assert [(c.root, c.quality) for c in recognise_chords(s)] == [(0, "maj"), (5, "maj"), (7, "7")]


def test_held_chords_merge_and_gaps_have_no_chord():
    c_major = [(q, q + 1, p, 80) for q in range(8) for p in (48, 60, 64, 67)]
    g_major = [(12 + q, 13 + q, p, 80) for q in range(4) for p in (43, 59, 62, 67)]
    chords = recognise_chords(song([("Piano", 0, False, c_major + g_major)]))
    assert chords == [Chord(0.0, 8.0, 0, "maj"), Chord(12.0, 16.0, 7, "maj")]
    assert recognise_chords(song([("Kit", 0, True, [(0, 1, 36, 90)])])) == []


def test_half_bar_steps_and_chroma_weights():
    s = song([("Piano", 0, False, [(0, 3, 60, 80), (0, 1, 64, 80), (1, 2, 40, 80)])])
    edges, chroma, bass = segment_chroma(s, step=2.0)
    assert edges.tolist() == [0.0, 2.0, 4.0]
    assert chroma[0, 0] == 2.0 and chroma[0, 4] == 2.0 and chroma[1, 0] == 1.0  # sounding time
    assert bass[0].argmax() == 4 and bass[1].argmax() == 0  # lowest note covering a quarter of it


def test_key_of_a_c_major_scale_and_its_transpositions():
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60]
    for shift in range(12):
        s = song([("Flute", 73, False, [(i, i + 1, p + shift, 80) for i, p in enumerate(scale)])])
        _, chroma, _ = segment_chroma(s)
        assert estimate_key(chroma) == shift
    a_minor = [57, 59, 60, 62, 64, 65, 68, 69, 64, 57]  # harmonic minor, tonic and dominant stressed
    s = song([("Flute", 73, False, [(i, i + 1, p, 80) for i, p in enumerate(a_minor)])])
    assert estimate_key(segment_chroma(s)[1]) == 12 + 9
