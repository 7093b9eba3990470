"""Genre profiles learned from songs: two synthetic genres must come out as they were made."""
from __future__ import annotations

import json

import numpy as np
import pytest

from midistyle.errors import InputError
from midistyle.representation import read, write_midi
from midistyle.arrangement.feel import on_beat_share
from midistyle.arrangement.profile import (
    combine, learn_profile, load_profile, profile_folder, save_profile, song_stats, swing_or_straight)

from tests.arrangement_fixtures import band_song, lead_sheet
from tests.midi_fixtures import song


def _swing_genre():  # swung ride, upright bass
    return [lead_sheet(band_song(swing=2 / 3, bass_program=32, ride=True, seed=i)) for i in range(3)]


def _straight_genre():  # straight hi-hat, electric bass, electric guitar comping
    return [lead_sheet(band_song(swing=0.5, bass_program=33, ride=False, comp_program=27, seed=i))
            for i in range(3)]


def test_two_genres_learn_their_own_instruments_kit_and_feel():
    jazz, rock = learn_profile(_swing_genre(), "jazzish"), learn_profile(_straight_genre(), "rockish")
    assert (jazz.program("bass"), rock.program("bass")) == (32, 33)
    assert (jazz.program("comp"), rock.program("comp")) == (0, 27)
    assert jazz.programs() == {"melody": 73, "bass": 32, "comp": 0, "drums": 0}
    assert jazz.swing == pytest.approx(2 / 3, abs=0.01) and rock.swing == pytest.approx(0.5)
    assert jazz.feel["swung_share"] == 1.0 and rock.feel["swung_share"] == 0.0
    jl, rl = jazz.roles["drums"]["lanes"], rock.roles["drums"]["lanes"]
    assert jl["ride"] > 0.6 and jl["closed_hh"] == 0 and rl["closed_hh"] > 0.6 and rl["ride"] == 0
    # 44 cymbal 8ths + 22 kick/snare hits over 6 bars
    assert jazz.roles["drums"]["hits_per_bar"] == pytest.approx(66 / 6)
    # comp: triads, one bar of G7 (16 steps of 4 notes) over 88 sounding steps
    assert rock.roles["comp"]["polyphony"] == pytest.approx((72 * 3 + 16 * 4) / 88, abs=1e-3)
    assert all(jazz.has(r) for r in ("melody", "bass", "comp", "drums"))


def test_songs_without_a_reliable_grid_give_no_swing():
    rng = np.random.default_rng(1)
    starts = np.sort(rng.uniform(0, 64, 400))  # a recording on a nominal grid: onsets anywhere
    s = song([("Piano", 0, False, [(a, a + 0.3, 60 + int(rng.integers(0, 24)), 80) for a in starts])])
    lead = lead_sheet(s)
    stats = song_stats(lead)
    assert stats["on_beat"] < 0.3
    prof = combine([stats], "recorded")
    assert prof.swing is None and prof.feel["reliable_songs"] == 0
    assert swing_or_straight(prof) == 0.5
    assert on_beat_share(np.arange(0, 8, 0.5)) == 0.5


def test_genre_without_drums_or_bass_says_so():
    leads = [lead_sheet(band_song(seed=i)) for i in range(2)]
    for lead in leads:
        lead.parts = {"melody": lead.parts["melody"], "comp": lead.parts["comp"]}
    prof = learn_profile(leads, "duo")
    assert prof.program("drums") is None and not prof.has("drums") and prof.has("comp")
    assert prof.program("bass", default=42) == 42


def test_profile_is_json_data_and_loads_back(tmp_path):
    prof = learn_profile(_swing_genre(), "jazzish")
    path = save_profile(prof, tmp_path / "jazzish.json")
    data = json.loads(path.read_text())
    assert data["format"] == "midistyle-genre-profile" and data["genre"] == "jazzish"
    assert load_profile(path) == prof
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(InputError, match="not a readable genre profile"):
        load_profile(tmp_path / "bad.json")


def test_profile_folder_reads_midi_files_and_reports_skips(tmp_path):
    for i in range(2):
        write_midi(band_song(swing=2 / 3, bass_program=32, ride=True, seed=i), tmp_path / "g" / f"{i}.mid")
    (tmp_path / "g" / "broken.mid").write_bytes(b"MThd garbage")
    prof, report = profile_folder(tmp_path / "g", reader=lambda p: lead_sheet(read(p)))
    assert prof.genre == "g" and prof.songs == 2 and report["files"] == 3
    assert list(report["skipped"]) == [str(tmp_path / "g" / "broken.mid")]
    assert prof.program("bass") == 32 and prof.swing == pytest.approx(2 / 3, abs=0.01)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no usable song among 0"):
        profile_folder(tmp_path / "empty", reader=lambda p: lead_sheet(read(p)))
    with pytest.raises(InputError, match="no such folder"):
        profile_folder(tmp_path / "missing", reader=lambda p: lead_sheet(read(p)))


def test_parts_split_out_of_a_piano_do_not_vote_for_instruments():
    from midistyle.analysis.leadsheet import LeadSheet
    from midistyle.representation import Track

    band = lead_sheet(band_song(bass_program=32))
    s = band.song
    piano = s.tracks[2]
    solo = s.with_tracks([piano])
    low = Track("Piano (bass)", 0, False, piano.start[:4], piano.end[:4], piano.pitch[:4] - 24, piano.velocity[:4])
    split = LeadSheet(solo, {"melody": [piano], "bass": [low]}, ["split"], [], 0)
    prof = learn_profile([band, split], "trio")
    bass = prof.roles["bass"]
    assert bass["share"] == 1.0 and bass["own_tracks"] == 1 and bass["programs"] == {"32": 1.0}
    only_split = learn_profile([split], "solo")
    assert only_split.roles["bass"]["programs"] == {} and only_split.program("bass") is None


def test_a_genre_split_between_straight_and_swung_songs_plays_its_swung_songs_feel():
    mixed = _swing_genre()[:2] + _straight_genre()  # 2 of 5 songs swing: the median is straight
    prof = learn_profile(mixed, "mixed")
    assert prof.swing == pytest.approx(0.5, abs=0.01) and prof.feel["swung_share"] == pytest.approx(0.4)
    assert swing_or_straight(prof) == pytest.approx(2 / 3, abs=0.02)  # the swung songs' ratio, not 0.5-0.6
    mostly_straight = learn_profile(_swing_genre()[:1] + _straight_genre(), "straightish")  # 1 of 4
    assert swing_or_straight(mostly_straight) == 0.5
