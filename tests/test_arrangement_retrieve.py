"""The retrieval arranger: real bars matched to a song's chords, transposed, saved as data."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from midistyle.analysis.leadsheet import Chord
from midistyle.arrangement.encode import encode, notes_chroma
from midistyle.arrangement.retrieve import arrangement_bars, build_bank, load_bank, retrieve, save_bank, shift_roll
from midistyle.errors import InputError

from tests.arrangement_fixtures import band_song, lead_sheet


def _arr(**kw):
    return encode(lead_sheet(band_song(**kw)))


def test_a_song_retrieved_from_a_bank_of_itself_gets_its_own_parts_back():
    arr = _arr()
    parts = retrieve(arr, build_bank(arrangement_bars(arr), "band", arr.cfg))
    np.testing.assert_array_equal(parts["bass"], arr.bass)
    np.testing.assert_array_equal(parts["comp"], arr.comp)
    np.testing.assert_array_equal(parts["drums"], arr.drums)


def test_a_transposed_chart_gets_the_bank_bars_transposed_to_it():
    arr = _arr()
    bank = build_bank(arrangement_bars(arr), "band", arr.cfg)
    lead = lead_sheet(band_song())
    lead.chords = [Chord(c.start, c.end, (c.root + 2) % 12, c.quality) for c in lead.chords]
    up = encode(lead)
    parts = retrieve(up, bank)
    # an equal bar may be picked an octave apart (F down 3 = C up 2): compare pitch classes
    for role in ("bass", "comp"):
        got, want = notes_chroma(parts[role][0], arr.cfg), notes_chroma(shift_roll(arr.__dict__[role], 2)[0], arr.cfg)
        np.testing.assert_array_equal(got, want)
        assert parts[role][0].sum() == arr.__dict__[role][0].sum()  # nothing pushed off the pitch range
    np.testing.assert_array_equal(parts["drums"], arr.drums)  # drums are never transposed


def test_a_bank_without_drums_writes_none_and_an_empty_bank_is_an_error():
    arr = _arr()
    no_drums = dataclasses.replace(arr, drums=np.zeros_like(arr.drums))
    parts = retrieve(arr, build_bank(arrangement_bars(no_drums), "quiet", arr.cfg))
    assert not parts["drums"].any() and parts["bass"][0].any()
    empty = dataclasses.replace(no_drums, bass=np.zeros_like(arr.bass), comp=np.zeros_like(arr.comp))
    with pytest.raises(InputError, match="holds no bars"):
        retrieve(arr, build_bank(arrangement_bars(empty), "silent", arr.cfg))


def test_bars_of_other_lengths_are_cut_or_repeated_to_fit():
    arr = _arr()
    bank = build_bank(arrangement_bars(arr), "band", arr.cfg)
    three_four = bank.length != bank.length.max()
    assert three_four.any()
    keep = ~three_four
    small = dataclasses.replace(bank, chroma=bank.chroma[keep], length=bank.length[keep], bass=bank.bass[keep],
                                comp=bank.comp[keep], drums=bank.drums[keep], song=bank.song[keep],
                                bar=bank.bar[keep])
    parts = retrieve(arr, small)  # 4/4 bars only, asked for 3/4 bars too
    last = slice(int(arr.bar_starts[-2]), int(arr.bar_starts[-1]))
    assert parts["drums"][last].any() and parts["bass"][0, last].any()


def test_bank_round_trips_through_its_files(tmp_path):
    arr = _arr()
    bank = build_bank([*arrangement_bars(arr), *arrangement_bars(_arr(swing=0.66, ride=True), 1)], "band", arr.cfg, max_bars=9, seed=3)
    assert bank.n_bars == 9
    back = load_bank(save_bank(bank, tmp_path / "bank"))
    for name in ("chroma", "length", "bass", "comp", "drums", "song", "bar"):
        np.testing.assert_array_equal(getattr(back, name), getattr(bank, name))
    assert back.cfg == bank.cfg and back.genre == "band"
    (tmp_path / "bank" / "bank.json").write_text("{}")
    with pytest.raises(InputError, match="not a readable arrangement bank"):
        load_bank(tmp_path / "bank")


def test_required_roles_pick_bars_that_play_them_all():
    arr = _arr()
    no_drums = dataclasses.replace(arr, drums=np.zeros_like(arr.drums))
    # the drumless copy matches the chords just as well and comes first
    bank = build_bank([*arrangement_bars(no_drums, 0), *arrangement_bars(arr, 1)], "mixed", arr.cfg)
    parts = retrieve(arr, bank, require=("bass", "drums"))
    for a, b in zip(arr.bar_starts[:-1], arr.bar_starts[1:]):
        assert parts["drums"][a:b].any(), "every bar comes from a song that plays drums"
    np.testing.assert_array_equal(parts["drums"], arr.drums)
