"""finish/arrange_by_retrieval: the parts played in a genre's instruments, kit and feel, melody kept."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.arrangement.arrange import arrange_by_retrieval, finish
from midistyle.arrangement.encode import encode
from midistyle.arrangement.profile import learn_profile
from midistyle.arrangement.retrieve import arrangement_bars, build_bank

from tests.arrangement_fixtures import band_song, lead_sheet, notes


def _genre(**kw):
    lead = lead_sheet(band_song(**kw))
    return lead, learn_profile([lead], "g"), build_bank(arrangement_bars(encode(lead)), "g")


def test_retrieval_plays_the_target_genres_instruments_and_feel_around_the_kept_melody():
    source = lead_sheet(band_song())  # straight, e-bass 33, piano comp, flute melody
    _, profile, bank = _genre(swing=2 / 3, ride=True, bass_program=32, comp_program=26)
    out = arrange_by_retrieval(source, bank, profile)
    by_name = {t.name: t for t in out.tracks}
    assert by_name["Bass"].program == 32 and by_name["Comp"].program == 26
    assert profile.swing == pytest.approx(2 / 3, abs=0.02)
    melody = by_name["Flute"]
    src = source.part("melody")[0]
    np.testing.assert_array_equal(melody.pitch, src.pitch)  # same notes, same order
    assert melody.start[1] == pytest.approx(2 / 3, abs=0.02)  # the 8th off-beat played swung
    drums = by_name["Drums"]
    assert np.isin(51, drums.pitch)  # the genre's ride, not the source's hi-hat
    assert out.tempos == source.song.tempos and out.time_signatures == source.song.time_signatures


def test_keep_names_what_stays_as_the_source_had_it():
    source = lead_sheet(band_song())
    _, profile, bank = _genre(swing=2 / 3, ride=True, bass_program=32)
    out = arrange_by_retrieval(source, bank, profile, keep=("drums", "instruments", "feel"))
    by_name = {t.name: t for t in out.tracks}
    assert notes(by_name["Drums"]) == notes(source.part("drums")[0])
    assert by_name["Bass"].program == 33  # the source's bass program
    assert notes(by_name["Flute"]) == notes(source.part("melody")[0])  # no swing added
    with pytest.raises(ValueError, match="cannot keep tempo"):
        finish(source, {}, source.song and encode(source).cfg, profile, keep=("tempo",))


def test_a_genre_whose_songs_have_no_drums_gets_none():
    source = lead_sheet(band_song())
    lead, _, bank = _genre()
    quiet = lead_sheet(band_song())
    quiet.parts.pop("drums")
    profile = learn_profile([quiet], "quiet")
    out = arrange_by_retrieval(source, bank, profile)
    assert not out.drums and any(t.name == "Bass" for t in out.tracks)
