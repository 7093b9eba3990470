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


def test_scores_are_the_cosine_of_the_chord_cores_with_each_bank_bar_transposed_by_each_shift():
    from midistyle.arrangement.retrieve import SHIFTS, _scores, chord_core, shifted_cores

    arr = _arr()
    bank = build_bank(arrangement_bars(arr), "band", arr.cfg)
    query = np.random.default_rng(1).random(bank.chroma.shape[1:]).astype(np.float32)
    got = _scores(shifted_cores(bank), query)
    assert got.shape == (bank.n_bars, len(SHIFTS))
    q = chord_core(query)
    for n in range(bank.n_bars):
        for i, k in enumerate(SHIFTS):
            up = chord_core(bank.chroma[n][:, (np.arange(12) - k) % 12])  # pitch class c moves to c + k
            want = (up * q).sum() / np.linalg.norm(up) / np.linalg.norm(q)
            assert got[n, i] == pytest.approx(want, abs=1e-5)


C, E, G, B, A, F, D, EB = 0, 4, 7, 11, 9, 5, 2, 3


def _weights(core: np.ndarray) -> dict[int, float]:
    return {int(pc): float(core[pc]) for pc in np.flatnonzero(core)}


def test_a_chords_core_is_its_root_third_and_fifth_whatever_its_colour():
    from midistyle.arrangement.retrieve import chord_core

    def core(*classes, level=1.0):
        x = np.zeros(12, np.float32)
        x[list(classes)] = level
        return _weights(chord_core(x))

    triad = {C: 2.0, E: 1.0, G: 1.0}
    assert core(C, E, G) == core(C, E, G, B) == core(C, E, G, 10) == core(C, E, G, B, level=0.3) == triad
    assert core(A, C, E, G) == {A: 2.0, C: 1.0, E: 1.0}  # Am7, not C6: a 7th is read first
    assert core(D, F, A, C) == {D: 2.0, F: 1.0, A: 1.0}  # Dm7
    assert core(C, G) == {C: 2.0, G: 1.0}  # a bare fifth keeps its root
    assert core() == {}  # a silent beat has no core
    half = np.zeros(12, np.float32)
    half[[C, E, G]], half[B] = 1.0, 0.2  # a passing class under half the loudest is not the chord
    assert _weights(chord_core(half)) == triad
    beats = np.zeros((3, 12), np.float32)
    beats[0, [C, E, G, B]], beats[2, [F, A, C]] = 1.0, 1.0
    cores = chord_core(beats)
    assert cores.shape == (3, 12) and _weights(cores[0]) == triad and not cores[1].any()
    assert _weights(cores[2]) == {F: 2.0, A: 1.0, C: 1.0}


def _chord_bar(song: int, classes, cfg, bar: int = 0, bass_pitch: int | None = None):
    """One 4/4 bar holding a chord: its chroma, the chord in the comping, ``bass_pitch`` (default:
    its first class in octave 2) in the bass."""
    from midistyle.arrangement.retrieve import BarRecord
    from midistyle.representation.drums import LANES

    steps = 4 * cfg.steps_per_beat
    chroma = np.zeros((steps, 12), np.float32)
    chroma[:, list(classes)] = 1.0
    bass, comp = np.zeros((2, steps, cfg.n_pitches), bool), np.zeros((2, steps, cfg.n_pitches), bool)
    low = (36 + classes[0] if bass_pitch is None else bass_pitch) - cfg.low_pitch
    bass[0, 0, low] = bass[1, :, low] = True
    for pc in classes:
        comp[0, 0, 60 + pc - cfg.low_pitch] = comp[1, :, 60 + pc - cfg.low_pitch] = True
    return BarRecord(song, bar, chroma, bass, comp, np.zeros((steps, len(LANES)), bool))


def _played(parts: dict, role: str, arr) -> list[set[int]]:
    """Pitch classes each bar's part of ``role`` sounds."""
    sounding = notes_chroma(parts[role][1], arr.cfg)
    return [set(np.flatnonzero(sounding[a:b].any(axis=0)).tolist())
            for a, b in zip(arr.bar_starts[:-1], arr.bar_starts[1:])]


