"""The lead-sheet benchmark scores the melody only on songs the melody picker was not fitted on."""
from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("bench_leadsheet", Path(__file__).parents[1] / "benchmarks" / "leadsheet.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
picker_songs, summarise = bench.picker_songs, bench.summarise


def _row(song, melody, skyline, scored=None):
    row = {"song": song, "chords_root": 0.5, "melody_f1": melody, "skyline_f1": skyline, "key": 0, "key_ref": 0,
           "roles": {"MELODY": "melody"}}
    if scored is not None:
        row["melody_scored"] = scored
    return row


def test_melody_means_leave_out_the_pickers_training_songs():
    rows = [_row(101, 0.9, 0.5, True), _row(104, 0.2, 0.1, False), _row(106, 0.7, 0.3, True)]
    s = summarise(rows)
    assert s["songs"] == 3 and s["melody_songs"] == 2
    assert abs(s["melody_f1"] - 0.8) < 1e-12 and abs(s["skyline_f1"] - 0.4) < 1e-12
    assert s["melody_f1_ge_0.8"] == 0.5
    assert s["chords_root"] == 0.5  # chords are scored on every song
    # rows saved before the flag existed count as scored
    assert summarise([_row(101, 0.9, 0.5), _row(102, 0.5, 0.5)])["melody_songs"] == 2


def test_the_pickers_training_songs_come_from_its_json():
    songs = picker_songs()
    assert set(range(1, 101)) <= songs
    held_out = [k for k in range(101, 910) if k not in songs]
    assert len(held_out) == 404 and all(k % 4 in (2, 3) for k in held_out)
