"""Beat tracking from notes (representation/beats.py) on synthetic performances built here, and
--align-beats through the CLI and prepare: what is printed, written, cached and capped."""
from __future__ import annotations

import json

import numpy as np
import pytest

from midistyle.data.settings import prepare_from_settings as prepare_from_cli
from midistyle.data.index import read_index
from midistyle.representation import Song, read, to_midi_bytes, to_pretty_midi, write_midi
from midistyle.representation import beats as B
from midistyle.representation.midi_io import from_midi_bytes
from midistyle.representation.roll import bar_lines
from tests.midi_fixtures import performance, rich_song, song as make_song


@pytest.mark.slow
def test_drifting_tempo_with_lead_in_is_recovered():
    song, truth, downbeats = performance()
    al = B.align_beats(song, "on")
    assert al.changed
    assert B.f_measure(truth, al.beats) >= 0.9
    assert al.meter == 4
    assert B.f_measure(downbeats, al.downbeats) >= 0.9
    assert 100 < al.qpm < 130
    assert al.tempo_curve[:8].mean() < al.tempo_curve[-8:].mean()  # it follows the drift
    new = al.song
    # notes keep their times in seconds
    for old, tr in zip(song.tracks, new.tracks):
        assert np.allclose(song.seconds(old.start), new.seconds(tr.start), atol=1e-6)
        assert np.allclose(song.seconds(old.end), new.seconds(tr.end), atol=1e-6)
    # the new map puts whole quarters on the estimated beats, and bars on the true downbeats
    quarters = np.arange(0, np.ceil(new.end) + 1)
    assert B.f_measure(al.beats, new.seconds(quarters)) >= 0.95
    assert B.f_measure(downbeats, new.seconds(bar_lines(new))) >= 0.9
    assert al.on_grid_after > al.on_grid_before
    # and the re-timed song survives a MIDI round trip
    back = from_midi_bytes(to_midi_bytes(new))
    assert np.allclose(back.seconds(back.tracks[0].start), song.seconds(song.tracks[0].start), atol=3e-3)


@pytest.mark.slow
def test_lead_in_becomes_a_pickup_and_empty_bars():
    song, truth, downbeats = performance(lead=3.1, seed=3)
    al = B.align_beats(song, "on")
    first_bar = al.song.time_signatures[0]
    assert first_bar[0] == 0.0
    first_note = min(float(t.start.min()) for t in al.song.tracks)
    assert first_note > 2  # the silence is whole beats, not squeezed into one
    assert B.f_measure(downbeats, al.song.seconds(bar_lines(al.song))) >= 0.9


@pytest.mark.slow
def test_aligned_file_unchanged_under_auto():
    quantised = rich_song()
    al = B.align_beats(quantised, "auto")
    assert not al.changed and al.song is quantised
    assert al.on_grid_before == al.on_grid_after == 1.0

    # played with human timing, but under a tempo map that follows its beat: kept too
    song, truth, _ = performance(qpm0=100, qpm1=100, lead=0.0, jitter=0.015, seed=1)
    played = Song([t.replace_notes(t.start * 100 / 120, t.end * 100 / 120, t.pitch, t.velocity)
                   for t in song.tracks], [(0.0, 100.0)], [(0.0, 4, 4)], source="<played>")
    al = B.align_beats(played, "auto")
    assert not al.changed and al.song is played
    assert "own beats" in al.reason and al.beats.size > 0


@pytest.mark.slow
def test_off_grid_file_is_aligned_under_auto_and_kept_when_off():
    song, _, _ = performance(seed=2)
    assert B.align_beats(song, "auto").changed
    off = B.align_beats(song, "off")
    assert not off.changed and off.song is song


def test_no_rhythm_is_a_clear_error():
    chord = make_song([("p", 0, False, [(0.0, 8.0, 60, 80), (0.0, 8.0, 64, 80), (0.1, 8.0, 67, 80)])])
    with pytest.raises(B.NoRhythmError, match="no rhythm to track"):
        B.align_beats(chord, "on")
    kept = B.align_beats(chord, "auto")
    assert not kept.changed and "no rhythm" in kept.reason
    assert isinstance(B.NoRhythmError(None, "x"), B.InputError)  # the CLI's one-line path


@pytest.mark.slow
def test_accepts_pretty_midi():
    song, truth, _ = performance(n_beats=40)
    al = B.align_beats(to_pretty_midi(song), "on")
    assert al.changed and B.f_measure(truth, al.beats) >= 0.85


def test_retime_keeps_key_signature_times():
    song = make_song([("p", 0, False, [(q, q + 0.5, 60, 80) for q in np.arange(0, 16, 0.5)])],
                     keys=((4.0, 7),))
    beats = song.seconds(np.arange(0, 16)) * 1.0 + 0.4
    new = B.retime(song, beats)
    assert np.isclose(new.seconds([new.key_signatures[0][0]])[0], song.seconds([4.0])[0])


