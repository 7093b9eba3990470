"""Metrics on hand-built, asymmetric rolls (expected values worked out in comments) and against MusPy."""
from __future__ import annotations

import math

import numpy as np
import pytest

from midistyle.config import RollConfig
from midistyle.evaluate import metrics as M

CFG = RollConfig()  # steps_per_beat=4, pitches 24..107
PIANO = RollConfig(low_pitch=21, high_pitch=108)  # column j is NOT pitch class j % 12 here


def roll(notes, n_steps, cfg=CFG, n_tracks=None):
    """(onset, sustain) from (start, end, midi_pitch[, track]) tuples; end exclusive."""
    shape = (n_steps, cfg.n_pitches) if n_tracks is None else (n_tracks, n_steps, cfg.n_pitches)
    on, sus = np.zeros(shape, bool), np.zeros(shape, bool)
    for start, end, pitch, *track in notes:
        idx = (*track, slice(start, end), pitch - cfg.low_pitch)
        sus[idx] = True
        on[(*track, start, pitch - cfg.low_pitch)] = True
    return on, sus


# ----------------------------------------------------------------------------- note reading
def test_note_array_splits_repeats_and_starts_orphan_sustain():
    on, sus = roll([(0, 2, 60), (2, 6, 60), (8, 10, 64)], 12)
    on[8, 64 - 24] = False  # a sustain run without onset still starts a note
    notes = M.note_array(on, sus)
    # rows: (track, start, end, column); the held C4 is two notes because of the onset at step 2
    assert notes.tolist() == [[0, 0, 2, 36], [0, 2, 6, 36], [0, 8, 10, 40]]


def test_float_rolls_threshold_at_half():
    on, sus = roll([(0, 4, 60)], 8)
    noisy = sus.astype(np.float32) * 0.9 + 0.2  # 0.2 everywhere off, 1.1 on
    assert M.note_array(on.astype(np.float32), noisy).tolist() == [[0, 0, 4, 36]]


def test_pitch_class_histogram_uses_midi_pitch_not_column():
    # With low_pitch 21 (A0), column 0 is A (pitch class 9), not C.
    on, sus = roll([(0, 8, 21), (0, 1, 60), (2, 3, 60), (4, 5, 71)], 8, PIANO)
    hist = M.pitch_class_histogram(on, sus, PIANO)
    expected = np.zeros(12)
    expected[[9, 0, 11]] = [1, 2, 1]  # A once (held 8 steps: still one note), C twice, B once
    np.testing.assert_array_equal(hist, expected)


# ----------------------------------------------------------------------------- musicality
def test_pitch_class_entropy_counts_notes_not_steps():
    # C4 twice (short), E4 once, G5 once but held for 12 steps.
    on, sus = roll([(0, 1, 60), (1, 2, 72), (2, 3, 64), (4, 16, 79)], 16)
    # per note: C 2/4, E 1/4, G 1/4 -> H = .5*1 + .25*2 + .25*2 = 1.5 bits
    assert M.pitch_class_entropy(on, sus, CFG) == pytest.approx(1.5)
    # per sounding step it would be C 2/15, E 1/15, G 12/15 -> about 0.92 bits, so this fails then
    assert math.isnan(M.pitch_class_entropy(*roll([], 16), CFG))


def test_scale_consistency_weights_by_note_count():
    # C D E F G A B once each, C# three times: 10 notes.
    notes = [(i, i + 1, p) for i, p in enumerate([60, 62, 64, 65, 67, 69, 71])]
    notes += [(8, 9, 61), (10, 11, 61), (12, 13, 61)]
    on, sus = roll(notes, 16)
    # C major holds 7/10; D major (D E F# G A B C#) holds D E G A B + 3 C# = 8/10 -> max 0.8
    assert M.scale_consistency(on, sus, CFG) == pytest.approx(0.8)


