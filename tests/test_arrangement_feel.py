"""Micro-timing: a part's onset spread around its grid, learned per genre and played on new parts."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.arrangement.arrange import arrange_by_retrieval
from midistyle.arrangement.encode import encode
from midistyle.arrangement.feel import (
    MAX_SHIFT, apply_swing, grid_offsets, humanise, timing_spread)
from midistyle.arrangement.profile import GenreProfile, combine, song_stats, timing_spreads
from midistyle.arrangement.retrieve import arrangement_bars, build_bank
from midistyle.representation import write_midi

from tests.arrangement_fixtures import band_song, lead_sheet

GAUSS_MAD = 0.6745  # median |x| of a standard normal


def _eighths(n_beats: int = 128) -> np.ndarray:
    return np.arange(0.0, n_beats, 0.5)


def test_a_part_played_with_known_jitter_gives_back_its_spread():
    rng = np.random.default_rng(3)
    for sigma in (0.01, 0.02, 0.03):
        t = _eighths() + rng.normal(0.0, sigma, 256)
        assert timing_spread([t]) == pytest.approx(GAUSS_MAD * sigma, rel=0.2)
    # swung 8ths (off-beats at 0.62) with jitter: the song's own swing is taken out first
    t = apply_swing(_eighths(), 0.62) + rng.normal(0.0, 0.02, 256)
    assert timing_spread([t], swing=0.62) == pytest.approx(GAUSS_MAD * 0.02, rel=0.2)
    assert timing_spread([t]) > 1.5 * GAUSS_MAD * 0.02  # read straight, the swing itself adds spread


def test_a_quantised_part_measures_no_spread():
    grid = np.concatenate([np.arange(0, 32, 0.25), np.arange(0, 32, 1 / 3)])
    assert timing_spread([grid]) == pytest.approx(0.0, abs=1e-9)
    assert timing_spread([apply_swing(_eighths(), 2 / 3)], swing=2 / 3) == pytest.approx(0.0, abs=1e-9)
    assert timing_spread([np.arange(8.0)]) is None  # too few onsets to say
    np.testing.assert_allclose(grid_offsets(np.array([1.02, 2.49, 3.30])), [0.02, -0.01, 0.3 - 1 / 3])


@pytest.mark.parametrize("swing", [0.5, 0.65])
def test_playing_a_quantised_part_with_a_spread_gives_that_spread(swing):
    start = np.concatenate([_eighths(64), np.arange(0.25, 64, 1.0)])  # 8ths and 16ths, chords below
    start = np.sort(np.concatenate([start, start[::4]]))
    pitch = np.where(np.r_[True, np.diff(start) > 0], 60, 64)
    end = start + 0.25
    new_start, new_end = humanise(start, end, pitch, 0.025, np.random.default_rng(0), swing)
    played = new_start if swing == 0.5 else apply_swing(new_start, swing)
    assert timing_spread([played], swing) == pytest.approx(0.025, rel=0.02)
    shift = new_start - start
    assert np.abs(shift).max() <= MAX_SHIFT + 1e-9 and new_start.min() >= 0.0
    inside = start % 1 > 0  # notes inside a beat stay inside it
    assert np.array_equal(np.floor(new_start[inside]), np.floor(start[inside]))
    assert np.all(np.abs(new_start[~inside] - start[~inside]) <= MAX_SHIFT + 1e-9)
    assert np.all(new_end > new_start)
    for p in np.unique(pitch):  # no note overlaps the next of its pitch
        k = np.argsort(new_start[pitch == p])
        s, e = new_start[pitch == p][k], new_end[pitch == p][k]
        assert np.all(e[:-1] <= s[1:] + 1e-9)
    # the same seed plays the same notes; another seed others
    again = humanise(start, end, pitch, 0.025, np.random.default_rng(0), swing)
    np.testing.assert_array_equal(again[0], new_start)
    assert not np.array_equal(humanise(start, end, pitch, 0.025, np.random.default_rng(1), swing)[0], new_start)
    still = humanise(start, end, pitch, 0.0, np.random.default_rng(0))  # no spread asked: left as it is
    np.testing.assert_array_equal(still[0], start)
    np.testing.assert_array_equal(still[1], end)


def _played(lead, sigma: float, seed: int = 0):
    """The fixture's tracks with Gaussian onset jitter (ends moved along)."""
    rng = np.random.default_rng(seed)
    for role, tracks in lead.parts.items():
        t = tracks[0]
        d = np.clip(rng.normal(0.0, sigma, t.n_notes), -0.1, 0.1)
        lead.parts[role] = [t.replace_notes(np.maximum(t.start + d, 0.0), t.end + d, t.pitch, t.velocity)]
    lead.song = lead.song.with_tracks([ts[0] for ts in lead.parts.values()])
    return lead


