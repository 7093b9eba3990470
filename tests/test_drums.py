"""Drum lanes: folding GM and TD-11 drum notes into lanes, and back to canonical GM notes."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.config import RollConfig
from midistyle.errors import InputError
from midistyle.representation import read, to_midi_bytes, write_midi
from midistyle.representation.drums import (
    LANE_PITCH, LANES, PITCH_LANE, fold_song_drums, lane_of, lanes_to_notes, lanes_to_track, song_to_drums)

from tests.midi_fixtures import song


def _groove_like() -> "Song":  # noqa: F821
    """Two 4/4 bars of a TD-11 rock beat: kick, snare head + rim, hi-hat bow/edge/pedal, a fill."""
    notes = []
    for bar in range(2):
        b = 4.0 * bar
        notes += [(b + 0.0, b + 0.1, 36, 110), (b + 2.0, b + 0.1 + 2.0, 36, 100),
                  (b + 1.0, b + 1.1, 38, 120), (b + 3.0, b + 3.1, 40, 90)]  # snare head, snare rim
        notes += [(b + q, b + q + 0.1, 22 if q % 1 else 42, 60 + int(8 * q)) for q in np.arange(0, 4, 0.5)]
    notes += [(7.5, 7.6, 50, 100), (7.75, 7.85, 58, 95), (8.0, 8.2, 55, 127)]  # tom rims, crash edge
    return song([("Blue Ridge", 0, True, notes)])


def test_every_lane_has_a_canonical_pitch_that_folds_to_itself():
    assert len(LANES) == len(LANE_PITCH) == len(set(LANE_PITCH))
    for lane, pitch in enumerate(LANE_PITCH):
        assert PITCH_LANE[pitch] == lane


@pytest.mark.parametrize("pitch,lane", [(35, "kick"), (37, "snare"), (39, "snare"), (40, "snare"),
                                        (22, "closed_hh"), (44, "closed_hh"), (26, "open_hh"),
                                        (43, "tom_low"), (58, "tom_low"), (50, "tom_high"), (47, "tom_high"),
                                        (55, "crash"), (57, "crash"), (52, "crash"), (53, "ride"), (59, "ride")])
def test_gm_and_td11_notes_fold_into_their_lane(pitch, lane):
    assert LANES[lane_of(pitch)] == lane


def test_sound_effects_fit_no_lane_and_are_counted_as_dropped():
    s = song([("D", 0, True, [(0, 0.25, 36, 100), (1, 1.25, 71, 100), (2, 2.25, 27, 100)])])
    drums = song_to_drums(s)
    assert drums.onset.sum() == 1 and drums.dropped == 2


def test_lanes_round_trip_canonical_notes_on_the_grid():
    cfg = RollConfig()
    rng = np.random.default_rng(0)
    onset = rng.random((32, len(LANES))) < 0.3
    velocity = np.where(onset, rng.integers(1, 128, onset.shape), 0).astype(np.uint8)
    track = lanes_to_track(onset, velocity, cfg)
    s = song([("x", 0, False, [(0, 8, 60, 80)])]).with_tracks([track])
    back = song_to_drums(s, cfg)
    assert back.n_steps == 32 and back.dropped == 0
    np.testing.assert_array_equal(back.onset, onset)
    np.testing.assert_array_equal(back.velocity, velocity)


def test_td11_beat_folds_to_lanes_and_writes_back_gm():
    s = _groove_like()
    drums = song_to_drums(s)
    assert drums.n_steps == 48  # 3 bars of 16 (the crash opens bar 3)
    per_lane = dict(zip(LANES, drums.onset.sum(axis=0).tolist()))
    assert per_lane == {"kick": 4, "snare": 4, "closed_hh": 16, "open_hh": 0, "tom_low": 1,
                        "tom_high": 1, "crash": 1, "ride": 0}
    assert drums.velocity[4, LANES.index("snare")] == 120 and drums.velocity[12, LANES.index("snare")] == 90
    folded = fold_song_drums(s)
    (kit,) = folded.drums
    assert set(kit.pitch.tolist()) <= set(LANE_PITCH)
    assert kit.n_notes == sum(per_lane.values())
    # folding twice changes nothing: canonical notes are a fixed point
    again = fold_song_drums(folded)
    assert again.drums[0].notes() == kit.notes()


def test_hits_in_one_step_and_lane_merge_to_the_loudest():
    s = song([("D", 0, True, [(0, 0.1, 38, 50), (0.05, 0.1, 40, 99), (0, 0.1, 42, 70)])])
    drums = song_to_drums(s)
    assert drums.onset[0].sum() == 2 and drums.velocity[0, LANES.index("snare")] == 99


def test_notes_decode_sorted_with_canonical_pitches():
    onset = np.zeros((8, len(LANES)), bool)
    onset[0, [0, 2]] = True
    onset[4, 1] = True
    start, end, pitch, vel = lanes_to_notes(onset)
    assert start.tolist() == [0.0, 0.0, 1.0] and pitch.tolist() == [36, 42, 38]
    assert np.allclose(end - start, 0.25) and (vel == 90).all()


def test_drum_only_file_reads_when_asked_and_keeps_the_old_refusal(tmp_path):
    path = write_midi(_groove_like(), tmp_path / "groove.mid")
    with pytest.raises(InputError, match="only drum"):
        read(path)
    s = read(path, require_pitched=False)
    assert s.n_notes(drums=False) == 0
    assert song_to_drums(s).onset.sum() == 27


def test_song_without_drums_gives_empty_lanes_over_its_grid():
    s = song([("P", 0, False, [(0, 6, 60, 80)])])
    drums = song_to_drums(s)
    assert drums.onset.shape == (32, len(LANES)) and not drums.onset.any()
    assert fold_song_drums(s).drums == []
    assert to_midi_bytes(fold_song_drums(s))[:4] == b"MThd"