def test_polyphony_and_rate_use_strict_threshold_and_all_steps():
    # steps 0-1: C E G (3 pitches); steps 2-3: C E (2); steps 4-7: silent.
    on, sus = roll([(0, 4, 60), (0, 4, 64), (0, 2, 67)], 8)
    # polyphony = (3*2 + 2*2) / 4 sounding steps = 2.5
    assert M.polyphony(on, sus) == pytest.approx(2.5)
    # rate: steps with MORE than 2 pitches over all 8 steps = 2/8 (>= 2 would give 4/8)
    assert M.polyphony_rate(on, sus) == pytest.approx(0.25)
    assert M.polyphony_rate(on, sus, threshold=1) == pytest.approx(0.5)


def test_step_metrics_merge_tracks():
    # The same C4 in two tracks sounds as one pitch (MusPy's merged roll); notes count twice.
    on, sus = roll([(0, 4, 60, 0), (0, 4, 60, 1), (0, 4, 67, 1)], 8, n_tracks=2)
    assert M.polyphony(on, sus) == pytest.approx(2.0)
    assert M.musicality(on, sus, CFG, [0, 8])["n_notes"] == 3


def test_beat_bounds_follow_bars_of_any_length():
    # bars of 6 and 6 steps with 4 steps per beat: beats [0,4) [4,6) [6,10) [10,12)
    assert M.beat_bounds(CFG, [0, 6, 12]).tolist() == [0, 4, 6, 10, 12]


def test_empty_beat_rate_is_the_empty_share():
    # One 4/4 bar = 4 beats. A note over steps [0, 8) fills beats 0 and 1 and ends exactly on
    # beat 2's start (it must NOT count there); a note in [12, 16) fills beat 3. Beat 2 is empty.
    on, sus = roll([(0, 8, 60), (12, 16, 64)], 16)
    assert M.empty_beat_rate(on, sus, CFG, [0, 16]) == pytest.approx(0.25)  # inverted would be 0.75


def test_groove_consistency_counts_differing_positions():
    # Three 16-step bars. Onset steps: bar 0 {0,4,8,12}; bar 1 {0,4,8,12,14}; bar 2 {0,6}.
    notes = [(s, s + 1, 60) for s in (0, 4, 8, 12)]
    notes += [(16 + s, 16 + s + 1, 62) for s in (0, 4, 8, 12, 14)]
    notes += [(32, 33, 64), (38, 48, 65)]  # the held note in bar 2 gives one onset only
    on, sus = roll(notes, 48)
    # d(0,1) = 1 (step 14); d(1,2) = 5 (4, 8, 12, 14 lost, 6 new) -> 1 - (1/16 + 5/16)/2 = 0.8125
    assert M.groove_consistency(on, sus, [0, 16, 32, 48]) == pytest.approx(0.8125)
    assert math.isnan(M.groove_consistency(on, sus, [0, 48]))


def test_groove_consistency_with_bars_of_different_lengths():
    # 4/4 bar (16 steps) onsets {0, 8, 12}, then 3/4 bar (12 steps) onsets {0, 8}.
    on, sus = roll([(0, 1, 60), (8, 9, 60), (12, 13, 60), (16, 17, 60), (24, 25, 60)], 28)
    # compared over the longer bar: only step 12 differs -> 1 - 1/16
    assert M.groove_consistency(on, sus, [0, 16, 28]) == pytest.approx(1 - 1 / 16)


def test_zero_length_bars_are_dropped():
    # A bar rounded to zero steps (8, 8) must not count as a bar: groove compares bars 0 and 1 only.
    on, sus = roll([(0, 1, 60), (8, 9, 60)], 16)
    assert M.groove_consistency(on, sus, [0, 8, 8, 16]) == pytest.approx(M.groove_consistency(on, sus, [0, 8, 16]))
    assert M.beat_bounds(CFG, M.check_bar_starts([0, 8, 8, 16], 16)).tolist() == [0, 4, 8, 12, 16]


def test_no_tracks_and_no_notes():
    empty = np.zeros((0, 16, CFG.n_pitches), bool)
    got = M.musicality(empty, empty, CFG, [0, 16])
    assert got["empty_beat_rate"] == 1.0 and got["n_notes"] == 0
    assert math.isnan(got["pitch_class_entropy"]) and math.isnan(got["polyphony"])
    assert got["polyphony_rate"] == 0.0


def test_bad_bar_starts_raise():
    on, sus = roll([(0, 4, 60)], 16)
    for bad in ([0, 8], [4, 16], [0, 8, 4, 16], [[0, 16]]):
        with pytest.raises(ValueError):
            M.empty_beat_rate(on, sus, CFG, bad)