def _query(classes):
    arr = _arr()
    chroma = np.zeros_like(arr.chroma)
    chroma[:, list(classes)] = 1.0
    return dataclasses.replace(arr, chroma=chroma)


@pytest.mark.parametrize("seed", range(4))
def test_a_seventh_chord_bar_wins_a_triad_of_its_root_over_a_wrong_root_holding_the_triad(seed):
    arr = _query((C, E, G))  # C major throughout
    cfg = arr.cfg
    # Fmaj7 (transposed down 5: Cmaj7); Am7 sounds C, E and G too but its root is A; E minor
    bank = build_bank([_chord_bar(0, (F, A, C, 4), cfg), _chord_bar(1, (A, C, E, G), cfg),
                       _chord_bar(2, (E, G, B), cfg)], "colour", cfg)
    parts = retrieve(arr, bank, seed=seed)
    assert all(bar == {C, E, G, B} for bar in _played(parts, "comp", arr))  # Cmaj7, its colour kept
    assert all(bar == {C} for bar in _played(parts, "bass", arr))  # the song's root


@pytest.mark.parametrize("seed", range(4))
def test_a_wrong_root_loses_to_the_right_root_of_another_quality(seed):
    arr = _query((C, E, G))
    cfg = arr.cfg
    # Am7 holds every class of C major; C minor has its root and fifth
    bank = build_bank([_chord_bar(0, (A, C, E, G), cfg), _chord_bar(1, (C, EB, G), cfg)], "roots", cfg)
    parts = retrieve(arr, bank, seed=seed)
    assert all(bar == {C} for bar in _played(parts, "bass", arr))


def test_colour_costs_nothing_and_a_coloured_query_takes_a_plain_bar_of_its_root():
    from midistyle.arrangement.retrieve import _scores, shifted_cores

    cfg = _arr().cfg
    bank = build_bank([_chord_bar(0, (C, E, G), cfg), _chord_bar(1, (C, E, G, 10), cfg),
                       _chord_bar(2, (A, C, E), cfg)], "plain", cfg)
    for query in ((C, E, G), (C, E, G, B)):
        q = np.zeros(bank.chroma.shape[1:], np.float32)
        q[:, list(query)] = 1.0
        scores = _scores(shifted_cores(bank), q)[:, 5]  # shift 0
        assert scores[0] == pytest.approx(1.0) and scores[1] == pytest.approx(1.0)  # C, C7
        assert scores[2] < 0.6  # A minor


def _alternating(*charts):
    """The band song's grid with its bars' chords cycling through ``charts`` (pitch-class tuples)."""
    arr = _arr()
    chroma = np.zeros_like(arr.chroma)
    for i, (a, b) in enumerate(zip(arr.bar_starts[:-1], arr.bar_starts[1:])):
        chroma[a:b, list(charts[i % len(charts)])] = 1.0
    return dataclasses.replace(arr, chroma=chroma)


def _bass_lines(parts, arr) -> list[int]:
    """The lowest bass pitch of each bar."""
    cfg = arr.cfg
    return [int(np.flatnonzero(parts["bass"][0, a:b].any(axis=0))[0]) + cfg.low_pitch
            for a, b in zip(arr.bar_starts[:-1], arr.bar_starts[1:])]


def _teacher(cfg, song: int = 9):
    """A real song of the bank whose bass moves a 5th up or a 4th down at every bar line (A2 E3 A2 E3),
    on minor chords no major bar of the query can take."""
    return [_chord_bar(song, (A, C, E), cfg, bar=i, bass_pitch=45) if i % 2 == 0 else
            _chord_bar(song, (E, G, B), cfg, bar=i, bass_pitch=52) for i in range(6)]