def test_f_measure_counts_one_to_one():
    ref = np.array([1.0, 2.0, 3.0])
    assert B.f_measure(ref, ref) == 1.0
    assert B.f_measure(ref, np.array([1.01, 1.02])) == pytest.approx(2 * 1 / 5)
    assert B.f_measure(ref, ref + 0.2) == 0.0


def test_f_measure_agrees_with_mir_eval():
    mir_eval = pytest.importorskip("mir_eval")
    rng = np.random.default_rng(0)
    for _ in range(20):
        ref = np.cumsum(rng.uniform(0.3, 0.8, 60)) + 5
        est = np.sort(np.concatenate([ref[::2] + rng.normal(0, 0.05, ref[::2].size), rng.uniform(5, ref[-1], 10)]))
        assert B.f_measure(ref, est) == pytest.approx(mir_eval.beat.f_measure(ref, est), abs=0.02)


def played(tmp_path, name="played.mid", **kw):
    s, truth, downbeats = performance(**kw)
    path = tmp_path / name
    write_midi(s, path)
    return path, truth, downbeats


@pytest.mark.slow
def test_inspect_prints_estimated_tempo_meter_downbeat_and_grid_shares(cli, tmp_path):
    path, _, _ = played(tmp_path)
    res = cli("inspect", path, "--align-beats")
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.strip().startswith("beats"))
    for text in ("aligned", "qpm", "4/4", "first downbeat", "on the 4-step grid before"):
        assert text in line
    assert "beats    " not in cli("inspect", path).output  # off by default: the file as it is


@pytest.mark.slow
def test_quantize_writes_a_tempo_map_on_the_estimated_beats(cli, tmp_path):
    path, truth, _ = played(tmp_path)
    out = tmp_path / "q.mid"
    res = cli("quantize", path, "-o", out, "--align-beats", "--steps-per-beat", 12)
    assert res.exit_code == 0, res.output
    assert "beats: aligned" in res.output
    q = read(out)
    assert B.f_measure(truth, q.seconds(np.arange(0, np.ceil(q.end) + 1))) >= 0.9


def test_auto_leaves_an_aligned_file_alone_and_off_changes_nothing(cli, tmp_path):
    path = tmp_path / "rich.mid"
    write_midi(rich_song(), path)
    res = cli("quantize", path, "-o", tmp_path / "q.mid")  # default auto
    assert res.exit_code == 0 and "beats:" not in res.output
    assert read(tmp_path / "q.mid").tempos == read(path).tempos
    p2, _, _ = played(tmp_path)
    res = cli("quantize", p2, "-o", tmp_path / "q2.mid", "--align-beats", "off")
    assert res.exit_code == 0 and "beats:" not in res.output
    assert read(tmp_path / "q2.mid").tempos == [(0.0, 120.0)]


def test_no_rhythm_is_one_line_exit_3(cli, tmp_path):
    path = tmp_path / "chord.mid"
    write_midi(make_song([("p", 0, False, [(0.0, 8.0, 60, 80), (0.0, 8.0, 64, 80)])]), path)
    res = cli("quantize", path, "-o", tmp_path / "q.mid", "--align-beats", "on")
    assert res.exit_code == 3
    assert "no rhythm to track" in res.output and "Traceback" not in res.output
    assert cli("quantize", path, "-o", tmp_path / "q.mid").exit_code == 0  # auto keeps it


@pytest.mark.slow
def test_prepare_aligns_per_source_caps_and_keys_the_cache(tmp_path):
    perf, quant = tmp_path / "perf", tmp_path / "quant"
    perf.mkdir(), quant.mkdir()
    for i in range(2):
        played(perf, f"p{i}.mid", seed=i, n_beats=96)
    write_midi(rich_song(), quant / "rich.mid")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sources]\njazz = [{path = "perf", align_beats = "on", max_phrases = 3}]\nfolk = ["quant"]\n')
    report = prepare_from_cli(config=cfg, out=tmp_path / "o", workers=1, progress=False)
    index = read_index(tmp_path / "o")
    jazz = [p for p in index["pieces"] if p["genre"] == "jazz"]
    assert [p["align"] for p in jazz] == ["aligned", "aligned"]
    assert all(p["n_phrases"] == 3 and p["capped_from"] > 3 for p in jazz)
    folk = [p for p in index["pieces"] if p["genre"] == "folk"]
    assert folk[0]["align"] == "kept"  # auto, on its own grid
    assert report.aligned == {"jazz": 2, "folk": 0}
    assert any("re-timed" in line for line in report.summary_lines())
    # the flag overrides the file, and another setting is another cached result
    off = prepare_from_cli(config=cfg, out=tmp_path / "o", workers=1, progress=False, align_beats="off")
    assert off.cached == 0 and off.aligned == {"jazz": 0, "folk": 0}
    again = prepare_from_cli(config=cfg, out=tmp_path / "o", workers=1, progress=False)
    assert again.cached == 3  # both settings' parts are kept side by side
    assert json.loads((tmp_path / "o" / "index.json").read_text())["summary"]["aligned"]["jazz"] == 2