# ----------------------------------------------------------------------------- content
def test_pitch_class_overlap():
    src = roll([(0, 1, 60), (1, 2, 61), (2, 3, 64), (3, 4, 64)], 8)  # C .25, C# .25, E .5
    out = roll([(0, 1, 72), (1, 2, 62), (2, 3, 52), (3, 4, 76)], 8)  # C .25, D .25, E .5 (octaves moved)
    # min per class: C .25 + C#/D 0 + E .5 = 0.75 (binning C# with D would give 1.0)
    assert M.pitch_class_overlap(*src, *out, CFG) == pytest.approx(0.75)
    assert M.pitch_class_overlap(*src, *roll([], 8), CFG) == 0.0


def test_onset_match_tolerance_and_one_to_one():
    src = roll([(0, 1, 60), (4, 5, 64), (8, 9, 67), (12, 13, 72)], 16)
    # C4 exact, E4 one step late (inside +-1), G4 two late (outside), C5 -> C3 (same class), extra D4
    out = roll([(0, 1, 60), (5, 6, 64), (10, 11, 67), (12, 13, 48), (14, 15, 62)], 16)
    precision, recall, f1 = M.onset_match(*src, *out, CFG, tolerance=1)
    # 3 matched: precision 3/5, recall 3/4, F1 = 2*3/(4+5) = 2/3
    assert (precision, recall, f1) == pytest.approx((0.6, 0.75, 2 / 3))
    assert M.onset_match(*src, *out, CFG, tolerance=2)[0] == pytest.approx(4 / 5)
    # two output notes near one source note: only one may match it
    one, two = roll([(4, 5, 60)], 16), roll([(4, 5, 60), (5, 6, 60)], 16)
    assert M.onset_match(*one, *two, CFG, tolerance=1) == pytest.approx((0.5, 1.0, 2 / 3))


def _max_matching(a, b, tol):
    """Maximum bipartite matching by augmenting paths (independent of the greedy in metrics)."""
    owner = {}

    def augment(i, seen):
        for j, y in enumerate(b):
            if abs(a[i] - y) <= tol and j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(a)))


def test_onset_match_greedy_equals_maximum_matching():
    rng = np.random.default_rng(7)
    for _ in range(200):
        a = np.sort(rng.integers(0, 20, rng.integers(0, 8)))
        b = np.sort(rng.integers(0, 20, rng.integers(0, 8)))
        tol = int(rng.integers(0, 3))
        assert M.match_count(a, b, tol) == _max_matching(list(a), list(b), tol)


def test_chroma_similarity():
    # Four beats. beat 0: C vs C an octave up -> cos 1; beat 1: C+E (2 steps each) vs E (4 steps)
    # -> (2*4) / (sqrt(8) * 4) = 0.7071; beat 2 silent in both -> skipped; beat 3: src only -> 0.
    src = roll([(0, 6, 60), (6, 8, 64), (12, 16, 67)], 16)
    out = roll([(0, 4, 72), (4, 8, 64)], 16)
    expected = (1 + 1 / math.sqrt(2) + 0) / 3
    assert M.chroma_similarity(*src, *out, CFG, [0, 16]) == pytest.approx(expected)


def test_note_count_ratio_and_content_keys():
    src = roll([(0, 2, 60), (2, 4, 60), (4, 8, 64), (8, 9, 67)], 16)  # 4 notes (a repeat counts)
    out = roll([(0, 4, 60), (4, 5, 64), (5, 6, 64), (8, 9, 67), (9, 10, 67)], 16)  # 5 notes
    assert M.note_count_ratio(*src, *out) == pytest.approx(1.25)
    got = M.content(*src, *out, CFG, [0, 16])
    assert tuple(got) == M.CONTENT_KEYS
    assert got["note_count_ratio"] == pytest.approx(1.25)
    same = M.content(*src, *src, CFG, [0, 16])
    assert all(v == pytest.approx(1.0) for v in same.values())


def test_content_rejects_different_grids():
    with pytest.raises(ValueError):
        M.content(*roll([(0, 1, 60)], 16), *roll([(0, 1, 60)], 32), CFG, [0, 16])