def _leap_bank(cfg):
    """C with its bass on C2; G twice: its bass on G2 (a 5th up) or on G3 (an octave and a 5th up)."""
    return build_bank([_chord_bar(0, (C, E, G), cfg), _chord_bar(1, (G, B, D), cfg, bass_pitch=55),
                       _chord_bar(2, (G, B, D), cfg, bass_pitch=43), *_teacher(cfg)], "leaps", cfg)


@pytest.mark.parametrize("seed", range(6))
def test_the_bass_leads_to_the_near_bar_of_the_same_chord_where_bars_picked_alone_leap(seed):
    arr = _alternating((C, E, G), (G, B, D))
    cfg = arr.cfg
    bank = _leap_bank(cfg)
    lines = _bass_lines(retrieve(arr, bank, seed=seed), arr)
    assert lines[:4] == [36, 43, 36, 43]
    moves = np.abs(np.diff(lines))
    assert moves.max() <= 12, lines


def test_bars_picked_alone_leap_on_that_bank():
    arr = _alternating((C, E, G), (G, B, D))
    cfg = arr.cfg
    bank = _leap_bank(cfg)
    leaps = [np.abs(np.diff(_bass_lines(retrieve(arr, bank, seed=s, voice_weight=0.0), arr))).max() for s in range(6)]
    assert max(leaps) > 12  # without the motion term, ties fall anywhere: the test above can fail


def test_the_same_seed_gives_the_same_parts():
    arr = _arr()
    bank = build_bank([*arrangement_bars(arr), *arrangement_bars(_arr(swing=0.66, ride=True), 1),
                       *arrangement_bars(_arr(seed=2), 2)], "band", arr.cfg)
    query = _alternating((C, E, G), (A, C, E), (F, A, C), (G, B, D))
    one, two = retrieve(query, bank, seed=5), retrieve(query, bank, seed=5)
    for role in ("bass", "comp", "drums"):
        np.testing.assert_array_equal(one[role], two[role])


@pytest.mark.parametrize("seed", range(4))
def test_a_wrong_root_never_wins_for_smoothness_alone(seed):
    arr = _alternating((C, E, G), (G, B, D))
    cfg = arr.cfg
    # for the G bars: E minor, its bass on G2 a 5th above the C, or G major with its bass on G3
    bank = build_bank([_chord_bar(0, (C, E, G), cfg), _chord_bar(1, (E, G, B), cfg, bass_pitch=43),
                       _chord_bar(2, (G, B, D), cfg, bass_pitch=55), *_teacher(cfg)], "roots", cfg)
    parts = retrieve(arr, bank, seed=seed, voice_weight=100.0)  # smoothness weighed far above the chords
    played = _played(parts, "comp", arr)
    assert played[1] == played[3] == {G, B, D}
    assert [p % 12 for p in _bass_lines(parts, arr)[:4]] == [C, G, C, G]


def test_bass_motion_is_learned_from_consecutive_bars_of_the_same_song(tmp_path):
    from midistyle.arrangement.voicelead import bass_ends

    cfg = _arr().cfg
    bars = _teacher(cfg)
    bank = build_bank([_chord_bar(0, (C, E, G), cfg), *bars], "teach", cfg)
    first, last = bass_ends(bank.bass[:, 0])
    assert (first + cfg.low_pitch).tolist() == (last + cfg.low_pitch).tolist() == [36, 45, 52, 45, 52, 45, 52]
    motion = load_bank(save_bank(bank, tmp_path / "bank")).motion  # learned at load from the arrays
    assert motion.next.tolist() == [-1, 2, 3, 4, 5, 6, -1]  # song 0's bar has no next bar; the teacher's chain
    up, down, octave = (motion.step_score(np.array(45 - cfg.low_pitch), np.array(45 + d - cfg.low_pitch))
                        for d in (7, -7, 12))
    assert up == down == 0.0 and octave < -2.0  # both steps seen make up the common mass, an octave never
    assert motion.step_score(np.array(-1), np.array(5)) == 0.0  # a bar without bass costs nothing
