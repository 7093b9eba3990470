"""Texture learned from songs (articulation, voicing size, playing without the melody) and played on parts."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from midistyle.arrangement.arrange import textured
from midistyle.arrangement.encode import encode
from midistyle.arrangement.profile import learn_profile
from midistyle.arrangement.texture import (
    alone_share, articulation, cap_voicing, chord_size, legato, melody_bars, mute_where)
from midistyle.config import RollConfig
from midistyle.representation import Track

from tests.arrangement_fixtures import band_song, lead_sheet


def _track(notes):
    return Track.from_notes("t", 0, False, notes)


def test_articulation_reads_the_share_of_each_gap_a_note_holds():
    detached = np.arange(10.0)  # a note every beat, held half of it
    fill, longest = articulation(detached, detached + 0.5)
    assert fill == pytest.approx(0.5) and longest == pytest.approx(0.5)
    # legato, one note held past the next onset (counts as 1), one long note at the end
    start = np.r_[np.arange(9.0), 9.0]
    end = np.r_[np.arange(1.0, 9.0), 9.5, 13.0]
    fill, longest = articulation(start, end)
    assert fill == pytest.approx(1.0)
    assert longest == pytest.approx(np.percentile(end - start, 95))
    assert articulation(detached[:5], detached[:5] + 0.5) is None  # too few notes


def test_chord_size_counts_notes_per_onset():
    # four triads and three single notes: median of (3, 3, 3, 3, 1, 1, 1) is 3
    start = np.r_[np.repeat([0.0, 1.0, 2.0, 3.0], 3), 4.0, 5.0, 6.0]
    assert chord_size(start + np.tile([0, 0.001, 0.002], 5)[:start.size] * (start < 4)) == 3.0
    assert chord_size(np.r_[np.repeat([0.0, 1.0], 2), 2.0, 3.0, 4.0, 5.0]) == 1.0
    assert chord_size(np.zeros(3)) is None


def test_alone_share_is_the_share_of_the_roles_bars_without_melody():
    bar_starts = np.array([0, 4, 8, 12, 16, 20])
    role = np.zeros((20, 3), bool)
    role[0:16, 0] = True  # bars 0-3
    melody = np.zeros((20, 3), bool)
    melody[[1, 5, 9, 18], 2] = True  # bars 0, 1, 2 and 4 (where the role is silent)
    assert alone_share(role, melody, bar_starts) == pytest.approx(1 / 4)
    assert alone_share(np.zeros_like(role), melody, bar_starts) is None


def test_legato_holds_notes_into_their_gaps_keeping_onsets_and_pitches():
    t = _track([(0.0, 0.5, 60, 80), (1.0, 1.5, 62, 81), (5.0, 9.0, 64, 82), (6.0, 6.25, 65, 83)])
    out = legato(t, fill=1.0, longest=2.0)
    np.testing.assert_array_equal(out.start, t.start)
    np.testing.assert_array_equal(out.pitch, t.pitch)
    # up to the next onset; a 4-beat gap stops at 2 beats; a longer note stays; the last is as it was
    np.testing.assert_allclose(out.end, [1.0, 3.0, 9.0, 6.25])
    half = legato(t, fill=0.5, longest=8.0)
    np.testing.assert_allclose(half.end, [0.5, 3.0, 9.0, 6.25])


def test_cap_voicing_keeps_the_outer_voices_and_drops_whole_inner_notes():
    roll = np.zeros((2, 8, 30), bool)
    for p in (10, 14, 17, 22):
        roll[0, 0, p] = True
        roll[1, 0:4, p] = True
    roll[0, 4, 14] = roll[1, 4, 14] = roll[1, 5, 14] = True  # 14 struck again, alone
    out = cap_voicing(roll, 2)
    assert np.flatnonzero(out[0, 0]).tolist() == [10, 22]
    assert not out[1, 0:4, 14].any() and not out[1, 0:4, 17].any() and out[1, 0:4, 22].all()
    assert out[0, 4, 14] and out[1, 4:6, 14].all()  # the later note is untouched
    three = cap_voicing(roll, 3)
    assert np.flatnonzero(three[0, 0]).tolist() == [10, 14, 22]
    np.testing.assert_array_equal(cap_voicing(roll, 4), roll)
    with pytest.raises(ValueError):
        cap_voicing(roll, 0)


def test_melody_bars_and_mute_where_silence_the_bars_the_melody_leaves_empty():
    melody = np.zeros((12, 5), bool)
    melody[5, 1] = True
    keep = melody_bars(melody, np.array([0, 4, 8, 12]))
    np.testing.assert_array_equal(keep, np.repeat([False, True, False], 4))
    roll = np.ones((2, 12, 3), bool)
    out = mute_where(roll, keep)
    assert out[:, 4:8].all() and not out[:, :4].any() and not out[:, 8:].any()
    lanes = mute_where(np.ones((12, 7), bool), keep)
    assert lanes[4:8].all() and not lanes[:4].any()


def test_a_profile_learns_the_texture_and_textured_plays_it():
    lead = lead_sheet(band_song())
    profile = learn_profile([lead], "g")
    comp, melody = profile.roles["comp"], profile.roles["melody"]
    assert comp["chord_size"] == 3.0 and comp["alone"] == 0.0  # triads (one G7 bar) under the melody
    assert profile.roles["bass"]["chord_size"] == 1.0
    assert 0.9 < melody["fill"] <= 1.0
    # the source: no melody in bar 2 (quarters 8-12)
    mel = lead.part("melody")[0]
    gone = (mel.start >= 8) & (mel.start < 12)
    src = dataclasses.replace(lead, parts={**lead.parts, "melody": [mel.replace_notes(
        mel.start[~gone], np.minimum(mel.end[~gone], np.where(mel.start[~gone] < 8, 8.0, np.inf)),
        mel.pitch[~gone], mel.velocity[~gone])]})
    arr = encode(lead)
    parts = {"bass": arr.bass, "comp": arr.comp}
    # comp voiced thinner; the bass made a part that often plays without the melody
    thin = dataclasses.replace(profile, roles={**profile.roles, "comp": {**comp, "chord_size": 2.0},
                                               "bass": {**profile.roles["bass"], "alone": 0.5}})
    _, out = textured(src, parts, RollConfig(), thin, keep=("feel",))  # the melody as it was
    spb = RollConfig().steps_per_beat
    assert not out["comp"][:, 8 * spb:12 * spb].any() and arr.comp[:, 8 * spb:12 * spb].any()
    np.testing.assert_array_equal(out["bass"], arr.bass)
    assert out["comp"][0].sum(axis=1).max() == 2 and arr.comp[0].sum(axis=1).max() >= 3
    assert out_lead_is_kept(src, textured(src, parts, RollConfig(), thin, keep=("feel",))[0])
    out_lead, held_out = textured(src, parts, RollConfig(), thin)
    held, before = out_lead.part("melody")[0], src.part("melody")[0]
    np.testing.assert_array_equal(held.start, before.start)
    assert (held.end >= before.end).all() and (held.end > before.end).any()
    # the note before the empty bar is held into it, so that bar keeps its comp
    assert held_out["comp"][:, 8 * spb:9 * spb].any()


def out_lead_is_kept(a, b) -> bool:
    return all(np.array_equal(x.end, y.end) for x, y in zip(a.part("melody"), b.part("melody")))