# ----------------------------------------------------------------------------- strength
def test_transfer_strength():
    # per sample: .5*((.9-.2) + (.7-.2)) = .6 and .5*((.8-.4) + (.6-.4)) = .3 -> mean .45
    assert M.transfer_strength([0.9, 0.8], [0.2, 0.4], [0.7, 0.6]) == pytest.approx(0.45)


def test_target_rate_and_mean_gain():
    probs = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]]
    assert M.target_rate(probs, 1) == pytest.approx(0.5)
    assert M.target_rate(probs, 2) == pytest.approx(0.25)
    assert M.target_rate([0.9, 0.4, 0.6], 0) == pytest.approx(2 / 3)
    assert M.mean_gain([0.1, 0.2, 0.3], [0.4, 0.2, 0.9]) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        M.target_rate(probs, 3)


def test_mean_metrics_and_table():
    rows = [{"a": 1.0, "b": float("nan")}, {"a": 3.0, "b": 2.0}]
    assert M.mean_metrics(rows) == {"a": 2.0, "b": 2.0}
    table = M.metrics_table({"src": {"a": 1.0}, "out": {"a": 0.5}})
    assert "| a | 1.000 | 0.500 |" in table


# ----------------------------------------------------------------------------- against MusPy
def _random_notes(rng, n_steps, avoid_beat_ends):
    """Notes that never overlap on one pitch; ends off beat boundaries if asked."""
    notes = []
    for pitch in rng.choice(np.arange(40, 90), size=12, replace=False):
        t = int(rng.integers(0, 8))
        while t < n_steps - 2:
            end = min(t + int(rng.integers(1, 9)), n_steps - 1)
            if avoid_beat_ends and end % 4 == 0:
                end -= 1
            if end <= t:
                break
            notes.append((t, end, int(pitch)))
            t = end + int(rng.integers(0, 6))
    return notes


def _muspy_music(muspy, notes):
    track = muspy.Track(notes=[muspy.Note(time=s, pitch=p, duration=e - s, velocity=64) for s, e, p in notes])
    return muspy.Music(resolution=4, tracks=[track])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_muspy(seed):
    muspy = pytest.importorskip("muspy")
    rng = np.random.default_rng(seed)
    n_steps = 64  # four 4/4 bars
    # MusPy's song ends at the last note end and counts beat `end // 4` inclusively; keep every
    # end off a beat line and let one note end at step 63 so both sides see the same beats/bars.
    notes = _random_notes(rng, n_steps, avoid_beat_ends=True) + [(60, 63, 100)]
    music = _muspy_music(muspy, notes)
    on, sus = roll(notes, n_steps)
    bars = [0, 16, 32, 48, 64]
    assert M.pitch_class_entropy(on, sus, CFG) == pytest.approx(muspy.pitch_class_entropy(music))
    assert M.scale_consistency(on, sus, CFG) == pytest.approx(muspy.scale_consistency(music))
    assert M.polyphony(on, sus) == pytest.approx(muspy.polyphony(music))
    assert M.empty_beat_rate(on, sus, CFG, bars) == pytest.approx(muspy.empty_beat_rate(music))
    assert M.groove_consistency(on, sus, bars) == pytest.approx(muspy.groove_consistency(music, 16))
    # polyphony_rate divides by MusPy's song length (last note end): end a note at T exactly.
    notes = _random_notes(rng, n_steps, avoid_beat_ends=False) + [(60, 64, 100)]
    music = _muspy_music(muspy, notes)
    on, sus = roll(notes, n_steps)
    for threshold in (1, 2):
        assert M.polyphony_rate(on, sus, threshold) == pytest.approx(muspy.polyphony_rate(music, threshold))


def test_musicality_keys():
    on, sus = roll([(0, 4, 60), (4, 8, 64)], 16)
    got = M.musicality(on, sus, CFG, [0, 16])
    assert tuple(got)[:-1] == M.MUSICALITY_KEYS and got["n_notes"] == 2
    assert all(isinstance(v, (float, int)) for v in got.values())
    assert not any(isinstance(v, np.generic) for v in got.values())  # plain JSON-able numbers
