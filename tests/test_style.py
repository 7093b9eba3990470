"""The style judge's features and inference on hand-built pieces whose answers are known."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pretty_midi
import pytest

from midistyle.errors import InputError, ModelError
from midistyle.representation import Song, to_pretty_midi
from midistyle.representation.files import find_pieces
from midistyle.style import FEATURE_GROUPS, FEATURE_NAMES, StyleJudge, piece_features, segment_features
from midistyle.style.frame import beat_notes, meter_beat
from midistyle.analysis.harmony import SONORITIES, sonority_table
from tests.fuzz_corpus import ABC_BOOK, KERN, MUSICXML
from tests.midi_fixtures import ii_v_i, song, swung_line, waltz


def feats(x) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, piece_features(x)))


def test_swung_triplet_line_gives_triplet_onsets():
    f = feats(swung_line())
    assert f["onset_triplet"] == pytest.approx(0.5)
    assert f["onset_on"] == pytest.approx(0.5)
    assert f["onset_8th"] == f["onset_16th"] == f["onset_other"] == 0.0
    straight = song([("Sax", 65, False, [(b / 2, b / 2 + 0.5, 60, 90) for b in range(64)])])
    g = feats(straight)
    assert g["onset_8th"] == pytest.approx(0.5) and g["onset_triplet"] == 0.0


def test_ii_v_i_with_sevenths_gives_seventh_sonorities():
    f = feats(ii_v_i())
    assert f["son_minor7"] == pytest.approx(0.25)
    assert f["son_dominant7"] == pytest.approx(0.25)
    assert f["son_major7"] == pytest.approx(0.5)
    assert f["son_major"] == f["son_minor"] == f["son_larger"] == 0.0
    # the piece is in C major: its tonic is degree 1 and it uses the 7 diatonic notes only
    assert f["minor"] == 0.0 and f["degree_b2"] == f["degree_#4"] == f["degree_b6"] == 0.0


def test_sonority_table_names_chords_in_any_transposition():
    table = sonority_table()

    def name(*pcs):
        return SONORITIES[table[sum(1 << (p % 12) for p in pcs)]]

    assert name() == "rest" and name(3) == "single" and name(0, 7) == "dyad"
    assert name(2, 6, 9) == "major" and name(9, 0, 4) == "minor" and name(11, 2, 5) == "diminished"
    assert name(0, 4, 8) == "augmented" and name(0, 5, 7) == "suspended"
    assert name(7, 11, 2, 5) == "dominant7" and name(7, 11, 5) == "dominant7"  # shell: root, 3rd, 7th
    assert name(5, 9, 0, 4) == "major7" and name(2, 5, 9, 0) == "minor7" and name(11, 2, 5, 9) == "other7"
    assert name(0, 1, 2) == "other3" and name(0, 2, 4, 5, 7) == "larger"


def test_waltz_uses_its_own_beats():
    three = feats(waltz((3, 4)))
    assert three["downbeat_share"] == pytest.approx(1 / 3)  # one beat in three starts a bar
    assert three["onset_on"] == 1.0
    four = feats(waltz((4, 4)))  # the same notes read as 4/4: every fourth beat is a downbeat
    assert four["downbeat_share"] == pytest.approx(0.25, abs=0.02)
    # a jig: 8ths in 6/8 are thirds of its dotted-quarter beat
    jig = song([("Fiddle", 40, False, [(q / 2, q / 2 + 0.5, 62 + q % 5, 80) for q in range(48)])],
               sigs=((0.0, 6, 8),))
    f = feats(jig)
    assert f["onset_triplet"] == pytest.approx(2 / 3) and f["onset_on"] == pytest.approx(1 / 3)
    assert f["downbeat_share"] == pytest.approx(0.5)


def test_meter_beats():
    assert meter_beat(4, 4) == (1.0, 4) and meter_beat(3, 4) == (1.0, 3) and meter_beat(2, 2) == (2.0, 2)
    assert meter_beat(6, 8) == (1.5, 2) and meter_beat(12, 8) == (1.5, 4) and meter_beat(3, 8) == (0.5, 3)
    assert meter_beat(1, 4) == (1.0, 4)  # POP909's 1/4: beats grouped in fours


def test_meter_change_starts_new_bars():
    s = song([("P", 0, False, [(q, q + 1, 60, 80) for q in range(10)])], sigs=((0.0, 4, 4), (4.0, 3, 4)))
    assert beat_notes(s).downbeats.tolist() == [0, 4, 7, 10]


def test_constant_grid_offset_is_aligned():
    late = song([("P", 0, False, [(b / 2 + 0.06, b / 2 + 0.5, 60 + b % 3, 80) for b in range(64)])])
    f = feats(late)
    assert f["onset_on"] == pytest.approx(0.5) and f["onset_8th"] == pytest.approx(0.5)


def test_drums_programs_velocities_tempo_and_key_do_not_change_the_verdict():
    base = ii_v_i()
    notes = base.tracks[0].notes()
    drums = [(q / 2, q / 2 + 0.25, 36 + q % 3, 120) for q in range(32)]
    dressed = song([("Organ", 19, False, [(a, b, p, 127 - v // 2) for a, b, p, v in notes]),
                    ("Drums", 0, True, drums)], tempos=((0.0, 63.0), (8.0, 180.0)))
    a, b = piece_features(base), piece_features(dressed)
    np.testing.assert_array_equal(a, b)
    # moved to another key: only register features may move, never the key-relative ones
    up = song([("Piano", 0, False, [(s, e, p + 3, v) for s, e, p, v in notes])])
    c = piece_features(up)
    moved = {n for n, x, y in zip(FEATURE_NAMES, a, c) if abs(x - y) > 1e-9}
    assert moved <= set(FEATURE_GROUPS["register"])
    judge = random_judge()
    np.testing.assert_array_equal(judge.predict_proba(a), judge.predict_proba(b))


def random_judge(seed=0) -> StyleJudge:
    rng = np.random.default_rng(seed)
    f = len(FEATURE_NAMES)
    return StyleJudge(("jazz", "classical", "pop", "folk", "rock"), tuple(FEATURE_NAMES), rng.normal(size=f),
                      rng.uniform(0.5, 2, size=f), rng.normal(size=(5, f)), rng.normal(size=5), info={"fit": "test"})


def test_every_input_format(tmp_path):
    s = ii_v_i()
    pm = to_pretty_midi(s)
    mid = tmp_path / "a.mid"
    pm.write(str(mid))
    (tmp_path / "b.krn").write_bytes(KERN)
    (tmp_path / "c.musicxml").write_bytes(MUSICXML)
    (tmp_path / "d.abc").write_bytes(ABC_BOOK)
    np.testing.assert_allclose(piece_features(mid), piece_features(s), atol=1e-9)
    np.testing.assert_allclose(piece_features(pm), piece_features(s), atol=1e-9)
    pieces = find_pieces(tmp_path)
    assert [p.source.rsplit("/", 1)[-1] for p in pieces] == ["a.mid", "b.krn", "c.musicxml", "d.abc#1", "d.abc#2"]
    rows = [piece_features(p) for p in pieces]
    assert all(r.shape == (len(FEATURE_NAMES),) and np.isfinite(r).all() for r in rows)
    assert not np.allclose(rows[3], rows[4])  # each tune of the book on its own
    np.testing.assert_array_equal(rows[4], piece_features(tmp_path / "d.abc", tune=2))
    with pytest.raises(InputError):
        piece_features(tmp_path / "missing.mid")
    drums_only = pretty_midi.PrettyMIDI()
    drums_only.instruments.append(pretty_midi.Instrument(0, is_drum=True))
    drums_only.instruments[0].notes.append(pretty_midi.Note(100, 36, 0.0, 0.5))
    with pytest.raises(InputError):
        piece_features(drums_only)


def test_segments():
    rows = segment_features(swung_line(), beats=8)
    assert rows.shape == (4, len(FEATURE_NAMES))
    assert np.allclose(rows[:, FEATURE_NAMES.index("onset_triplet")], 0.5)


def test_judge_round_trip_and_checks(tmp_path):
    judge = random_judge()
    judge.save(tmp_path / "j")
    assert json.loads((tmp_path / "j" / "config.json").read_text())["info"] == {"fit": "test"}
    again = StyleJudge.load(tmp_path / "j")
    x = np.stack([piece_features(ii_v_i()), piece_features(waltz())])
    p = again.predict_proba(x)
    np.testing.assert_allclose(p, judge.predict_proba(x))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    verdict = again.classify(waltz())
    assert set(verdict) == set(judge.genres) and abs(sum(verdict.values()) - 1) < 1e-9
    config = json.loads((tmp_path / "j" / "config.json").read_text())
    config["feature_names"] = config["feature_names"][:-1]
    (tmp_path / "j" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="other features"):
        StyleJudge.load(tmp_path / "j")
    with pytest.raises(ModelError, match="config.json missing"):
        StyleJudge.load(tmp_path / "nothing")
    (tmp_path / "j" / "config.json").write_text(json.dumps({**config, "feature_names": FEATURE_NAMES}))
    (tmp_path / "j" / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ModelError, match="damaged"):
        StyleJudge.load(tmp_path / "j")


def test_polyphony_against_a_loop():
    """Notes sounding at once, counted cell by cell in plain Python."""
    rng = np.random.default_rng(3)
    notes = [(float(a), float(a + d), int(p), 80) for a, d, p in
             zip(rng.integers(0, 64, 40) / 4, rng.integers(1, 8, 40) / 4, rng.integers(48, 72, 40))]
    f = feats(song([("P", 0, False, notes)]))
    counts = []
    for cell in range(int(max(e for _, e, _, _ in notes) * 12)):
        t = (cell + 0.5) / 12
        counts.append(len({p for a, e, p, _ in notes if a <= t < e}))
    sounding = [c for c in counts if c]
    assert f["poly_mean"] == pytest.approx(np.mean(sounding))
    assert f["poly_1"] == pytest.approx(np.mean(np.array(sounding) == 1))


def test_performance_like_copy_keeps_the_notes_and_loses_the_grid():
    from midistyle.style.augment import performance_like

    s = swung_line()
    p = performance_like(s, seed=7)
    assert p.tracks[0].pitch.tolist() == s.tracks[0].pitch.tolist()
    assert np.all(p.tracks[0].end > p.tracks[0].start) and p.time_signatures == s.time_signatures
    assert feats(p)["onset_other"] > 0.3 > feats(s)["onset_other"]
    np.testing.assert_array_equal(performance_like(s, seed=7).tracks[0].start, p.tracks[0].start)


def test_judge_reads_quantised_files_as_written_and_records_its_alignment(tmp_path):
    import dataclasses

    from midistyle.style.features import judged_song

    s = ii_v_i()
    assert judged_song(s, "off") is s
    np.testing.assert_array_equal(piece_features(judged_song(s, "auto")), piece_features(s))  # on its grid: kept
    judge = dataclasses.replace(random_judge(), align="auto")
    judge.save(tmp_path / "j")
    assert StyleJudge.load(tmp_path / "j").align == "auto"
    with pytest.raises(ModelError, match="align"):
        dataclasses.replace(judge, align="sometimes")


@pytest.mark.slow
def test_judging_imports_neither_torch_nor_sklearn():
    import subprocess
    import sys

    code = ("import sys; from midistyle.style import StyleJudge; from midistyle.representation import Song, Track; "
            "s = Song([Track.from_notes('p', 0, False, [(q, q + 1, 60 + q % 5, 80) for q in range(40)])], "
            "[(0.0, 120.0)], [(0.0, 4, 4)]); p = StyleJudge.load().classify(s); "
            "assert abs(sum(p.values()) - 1) < 1e-9; "
            "print(sorted(m for m in ('torch', 'sklearn', 'music21', 'librosa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_song_proba_is_the_geometric_mean_of_the_rows_the_judge_reads():
    judge = dataclasses.replace(random_judge(), rows="segments")
    steps = np.arange(0, 96, 0.5)  # 96 beats of 8ths over a chord every 4 beats: three 32-beat segments
    line = [(float(q), float(q) + 0.5, 60 + int(q * 2) % 12, 80) for q in steps]
    chords = [(float(q), float(q) + 4, p, 60) for q in range(0, 96, 4) for p in (48, 52, 55 + q % 8 // 4)]
    s = song([("Lead", 0, False, line), ("Comp", 0, False, chords)])
    rows = judge.feature_rows(s)
    assert rows.shape[0] > 1
    np.testing.assert_array_equal(rows, segment_features(s))
    by_hand = np.exp(np.log(judge.predict_proba(rows) + 1e-12).mean(axis=0))
    np.testing.assert_allclose(judge.song_proba(s), by_hand / by_hand.sum())
    np.testing.assert_array_equal(judge.rows_proba(rows), judge.song_proba(s))
    whole = random_judge()  # fitted on pieces: one row, the piece's
    np.testing.assert_array_equal(whole.feature_rows(s), piece_features(s)[None])
    np.testing.assert_allclose(whole.song_proba(s), whole.predict_proba(piece_features(s)))


def test_margin_gaps_sum_to_the_change_of_each_mean_margin():
    judge = random_judge(1)
    rng = np.random.default_rng(5)
    f = len(FEATURE_NAMES)
    rows, reference = rng.normal(size=(6, f)), rng.normal(size=(4, f))
    gaps = judge.margin_gaps(rows, reference, "folk")
    assert set(gaps) == {"jazz", "classical", "pop", "rock"}
    t = judge.genres.index("folk")
    for other, terms in gaps.items():
        o = judge.genres.index(other)
        margin = lambda x: (((x - judge.mean) / judge.scale) @ (judge.coef[t] - judge.coef[o])).mean()  # noqa: E731
        assert terms.shape == (f,)
        assert terms.sum() == pytest.approx(margin(reference) - margin(rows))
    # one feature moved to the reference's mean closes exactly that feature's term
    moved = rows.copy()
    moved[:, 7] += reference[:, 7].mean() - rows[:, 7].mean()
    assert judge.margin_gaps(moved, reference, "folk")["rock"][7] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="no genre 'country'"):
        judge.margin_gaps(rows, reference, "country")
