"""evaluate/arrangement.py: content measures, judges' rates and the ship bar, on songs built in code."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from midistyle.arrangement.feel import apply_swing
from midistyle.evaluate import arrangement as ev
from midistyle.representation import Song
from tests.arrangement_fixtures import band_song
from tests.midi_fixtures import song


def _edit_melody(s: Song, fn) -> Song:
    """A copy with the Flute (the fixture's melody) changed by ``fn(track) -> track``."""
    return s.with_tracks([fn(t) if t.name == "Flute" else t for t in s.tracks])


def identity(s, target):
    return s


def up_a_tone(s, target):
    return _edit_melody(s, lambda t: t.replace_notes(t.start, t.end, t.pitch + 2, t.velocity))


def swung(s, target):
    return _edit_melody(s, lambda t: t.replace_notes(apply_swing(t.start, 2 / 3), apply_swing(t.end, 2 / 3),
                                                     t.pitch, t.velocity))


@dataclasses.dataclass
class FakeJudge:
    """Calls every song with drums ``drums_genre`` and every other song ``other``."""

    genres: tuple = ("jazz", "folk")
    drums_genre: str = "jazz"
    other: str = "folk"

    def _p(self, drummed: bool) -> np.ndarray:
        return np.array([0.9, 0.1]) if (self.drums_genre if drummed else self.other) == "jazz" else np.array([0.2, 0.8])

    def song_proba(self, s):
        return self._p(bool(s.drums))

    def prepared(self, s):
        return s

    def predict_proba(self, features):
        from midistyle.style.arrangement import ARRANGEMENT_NAMES
        return self._p(features[ARRANGEMENT_NAMES.index("drums")] > 0)


def test_melody_is_the_flute_and_identity_keeps_everything():
    band = band_song()
    on, pitch, names = ev.melody(band)
    assert names == ["Flute"] and on.size == band.tracks[0].n_notes
    rec = ev.measure(band, identity(band, "jazz"), ev.Judges())
    assert rec["melody_f1"] == 1.0 and rec["melody_kept"] == 1.0 and rec["melody_from"] == "names"
    assert rec["chroma"] == pytest.approx(1.0)
    assert rec["notes"] is None and rec["arrangement"] is None  # no judges given
    assert rec["markers"]["drums"] == 1.0 and "piano" in rec["markers"]["families"]


def test_a_melody_up_a_tone_scores_zero_and_the_harmony_drops():
    band = band_song()
    rec = ev.measure(band, up_a_tone(band, "jazz"), ev.Judges())
    assert rec["melody_f1"] == 0.0 and rec["melody_kept"] == 0.0
    assert rec["chroma"] < 1.0


def test_a_swung_melody_keeps_f1_one():
    band = band_song()
    out = swung(band, "jazz")
    assert not np.allclose(out.tracks[0].start, band.tracks[0].start)  # the off-beats moved
    assert ev.measure(band, out, ev.Judges())["melody_f1"] == 1.0
    # a melody a whole 8th late is not the melody any more
    late = _edit_melody(band, lambda t: t.replace_notes(t.start + 0.5, t.end + 0.5, t.pitch, t.velocity))
    assert ev.measure(band, late, ev.Judges())["melody_f1"] < 0.5


def test_renamed_tracks_fall_back_to_reading_the_output():
    band = band_song()
    renamed = band.with_tracks([dataclasses.replace(t, name=f"T{i}") for i, t in enumerate(band.tracks)])
    rec = ev.measure(band, renamed, ev.Judges())
    assert rec["melody_from"] == "roles" and rec["melody_f1"] == 1.0


def test_unnamed_tracks_are_read_by_role_not_lumped_together():
    band = band_song()
    unnamed = band.with_tracks([dataclasses.replace(t, name="") for t in band.tracks])
    rec = ev.measure(unnamed, unnamed, ev.Judges())
    assert rec["melody_from"] == "roles" and rec["melody_f1"] == 1.0


def test_matching_agrees_with_mir_eval():
    mir_eval = pytest.importorskip("mir_eval")
    rng = np.random.default_rng(3)
    for _ in range(20):
        ref = (np.sort(rng.uniform(0, 16, 30)), rng.integers(60, 64, 30))
        est = (np.sort(rng.uniform(0, 16, 25)), rng.integers(60, 64, 25))
        hz = lambda p: 440.0 * 2 ** ((p - 69) / 12)  # noqa: E731
        pairs = mir_eval.transcription.match_notes(
            np.c_[ref[0], ref[0] + 0.1], hz(ref[1]), np.c_[est[0], est[0] + 0.1], hz(est[1]),
            onset_tolerance=ev.TOLERANCE - 1e-9, pitch_tolerance=1.0, offset_ratio=None)
        assert ev.matched(ref, est) == len(pairs)


def test_bar_chroma_against_hand_counts():
    major = song([("P", 0, False, [(0, 4, 60, 80), (0, 4, 64, 80), (0, 4, 67, 80), (4, 6, 60, 80), (6, 8, 62, 80)])])
    minor = song([("P", 0, False, [(0, 4, 60, 80), (0, 4, 63, 80), (0, 4, 67, 80)])])
    chroma = ev.bar_chroma(major, np.array([0.0, 4.0, 8.0]))
    assert chroma[0, [0, 4, 7]].tolist() == [4, 4, 4] and chroma[1, [0, 2]].tolist() == [2, 2]
    assert chroma.sum() == 16
    # bar 1: C-E-G against C-Eb-G shares 2 of 3 classes (cos 2/3); bar 2: nothing sounds in the output
    assert ev.chroma_similarity(major, minor) == pytest.approx(np.median([2 / 3, 0.0]))


def test_an_output_in_another_tempo_map_is_read_in_the_source_quarters():
    band = band_song()
    # the same performance written at double tempo: every quarter position doubles, the seconds stay
    doubled = Song([t.replace_notes(t.start * 2, t.end * 2, t.pitch, t.velocity) for t in band.tracks],
                   [(q * 2, bpm * 2) for q, bpm in band.tempos], band.time_signatures, source="x")
    back = ev.in_frame(doubled, band)
    assert np.allclose(back.tracks[0].start, band.tracks[0].start)
    assert ev.measure(band, doubled, ev.Judges())["melody_f1"] == 1.0


def test_run_reference_summary_and_bar():
    drummed, bare = band_song(), band_song().with_tracks(band_song().tracks[:3])
    bare.source, drummed.source = "folk-song", "jazz-song"
    judges = ev.Judges(notes=FakeJudge(), arrangement=FakeJudge())

    def add_drums(s, target):  # a 'jazz' converter: the band with its drums
        return drummed if target == "jazz" else up_a_tone(s, target)

    out = ev.run([(drummed, "jazz"), (bare, "folk")], add_drums, ["jazz", "folk"], judges)
    assert [r["from"] for r in out["jazz"]] == ["folk"] and [r["from"] for r in out["folk"]] == ["jazz"]
    jazz = ev.summary(out["jazz"], "jazz", judges)
    assert jazz["notes"] == 1.0 and jazz["arrangement"] == 1.0 and jazz["melody_f1"] == 1.0
    folk = ev.summary(out["folk"], "folk", judges)
    assert folk["arrangement"] == 0.0 and folk["melody_f1"] == 0.0  # up a tone, drums kept
    real = ev.reference([drummed, drummed], "jazz", judges)
    assert real["notes"] == 1.0 and real["markers"]["drums"] == 1.0
    assert ev.check(jazz, real)["pass"] is True
    assert ev.check(folk, ev.reference([bare], "folk", judges))["pass"] is False


def test_a_failing_converter_is_recorded_and_fails_everything():
    def broken(s, target):
        raise RuntimeError("no model")

    judges = ev.Judges(arrangement=FakeJudge())
    out = ev.run([(band_song(), "jazz")], broken, ["folk"], judges)
    rec = out["folk"][0]
    assert rec["error"] == "RuntimeError: no model"
    summ = ev.summary(out["folk"], "folk", judges)
    assert summ["errors"] == 1 and summ["melody_f1"] == 0.0 and summ["arrangement"] == 0.0
    assert summ["notes"] is None  # no notes judge: no rate, and the bar cannot pass on it
    assert ev.check(summ, {"notes": 0.5, "arrangement": 0.5})["pass"] is False


@pytest.mark.parametrize("numbers, expected", [
    (dict(notes=0.60, arrangement=0.50, melody_f1=0.95, chroma=0.80), dict(notes=True, arrangement=True, melody=True, harmony=True, pass_=True)),
    (dict(notes=0.50, arrangement=0.50, melody_f1=0.95, chroma=0.80), dict(notes=False, arrangement=True, melody=True, harmony=True, pass_=False)),
    (dict(notes=0.60, arrangement=0.40, melody_f1=0.95, chroma=0.80), dict(notes=True, arrangement=False, melody=True, harmony=True, pass_=False)),
    (dict(notes=0.60, arrangement=0.50, melody_f1=0.89, chroma=0.80), dict(notes=True, arrangement=True, melody=False, harmony=True, pass_=False)),
    (dict(notes=0.60, arrangement=0.50, melody_f1=0.95, chroma=0.69), dict(notes=True, arrangement=True, melody=True, harmony=False, pass_=False)),
])
def test_bar_logic(numbers, expected):
    real = {"notes": 0.70, "arrangement": 0.50}  # 0.85 x 0.70 = 0.595; 0.85 x 0.50 = 0.425
    got = ev.check(numbers, real)
    assert got == {"unjudged": [], "within_noise": [], **{k.rstrip("_"): v for k, v in expected.items()}}


def test_a_genre_one_judge_does_not_know_passes_on_the_other_and_says_so():
    numbers = dict(notes=None, arrangement=0.50, melody_f1=0.95, chroma=0.80)
    got = ev.check(numbers, {"notes": None, "arrangement": 0.50})
    assert got["pass"] is True and got["notes"] is None and got["unjudged"] == ["notes"]
    assert ev.check({**numbers, "arrangement": 0.40}, {"notes": None, "arrangement": 0.50})["pass"] is False
    # no judge at all cannot pass
    assert ev.check({**numbers, "arrangement": None}, {"notes": None, "arrangement": None})["pass"] is False


# --- several converter seeds: pooling and the interval ------------------------------------------

def _interval_by_search(k, n, z=1.96):
    """The Wilson interval's definition solved on a fine grid: p with |k/n - p| <= z sqrt(p(1-p)/n)."""
    p = np.linspace(0.0, 1.0, 200001)
    inside = p[np.abs(k / n - p) <= z * np.sqrt(p * (1 - p) / n)]
    return inside.min(), inside.max()


@pytest.mark.parametrize("k, n", [(7, 19), (0, 19), (19, 19), (1, 4), (15, 57), (6.5, 19)])
def test_wilson_matches_its_definition(k, n):
    lo, hi = ev.wilson(k, n)
    want_lo, want_hi = _interval_by_search(k, n)
    assert lo == pytest.approx(want_lo, abs=1e-4) and hi == pytest.approx(want_hi, abs=1e-4)
    assert lo <= k / n <= hi


def test_wilson_known_values_symmetry_and_width():
    assert ev.wilson(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)  # the textbook zero-successes bound
    lo, hi = ev.wilson(7, 19)
    assert (lo, hi) == pytest.approx(tuple(1 - x for x in reversed(ev.wilson(12, 19))))
    assert hi - lo > ev.wilson(21, 57)[1] - ev.wilson(21, 57)[0]  # same share, more songs: narrower
    assert ev.wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        ev.wilson(5, 4)


def _rec(source, seed, p_jazz, error=False, f1=1.0):
    """A measured output as :func:`ev.run` records it: the arrangement judge gives jazz ``p_jazz``."""
    rec = {"source": source, "from": "folk", "seed": seed, "seconds": 0.1}
    if error:
        return {**rec, "error": "RuntimeError: x"}
    return {**rec, "melody_f1": f1, "melody_kept": 1.0, "chroma": 0.8, "melody_from": "names", "notes": None,
            "arrangement": {"jazz": p_jazz, "folk": 1 - p_jazz},
            "markers": {"straight8": 0.1, "triplet8": 0.0, "bass_walk": 0.0, "seventh": 0.0, "drums": 1.0,
                        "families": ["piano"]}}


def test_summary_pools_the_seeds_and_gives_each_seed_its_share():
    judges = ev.Judges(arrangement=FakeJudge())
    # 4 sources x 3 seeds; seed 0: 3 of 4 judged jazz, seed 1: 1 of 4, seed 2: 2 of 4 and one failed output
    calls = {0: [0.9, 0.8, 0.7, 0.2], 1: [0.9, 0.3, 0.2, 0.1], 2: [0.9, 0.6, 0.4, None]}
    records = [_rec(f"s{i}", seed, p, error=p is None, f1=0.5 if seed == 1 else 1.0)
               for seed, ps in calls.items() for i, p in enumerate(ps)]
    s = ev.summary(records, "jazz", judges)
    assert s["songs"] == 12 and s["sources"] == 4 and s["seeds"] == [0, 1, 2] and s["errors"] == 1
    assert s["arrangement"] == pytest.approx(6 / 12) and s["notes"] is None
    assert s["per_seed"] == {"notes": None, "arrangement": [0.75, 0.25, 0.5]}
    assert s["mean_p"]["arrangement"] == pytest.approx((2.6 + 1.5 + 1.9 + 0.0) / 12)  # the failed output: 0
    assert s["melody_f1"] == pytest.approx((4 * 1.0 + 4 * 0.5 + 3 * 1.0) / 12)
    # the interval counts sources, not outputs: the share 0.5 of 4 sources
    assert s["interval"]["arrangement"] == pytest.approx(list(ev.wilson(2, 4)))
    assert s["interval"]["notes"] is None


def test_one_seed_is_the_plain_summary_and_interval():
    judges = ev.Judges(arrangement=FakeJudge())
    records = [_rec(f"s{i}", 0, p) for i, p in enumerate([0.9, 0.8, 0.2, 0.1, 0.7])]
    s = ev.summary(records, "jazz", judges)
    assert s["seeds"] == [0] and s["per_seed"]["arrangement"] == [0.6]
    assert s["interval"]["arrangement"] == pytest.approx(list(ev.wilson(3, 5)))
    untagged = ev.summary([{k: v for k, v in r.items() if k != "seed"} for r in records], "jazz", judges)
    assert untagged["seeds"] == [0] and untagged["arrangement"] == s["arrangement"]


def test_run_tags_each_output_with_its_seed_and_the_summary_pools_them():
    drummed, bare = band_song(), band_song().with_tracks(band_song().tracks[:3])
    bare.source = "folk-song"
    judges = ev.Judges(notes=FakeJudge(), arrangement=FakeJudge())

    def at(seed):  # seed 1 adds the drums (judged jazz), seed 0 hands the source back
        return lambda s, target: drummed if seed == 1 else s

    records = []
    for seed in (0, 1):
        out = ev.run([(bare, "folk")], at(seed), ["jazz"], judges, seed=seed)
        assert [r["seed"] for r in out["jazz"]] == [seed]
        records += out["jazz"]
    s = ev.summary(records, "jazz", judges)
    assert s["per_seed"]["arrangement"] == [0.0, 1.0] and s["arrangement"] == 0.5 and s["sources"] == 1
    assert "seed" not in ev.run([(bare, "folk")], at(0), ["jazz"], judges)["jazz"][0]


def test_check_says_when_the_bar_lies_within_the_interval():
    real = {"notes": None, "arrangement": 0.8}  # bar: 0.68
    out = {"notes": None, "arrangement": 0.7, "melody_f1": 1.0, "chroma": 0.9, "interval": {"arrangement": [0.5, 0.85]}}
    got = ev.check(out, real)
    assert got["pass"] is True and got["within_noise"] == ["arrangement"]
    far = ev.check({**out, "arrangement": 0.95, "interval": {"arrangement": [0.75, 0.99]}}, real)
    assert far["pass"] is True and far["within_noise"] == []
    assert ev.check({**out, "interval": None}, real)["within_noise"] == []
