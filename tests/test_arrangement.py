"""Arrangement tensors: a lead sheet encoded on the grid and decoded back to the same notes."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.analysis.leadsheet import Chord
from midistyle.config import RollConfig
from midistyle.representation import read, to_midi_bytes
from midistyle.representation.drums import LANES
from midistyle.arrangement.decode import decode
from midistyle.arrangement.encode import chord_classes, encode
from midistyle.arrangement.feel import apply_swing, pair_phases, swing_ratio

from tests.arrangement_fixtures import band_song, lead_sheet, notes


def _round_trip(lead, arr, **kw):
    parts = {"bass": arr.bass, "comp": arr.comp, "drums": arr.drums}
    vel = {**arr.velocity, "drums": arr.drum_velocity}
    return decode(lead, parts, arr.cfg, programs=arr.programs, velocity=vel, **kw)


def test_shapes_follow_the_songs_bar_grid():
    lead = lead_sheet(band_song())
    arr = encode(lead)
    # 4 bars of 4/4 (16 steps) + 2 bars of 3/4 (12 steps)
    assert arr.bar_starts.tolist() == [0, 16, 32, 48, 64, 76, 88]
    T, P = 88, RollConfig().n_pitches
    assert arr.melody.shape == arr.bass.shape == arr.comp.shape == (2, T, P)
    assert arr.chroma.shape == (T, 12) and arr.drums.shape == (T, len(LANES))
    assert arr.position.tolist()[14:19] == [14, 15, 0, 1, 2] and arr.position[-1] == 11
    assert arr.programs == {"melody": 73, "bass": 33, "comp": 0, "drums": 0}


def test_encode_then_decode_gives_back_the_same_notes():
    src = band_song()
    lead = lead_sheet(src)
    out = _round_trip(lead, encode(lead))
    assert [t.name for t in out.tracks] == ["Flute", "Bass", "Comp", "Drums"]
    for got, want in zip(out.tracks, src.tracks):
        assert (got.program, got.is_drum) == (want.program, want.is_drum)
        assert notes(got) == notes(want), got.name
    assert out.tempos == src.tempos and out.time_signatures == src.time_signatures
    assert out.key_signatures == src.key_signatures


def test_the_melody_is_the_sources_own_notes_not_the_grids():
    src = band_song()
    lead = lead_sheet(src)
    out = _round_trip(lead, encode(lead))
    grace = [n for n in out.tracks[0].notes() if n[2] == 74 and n[0] > 11]
    assert grace == [(11.97, 12.0, 74, 60)]  # off the grid, kept where it was played
    assert to_midi_bytes(out)[:4] == b"MThd"


def test_chroma_from_the_chart_and_from_the_notes_without_one():
    src = band_song()
    arr = encode(lead_sheet(src))
    assert arr.chroma_from == "chords"
    assert np.flatnonzero(arr.chroma[0]).tolist() == [0, 4, 7]
    assert np.flatnonzero(arr.chroma[16]).tolist() == [0, 4, 9]  # A minor
    assert np.flatnonzero(arr.chroma[50]).tolist() == [2, 5, 7, 11]  # G7
    bare = encode(lead_sheet(src, chords=False))
    assert bare.chroma_from == "notes"
    # bar 2 beat 1: bass A, comp A C E
    assert np.flatnonzero(bare.chroma[16]).tolist() == [0, 4, 9]
    # the notes' chroma agrees with the chart wherever the chart's classes are all sounded
    assert (bare.chroma[arr.chroma > 0] > 0).mean() > 0.9


def test_chord_classes_of_harte_qualities():
    assert chord_classes(Chord(0, 1, 2, "min7")) == (0, 2, 5, 9)
    assert chord_classes(Chord(0, 1, 11, "hdim7")) == (2, 5, 9, 11)
    assert chord_classes(Chord(0, 1, 4, "weird")) == (4, 11)


def test_decode_writes_new_programs_leaves_out_missing_roles_and_keeps_asked_parts():
    src = band_song()
    lead = lead_sheet(src)
    arr = encode(lead)
    out = decode(lead, {"bass": arr.bass, "comp": arr.comp}, programs={"bass": 32, "comp": 26, "melody": 65})
    assert [(t.name, t.program) for t in out.tracks] == [("Flute", 65), ("Bass", 32), ("Comp", 26)]
    assert out.drums == []
    kept = decode(lead, {"bass": arr.bass}, keep=("drums",))
    assert notes(kept.drums[0]) == notes(src.tracks[3])


def test_drum_only_lead_sheet_encodes_with_empty_pitched_parts():
    src = band_song()
    s = src.with_tracks([src.tracks[3]])
    from midistyle.analysis.leadsheet import LeadSheet
    lead = LeadSheet(s, {"drums": list(s.tracks)}, ["drums"], [], 0)
    arr = encode(lead)
    assert arr.drums.sum() == src.tracks[3].n_notes and not arr.melody.any() and not arr.chroma.any()


def test_swing_ratio_reads_pairs_and_apply_swing_round_trips():
    straight = np.arange(0, 32, 0.5)
    assert swing_ratio([straight]) == pytest.approx(0.5)
    swung = apply_swing(straight, 2 / 3)
    assert swing_ratio([swung]) == pytest.approx(2 / 3)
    assert apply_swing(swung, 0.75).tolist() != swung.tolist()
    # 16ths are no pairs; a hi-hat and a snare read apart still give the pairs of the hi-hat
    sixteenths = np.arange(0, 32, 0.25)
    assert pair_phases(sixteenths).size == 0
    snare = np.arange(1, 32, 2.0)
    assert swing_ratio([swung, snare]) == pytest.approx(2 / 3)
    assert swing_ratio([np.arange(0, 4, 0.5)]) is None  # too few pairs to say


def test_decode_swings_the_new_parts_and_the_melody_only_when_asked():
    src = band_song()
    lead = lead_sheet(src)
    arr = encode(lead)
    out = _round_trip(lead, arr, swing=2 / 3)
    assert notes(out.tracks[0]) == notes(src.tracks[0])
    hats = out.drums[0].start[out.drums[0].pitch == 42]
    assert swing_ratio([hats]) == pytest.approx(2 / 3, abs=1e-6)
    sung = _round_trip(lead, arr, swing=2 / 3, swing_melody=True)
    assert sung.tracks[0].pitch.tolist() == src.tracks[0].pitch.tolist()
    assert np.isclose(sung.tracks[0].start, 2 / 3).any() and not np.isclose(sung.tracks[0].start, 0.5).any()


@pytest.mark.parametrize("ratio", [0.62, 2 / 3, 0.7])
def test_a_swung_source_is_straightened_onto_the_grid(tmp_path, ratio):
    path = tmp_path / "swung.mid"
    path.write_bytes(to_midi_bytes(band_song(swing=ratio)))
    swung = encode(lead_sheet(read(path)))
    straight = encode(lead_sheet(band_song()))
    assert swung.swing == pytest.approx(ratio, abs=0.01) and straight.swing == 0.5
    np.testing.assert_array_equal(swung.drums, straight.drums)
    np.testing.assert_array_equal(swung.bass, straight.bass)
    raw = encode(lead_sheet(read(path)), straighten=False)
    # without straightening, an off-beat past 0.625 of a beat rounds to the beat's last 16th
    assert np.array_equal(raw.drums, straight.drums) == (ratio < 0.625) and raw.swing == 0.5


def test_apply_swing_from_a_ratio_straightens():
    t = np.arange(0, 8, 0.25)
    for r in (0.6, 2 / 3, 0.75):
        np.testing.assert_allclose(apply_swing(apply_swing(t, r), 0.5, r), t, atol=1e-12)
    with pytest.raises(ValueError, match="from_ratio"):
        apply_swing(t, 0.5, 1.0)