def test_a_genre_learns_its_spread_per_role_and_plays_new_parts_with_it(tmp_path):
    played = [_played(lead_sheet(band_song(seed=i)), 0.03, seed=i) for i in range(3)]
    stats = [song_stats(lead) for lead in played]
    profile = combine(stats, "performed")
    timing = timing_spreads(profile)
    assert set(timing) == {"bass", "comp", "drums"}  # the melody has too few notes to measure
    for role in timing:
        assert timing[role] == pytest.approx(GAUSS_MAD * 0.03, rel=0.4)
    quantised = combine([song_stats(lead_sheet(band_song(seed=i))) for i in range(3)], "quantised")
    assert all(v == pytest.approx(0.0, abs=1e-9) for v in quantised.feel["timing"].values())
    assert timing_spreads(quantised) == {}

    source = lead_sheet(band_song())
    bank = build_bank(arrangement_bars(encode(lead_sheet(band_song(seed=5)))), "performed")
    out = arrange_by_retrieval(source, bank, profile, seed=1)
    new = {t.name: t for t in out.tracks}
    assert timing_spread([new["Bass"].start]) == pytest.approx(timing["bass"], rel=0.05)
    assert timing_spread([new["Drums"].start]) == pytest.approx(timing["drums"], rel=0.05)
    np.testing.assert_array_equal(new["Flute"].start, source.part("melody")[0].start)  # melody kept
    assert np.all(np.diff(new["Comp"].start) >= 0)  # still sorted by start

    a, b, c = (write_midi(arrange_by_retrieval(source, bank, profile, seed=s), tmp_path / f"{n}.mid")
               for n, s in (("a", 1), ("b", 1), ("c", 2)))
    assert a.read_bytes() == b.read_bytes() and a.read_bytes() != c.read_bytes()

    kept = {t.name: t for t in arrange_by_retrieval(source, bank, profile, seed=1, keep=("feel",)).tracks}
    assert timing_spread([kept["Bass"].start]) == pytest.approx(0.0, abs=1e-9)  # --keep feel: on the grid


def test_an_old_profile_without_timing_decodes_on_the_grid_as_before():
    lead = _played(lead_sheet(band_song()), 0.03)
    data = combine([song_stats(lead)], "old").to_dict()
    old = {**data, "feel": {k: v for k, v in data["feel"].items() if k != "timing"}}
    profile = GenreProfile.from_dict(old)
    assert timing_spreads(profile) == {}
    source = lead_sheet(band_song())
    bank = build_bank(arrangement_bars(encode(lead_sheet(band_song(seed=5)))), "old")
    out = {t.name: t for t in arrange_by_retrieval(source, bank, profile).tracks}
    for name in ("Bass", "Comp", "Drums"):
        steps = out[name].start * 4  # the 16th grid (the fixture's genre is straight)
        np.testing.assert_allclose(steps, np.rint(steps), atol=1e-9)


def test_the_kept_melody_gets_only_the_spread_it_lacks():
    from midistyle.arrangement.decode import decode

    source = lead_sheet(band_song())
    src = source.part("melody")[0]
    out = decode(source, {}, timing={"melody": 0.02}, timing_melody=True, seed=3)
    mel = out.tracks[0]
    assert timing_spread([mel.start], min_onsets=1) == pytest.approx(0.02, rel=0.05)
    np.testing.assert_array_equal(mel.pitch, src.pitch)
    assert np.abs(mel.start - src.start).max() <= MAX_SHIFT + 1e-9
    played = _played(lead_sheet(band_song()), 0.06)  # already spread wider than asked: left alone
    again = decode(played, {}, timing={"melody": 0.02}, timing_melody=True, seed=3).tracks[0]
    np.testing.assert_array_equal(again.start, played.part("melody")[0].start)
    off = decode(source, {}, timing={"melody": 0.02}, seed=3).tracks[0]
    np.testing.assert_array_equal(off.start, src.start)
