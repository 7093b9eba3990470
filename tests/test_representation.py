"""Representation: reading, bar grid, roll <-> song round trips, writing back."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pretty_midi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midistyle.config import RollConfig
from midistyle.errors import InputError
from midistyle.representation import (bar_lines, grid_report, quantize, read, roll_to_notes,
                                      roll_to_song, song_to_roll, to_midi_bytes, to_pretty_midi,
                                      write_midi)
from tests.midi_fixtures import overlapping_same_pitch_midi, rich_midi_bytes, rich_song, song


def pm_from_bytes(data: bytes) -> pretty_midi.PrettyMIDI:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pretty_midi.PrettyMIDI(io.BytesIO(data))


def note_set(pm: pretty_midi.PrettyMIDI):
    """Every note as (instrument name, program, is_drum, pitch, start tick, end tick, velocity)."""
    out = set()
    for inst in pm.instruments:
        for n in inst.notes:
            out.add((inst.name, inst.program, inst.is_drum, n.pitch, pm.time_to_tick(n.start),
                     pm.time_to_tick(n.end), n.velocity))
    return out


def test_bar_lines_follow_meters_and_pickup():
    lines = bar_lines(rich_song())
    assert lines.tolist() == [0, 1, 5, 9, 12, 15, 18, 21]


def test_roll_shapes_onsets_and_ties():
    s = rich_song()
    r = song_to_roll(s, RollConfig())
    assert r.onset.shape == (2, 84, 84)  # 2 pitched tracks, 21 quarters * 4 steps, 84 pitches
    assert r.bar_starts.tolist() == [0, 4, 20, 36, 48, 60, 72, 84]
    piano = 0
    col = 60 - 24
    # repeated note: two onsets at steps 4 and 6, sustained 4..7
    assert r.onset[piano, 4:8, col].tolist() == [True, False, True, False]
    assert r.sustain[piano, 4:8, col].tolist() == [True, True, True, True]
    # note tied over the barline at quarter 5 (step 20): one onset, sustained 8..27
    assert r.onset[piano, :, 64 - 24].nonzero()[0].tolist() == [8]
    assert r.sustain[piano, 8:28, 64 - 24].all() and not r.sustain[piano, 28, 64 - 24]
    assert r.velocity[piano, 6, col] == 81
    bars, mask = r.bars()
    assert bars.shape == (7, 2, 16, 84) and mask.sum(axis=1).tolist() == [4, 16, 16, 12, 12, 12, 12]
    # the note crossing the 3/4 barline at step 48 continues into bar 4 without a new onset
    assert bars[4, 1, 0, 72 - 24] == 1 and bars[4, 0, 0, 72 - 24] == 0


def test_midi_round_trip_keeps_everything_on_grid():
    data = rich_midi_bytes()
    original = pm_from_bytes(data)
    s = read_bytes(data)
    back = roll_to_song(song_to_roll(s), s)
    out = pm_from_bytes(to_midi_bytes(back))
    assert note_set(out) == note_set(original)
    t0, q0 = original.get_tempo_changes()
    t1, q1 = out.get_tempo_changes()
    np.testing.assert_allclose(t1, t0, atol=1e-3)
    np.testing.assert_allclose(q1, [90, 120, 70], rtol=1e-4)
    assert [(t.numerator, t.denominator) for t in out.time_signature_changes] == \
        [(1, 4), (4, 4), (3, 4), (6, 8)]
    assert [k.key_number for k in out.key_signature_changes] == [7, 21]
    assert [(i.name, i.program, i.is_drum) for i in out.instruments] == \
        [("Piano", 0, False), ("Bass", 33, False), ("Drums", 0, True)]


def read_bytes(data: bytes, tmp=None):
    from midistyle.representation.midi_io import from_midi_bytes
    return from_midi_bytes(data, source="<test>")


def test_read_file_and_pretty_midi_agree(tmp_path):
    path = tmp_path / "rich.mid"
    path.write_bytes(rich_midi_bytes())
    a = read(path)
    b = read(pretty_midi.PrettyMIDI(str(path)))
    assert [t.notes() for t in a.tracks] == [t.notes() for t in b.tracks]
    np.testing.assert_allclose(a.tempos, b.tempos, rtol=1e-6)
    assert a.time_signatures == b.time_signatures


def test_overlapping_same_pitch_notes_pair_like_pretty_midi(tmp_path):
    path = tmp_path / "overlap.mid"
    path.write_bytes(overlapping_same_pitch_midi())
    ours = sorted((round(s * 480), round(e * 480), p) for s, e, p, _ in read(path).tracks[0].notes())
    pm = pretty_midi.PrettyMIDI(str(path))
    ref = sorted((pm.time_to_tick(n.start), pm.time_to_tick(n.end), n.pitch) for n in pm.instruments[0].notes)
    assert ours == ref == [(0, 480, 60), (240, 480, 60), (1920, 2400, 64)]


def test_steps_per_beat_12_keeps_triplets():
    trip = [(i / 3, (i + 1) / 3, 60 + i, 80) for i in range(6)]
    s = song([("Lead", 0, False, trip)])
    assert grid_report(s, RollConfig(steps_per_beat=4))["off_grid_onsets"] == 4
    assert grid_report(s, RollConfig(steps_per_beat=12))["off_grid_onsets"] == 0
    q = quantize(s, RollConfig(steps_per_beat=12))
    np.testing.assert_allclose(q.tracks[0].notes(), trip)


def test_grid_report_counts_losses():
    s = song([("A", 0, False, [(0.1, 1.0, 60, 80), (1.0, 2.0, 10, 80), (2.0, 2.05, 62, 80),
                               (3.0, 4.0, 64, 80), (3.0, 3.5, 64, 70)])])
    rep = grid_report(s)
    assert rep == {"pitched_notes": 5, "off_grid_onsets": 1, "off_grid_offsets": 1,
                   "out_of_range": 1, "shorter_than_step": 1, "merged": 1}


def test_roll_to_notes_decodes_sustain_without_onset():
    on = np.zeros((8, 3), bool)
    sus = np.zeros((8, 3), bool)
    sus[0:3, 0] = True          # starts without an onset (e.g. model output)
    on[2, 1] = True; sus[2:6, 1] = True
    on[4, 1] = True             # re-strike inside a held note
    s, e, p, v = roll_to_notes(on, sus)
    assert list(zip(s, e, p)) == [(0, 3, 0), (2, 4, 1), (4, 6, 1)]
    assert (v == 80).all()


def test_quantize_writes_playable_midi(tmp_path):
    path = tmp_path / "in.mid"
    path.write_bytes(rich_midi_bytes())
    out = write_midi(quantize(read(path)), tmp_path / "q.mid")
    pm = pretty_midi.PrettyMIDI(str(out))
    assert sum(len(i.notes) for i in pm.instruments) == 7 + 4 + 20


def test_to_pretty_midi_seconds_follow_tempo_map():
    pm = to_pretty_midi(rich_song())
    bass = pm.instruments[1].notes
    # quarter 5 at 90 qpm for 5 quarters = 3.333 s; then 120 qpm.
    assert bass[1].start == pytest.approx(5 * 60 / 90, abs=1e-3)
    assert bass[2].start == pytest.approx(5 * 60 / 90 + 7 * 0.5, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 63), st.integers(1, 16), st.integers(24, 107),
                          st.integers(1, 127), st.integers(0, 2)), min_size=1, max_size=40),
       st.sampled_from([(4, 4), (3, 4), (6, 8), (5, 4)]))
def test_property_round_trip_random_quantised_notes(notes, meter):
    # One note per (track, pitch, onset); non-overlapping per (track, pitch) so the grid is lossless.
    by_key = {}
    for start, dur, pitch, vel, trk in notes:
        by_key.setdefault((trk, pitch), []).append((start, dur, vel))
    tracks = []
    for trk in range(3):
        cells = []
        for (t, pitch), items in by_key.items():
            if t != trk:
                continue
            last_end = -1
            for start, dur, vel in sorted(items):
                if start < last_end:
                    continue
                cells.append((start / 4, (start + dur) / 4, pitch, vel))
                last_end = start + dur
        if cells:
            tracks.append((f"T{trk}", trk * 8, False, cells))
    s = song(tracks, sigs=((0.0, *meter),))
    back = roll_to_song(song_to_roll(s), s)
    assert [t.notes() for t in back.tracks] == [t.notes() for t in s.tracks]
    written = pm_from_bytes(to_midi_bytes(back))
    assert [(i.name, i.program) for i in written.instruments] == [(t.name, t.program) for t in s.tracks]
    assert sum(len(i.notes) for i in written.instruments) == s.n_notes()


def test_music21_scores_musicxml_abc_kern(tmp_path):
    music21 = pytest.importorskip("music21")
    sc = music21.stream.Score()
    for name, pitches, prog in (("Violin", ["C5", "D5", "E5"], 40), ("Cello", ["C3", "G2", "C3"], 42)):
        part = music21.stream.Part()
        part.partName = name
        inst = music21.instrument.Instrument()
        inst.midiProgram = prog
        part.insert(0, inst)
        m1 = music21.stream.Measure(number=1)
        m1.timeSignature = music21.meter.TimeSignature("3/4")
        for p in pitches:
            m1.append(music21.note.Note(p, quarterLength=1))
        m2 = music21.stream.Measure(number=2)
        tied = music21.note.Note(pitches[0], quarterLength=3)
        m2.append(tied)
        part.append([m1, m2])
        sc.insert(0, part)
    xml = tmp_path / "piece.musicxml"
    sc.write("musicxml", fp=str(xml))
    s = read(xml)
    assert [t.name for t in s.tracks] == ["Violin", "Cello"]
    assert s.time_signatures == [(0.0, 3, 4)]
    assert s.tracks[0].notes() == [(0.0, 1.0, 72, 90), (1.0, 2.0, 74, 90), (2.0, 3.0, 76, 90),
                                   (3.0, 6.0, 72, 90)]

    abc = tmp_path / "book.abc"
    abc.write_text("X:1\nT:One\nM:4/4\nL:1/4\nK:C\nC D E F|G4|\n\n"
                   "X:7\nT:Pickup\nM:3/4\nL:1/4\nK:G\nD|G A B|d3|\n")
    first = read(abc)
    assert [n[2] for n in first.tracks[0].notes()] == [60, 62, 64, 65, 67]
    second = read(f"{abc}#7")
    assert second.time_signatures[:2] == [(0.0, 1, 4), (1.0, 3, 4)]
    assert bar_lines(second).tolist() == [0, 1, 4, 7]
    assert read(abc, tune=2).source.endswith("#2")
    with pytest.raises(InputError, match="no tune 9"):
        read(abc, tune=9)

    krn = tmp_path / "tune.krn"
    krn.write_text("**kern\n*M2/4\n=1\n4c\n4e\n=2\n2g\n==\n*-\n")
    k = read(krn)
    assert [n[2] for n in k.tracks[0].notes()] == [60, 64, 67]
    assert k.time_signatures == [(0.0, 2, 4)]


def test_merge_ties_is_per_pitch_and_refuses_slurs():
    from midistyle.representation.scores import merge_ties

    C, E, G = (60, 35), (64, 37), (67, 39)  # (midi, diatonic step)
    notes = [(0, 1, *C, 80, "start"), (1, 2, *C, 70, "continue"), (2, 2.5, *C, 60, "stop"),  # chain
             (0, 1, *E, 80, None), (1, 2, *E, 80, None),  # repeated, not tied
             (3, 4, *G, 80, "start"), (4.5, 5, *G, 80, "stop"),  # a rest between: no tie
             (6, 7, *C, 80, "start"), (7, 8, *G, 80, "stop")]  # "tie" to another letter: a slur
    notes = [(s, e, p, v, t, d) for s, e, p, d, v, t in notes]
    assert sorted(merge_ties(notes)) == [(0.0, 1.0, 64, 80), (0.0, 2.5, 60, 80), (1.0, 2.0, 64, 80),
                                         (3.0, 4.0, 67, 80), (4.5, 5.0, 67, 80),
                                         (6.0, 7.0, 60, 80), (7.0, 8.0, 67, 80)]
    # two voices on one pitch: the tie reaches the note marked as its end, whatever the order
    voices = [(0, 2, 64, 90, "start", 37), (2, 3, 64, 90, None, 37), (2, 5, 64, 90, "stop", 37)]
    assert sorted(merge_ties(voices)) == [(0.0, 5.0, 64, 90), (2.0, 3.0, 64, 90)]
    # an accidental the encoder did not carry over the tie: same letter, first pitch sounds
    assert merge_ties([(0, 1, 65, 90, "start", 38), (1, 2, 66, 90, "stop", 38)]) == [(0.0, 2.0, 65, 90)]
    assert merge_ties([(0, 1, 65, 90, "start", 38), (1, 2, 66, 90, None, 38)]) == \
        [(0.0, 1.0, 65, 90), (1.0, 2.0, 66, 90)]


def test_score_ties_merge_per_chord_member_and_match_strip_ties(tmp_path):
    music21 = pytest.importorskip("music21")
    part = music21.stream.Part()
    m1 = music21.stream.Measure(number=1)
    m1.timeSignature = music21.meter.TimeSignature("3/4")
    first = music21.chord.Chord(["E2", "B2"], quarterLength=3)
    first.notes[1].tie = music21.tie.Tie("start")  # only B2 is held into bar 2
    m1.append(first)
    m2 = music21.stream.Measure(number=2)
    second = music21.chord.Chord(["B1", "B2"], quarterLength=1)
    second.notes[1].tie = music21.tie.Tie("stop")
    m2.append([second, music21.note.Note("D3", quarterLength=2)])
    long = music21.stream.Part()  # notes of 5 and 7 quarters cut into tied pieces by music21
    long.append([music21.note.Note("C4", quarterLength=5), music21.note.Note("G4", quarterLength=7)])
    long = long.makeMeasures().makeTies()
    sc = music21.stream.Score([part, long])
    part.append([m1, m2])
    xml = tmp_path / "ties.musicxml"
    sc.write("musicxml", fp=str(xml))
    s = read(xml)
    assert sorted(n[:3] for n in s.tracks[0].notes()) == [(0.0, 3.0, 40), (0.0, 4.0, 47), (3.0, 4.0, 35),
                                                           (4.0, 6.0, 50)]
    assert [n[:3] for n in s.tracks[1].notes()] == [(0.0, 5.0, 60), (5.0, 12.0, 67)]
    stripped = [(float(n.offset), float(n.offset + n.quarterLength), n.pitch.midi)
                for n in long.stripTies().flatten().notes]
    assert stripped == [n[:3] for n in s.tracks[1].notes()]

    abc = tmp_path / "ties.abc"  # =F tied over the bar in G (F# in the key); D-G is a slur
    abc.write_text("X:1\nT:Ties\nM:2/4\nL:1/4\nK:G\n=F2-|F2|D-G|\n")
    assert [n[:3] for n in read(abc).tracks[0].notes()] == [(0.0, 4.0, 65), (4.0, 5.0, 62), (5.0, 6.0, 67)]


@pytest.mark.parametrize("content,reason", [
    (None, "no such file"),
    (b"hello, this is text", "unsupported file type|not a MIDI file"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x01\x00\x90\x3c", "malformed MIDI|no notes"),
])
def test_bad_input_raises_typed_error(tmp_path, content, reason):
    path = tmp_path / "bad.mid"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as info:
        read(path)
    assert str(path) in str(info.value)


def test_empty_and_drums_only_are_refused(tmp_path):
    empty = tmp_path / "empty.mid"
    write_midi(song([("A", 0, False, [])]), empty)
    with pytest.raises(InputError, match="no notes"):
        read(empty)
    drums = tmp_path / "drums.mid"
    write_midi(song([("D", 0, True, [(0, 1, 36, 100)])]), drums)
    with pytest.raises(InputError, match="only drum"):
        read(drums)
    assert read(drums, require_pitched=False).n_notes() == 1


def test_absurd_tempo_is_refused(tmp_path):
    path = tmp_path / "fast.mid"
    path.write_bytes(to_midi_bytes(song([("A", 0, False, [(0, 1, 60, 80)])], tempos=((0.0, 120.0),))))
    data = bytearray(path.read_bytes())
    i = data.index(b"\xff\x51\x03")
    data[i + 3:i + 6] = b"\x00\x00\x00"  # 0 microseconds per quarter
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="tempo"):
        read(path)
