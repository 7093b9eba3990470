"""Bar typicality: a genre's distinctive bars outweigh its generic ones among equal chord fits."""
from __future__ import annotations

import dataclasses

import numpy as np

from midistyle.arrangement.encode import encode
from midistyle.arrangement.retrieve import arrangement_bars, build_bank, load_bank, retrieve, save_bank, shift_roll
from midistyle.arrangement.typical import bar_features, fit_typicality

from tests.arrangement_fixtures import band_song, lead_sheet


def _bank(genre: str, *songs):
    return build_bank([r for i, s in enumerate(songs) for r in arrangement_bars(encode(lead_sheet(s)), i)],
                      genre, encode(lead_sheet(songs[0])).cfg)


def _sparse(bank):
    """The bank with its comping held: one onset a bar, sounding to the bar's end."""
    comp = np.zeros_like(bank.comp)
    held = bank.comp[:, 1] | bank.comp[:, 0]
    comp[:, 1] = held.any(axis=1, keepdims=True) & (np.arange(comp.shape[2])[None, :, None] < bank.length[:, None, None])
    comp[:, 0, 0] = held.any(axis=1)
    return dataclasses.replace(bank, comp=comp)


def test_bar_features_are_the_same_at_any_transposition():
    bank = _bank("band", band_song())
    up = dataclasses.replace(bank, bass=shift_roll(bank.bass, 5), comp=shift_roll(bank.comp, 5))
    a, b = bar_features(bank), bar_features(up)
    assert a.shape == (bank.n_bars, b.shape[1]) and np.isfinite(a).all()
    moved = np.flatnonzero(np.abs(b - a).max(axis=0) > 1e-9)
    assert moved.size == 2  # the mean pitch of each role (bass, comp) moves with it; nothing else does
    np.testing.assert_allclose(b[:, moved] - a[:, moved], 0.05, atol=1e-6)


def test_a_genres_bars_most_like_another_genre_are_its_least_typical():
    busy = _bank("busy", band_song(), band_song(seed=1))
    held = _sparse(_bank("held", band_song(seed=2)))
    # "busy" also holds two bars played like "held"
    mixed = dataclasses.replace(busy, comp=busy.comp.copy())
    mixed.comp[:2] = _sparse(busy).comp[:2]
    typical = fit_typicality({"busy": mixed, "held": held})
    assert typical["busy"].shape == (busy.n_bars,) and typical["busy"].dtype == np.float32
    assert typical["busy"][:2].max() < typical["busy"][2:].min()
    assert abs(float(typical["busy"].mean())) < 1e-5  # z-scored within its bank
    assert not fit_typicality({"busy": busy})["busy"].any()  # one genre: nothing to tell apart


def test_retrieval_prefers_the_typical_bar_among_equal_fits_and_the_bank_keeps_it(tmp_path):
    busy = _bank("busy", band_song())
    both = _bank("busy", band_song(), band_song())  # every bar twice: song 0 and song 1 fit alike
    held = _sparse(both)
    bank = dataclasses.replace(both, comp=np.concatenate([held.comp[:6], both.comp[6:]]))
    arr = encode(lead_sheet(band_song()))
    for favour, want in ((1.0, both.comp[6:]), (-1.0, held.comp[:6])):
        typical = np.where(np.arange(bank.n_bars) < 6, -favour, favour).astype(np.float32)
        parts = retrieve(arr, dataclasses.replace(bank, typical=typical), typical_weight=0.3)
        got = np.concatenate([parts["comp"][:, a:b] for a, b in zip(arr.bar_starts[:-1], arr.bar_starts[1:])], axis=1)
        np.testing.assert_array_equal(got[0].any(axis=1), np.concatenate([w[0, :n].any(axis=1) for w, n in zip(want, busy.length)]))
    back = load_bank(save_bank(dataclasses.replace(bank, typical=typical), tmp_path / "bank"))
    np.testing.assert_array_equal(back.typical, typical)
    assert load_bank(save_bank(bank, tmp_path / "plain")).typical is None
