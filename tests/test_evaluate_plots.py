"""Plots write real PNGs, honour bars=, and leave nothing behind when a write fails."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from midistyle.config import RollConfig
from midistyle.errors import OutputError
from midistyle.evaluate import plots

CFG = RollConfig()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def song(n_bars=6, n_tracks=2):
    """Per-track (onset, sustain) [n_tracks, T, P] with held and repeated notes, and its bar starts."""
    n_steps = 16 * n_bars
    on = np.zeros((n_tracks, n_steps, CFG.n_pitches), bool)
    sus = np.zeros_like(on)
    for t in range(n_tracks):
        for s in range(0, n_steps, 4):
            p = 36 + 24 * t + (s // 4) % 7 - CFG.low_pitch
            on[t, s, p] = True
            sus[t, s:s + 3, p] = True
    on[0, 0:8:2, 30] = True  # four repeated notes on one pitch ...
    sus[0, 0:8, 30] = True  # ... sounding without a gap
    return on, sus, np.arange(0, n_steps + 1, 16)


def read_png(path):
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG_MAGIC
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    return img


def test_import_does_not_load_matplotlib():
    code = "import sys, midistyle.evaluate.plots; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_note_name():
    from midistyle.representation.basics import note_name
    assert [note_name(p) for p in (24, 60, 61, 107)] == ["C1", "C4", "C#4", "B7"]


def test_plot_roll_writes_png(tmp_path):
    on, sus, bars = song()
    out = tmp_path / "roll.png"
    plots.plot_roll(sus, on, bars, CFG, out, track_names=["bass", "piano"], title="demo")
    img = read_png(out)
    assert img.shape[0] > 200 and img.shape[1] > 500
    assert [p.name for p in tmp_path.iterdir()] == ["roll.png"]  # no temp file left


def test_plot_roll_bars_slice_narrows_the_picture(tmp_path):
    on, sus, bars = song(n_bars=16)
    plots.plot_roll(sus, on, bars, CFG, tmp_path / "all.png")
    plots.plot_roll(sus, on, bars, CFG, tmp_path / "two.png", bars=slice(3, 5))
    plots.plot_roll(sus, on, bars, CFG, tmp_path / "pair.png", bars=(3, 5))
    full, part = read_png(tmp_path / "all.png"), read_png(tmp_path / "two.png")
    assert part.shape[1] < full.shape[1]  # width follows the number of bars shown
    assert read_png(tmp_path / "pair.png").shape == part.shape
    for bad in (slice(5, 5), slice(20, 30), slice(0, 4, 2)):
        with pytest.raises(ValueError):
            plots.plot_roll(sus, on, bars, CFG, tmp_path / "bad.png", bars=bad)
    assert not (tmp_path / "bad.png").exists()


def test_plot_roll_accepts_one_track_and_float(tmp_path):
    on, sus, bars = song(n_tracks=1)
    plots.plot_roll(sus[0].astype(np.float32), on[0].astype(np.float32), bars, CFG, tmp_path / "one.png")
    read_png(tmp_path / "one.png")


def test_plot_roll_rejects_wrong_names_and_shapes(tmp_path):
    on, sus, bars = song()
    with pytest.raises(ValueError):
        plots.plot_roll(sus, on, bars, CFG, tmp_path / "x.png", track_names=["only one"])
    with pytest.raises(ValueError):
        plots.plot_roll(sus, on[:, :-1], bars, CFG, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_compare_pairs_and_model_layout(tmp_path):
    on, sus, bars = song()
    merged = np.stack([on.any(0), sus.any(0)]).astype(np.float32)  # [2, T, P] model layout
    out = tmp_path / "cmp.png"
    plots.plot_compare((on, sus), merged, bars, CFG, out, names=("source", "jazz"), bars=slice(1, 3))
    img = read_png(out)
    single = tmp_path / "single.png"
    plots.plot_roll(sus, on, bars, CFG, single, bars=slice(1, 3))
    assert img.shape[0] > 1.5 * read_png(single).shape[0]  # two rolls stacked
    with pytest.raises(ValueError):
        plots.plot_compare((on, sus), merged[:, :16], bars, CFG, tmp_path / "bad.png")


def test_plot_metrics_bars_and_target_hist(tmp_path):
    groups = {
        "sources": {"pitch_class_entropy": [2.9, 3.1], "empty_beat_rate": [0.1, float("nan")]},
        "outputs": {"pitch_class_entropy": 3.3, "empty_beat_rate": 0.05},
        "jazz (real)": {"pitch_class_entropy": 3.2, "empty_beat_rate": 0.02},
    }
    plots.plot_metrics_bars(groups, tmp_path / "bars.png", title="musicality")
    read_png(tmp_path / "bars.png")
    rng = np.random.default_rng(0)
    plots.plot_target_hist(rng.random(50) * 0.4, 0.5 + rng.random(50) * 0.5, tmp_path / "hist.png",
                           target_name="jazz")
    read_png(tmp_path / "hist.png")
    with pytest.raises(ValueError):
        plots.plot_metrics_bars({}, tmp_path / "empty.png")


def test_failed_write_leaves_no_file_and_keeps_old(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    on, sus, bars = song()

    def broken_savefig(self, fname, **kwargs):
        with open(fname, "wb") as fh:
            fh.write(PNG_MAGIC + b"half a picture")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    new = tmp_path / "new.png"
    with pytest.raises(OutputError, match="disk full"):
        plots.plot_roll(sus, on, bars, CFG, new)
    assert list(tmp_path.iterdir()) == []

    old = tmp_path / "old.png"
    old.write_bytes(b"previous picture")
    with pytest.raises(OutputError, match="disk full"):
        plots.plot_compare((on, sus), (on, sus), bars, CFG, old)
    assert old.read_bytes() == b"previous picture"
    assert [p.name for p in tmp_path.iterdir()] == ["old.png"]


def test_metric_bars_keep_rates_in_0_1_say_what_error_bars_are_and_label_clear_of_them(tmp_path):
    assert plots.bar_stats([0.9, 1.0, 1.0, 0.5], unit=True)[2] <= 1.0 - 0.85 + 1e-12  # mean + error <= 1
    mean, lo, hi = plots.bar_stats([0.0, 0.0, 0.3], unit=True)
    assert mean - lo >= 0.0 and hi > lo  # cut at 0 below, not above
    assert plots.bar_stats([2.0, 4.0])[1:] == (1.0, 1.0)
    groups = {"sources": {"onset_f1": [0.9, 1.0, 1.0, 0.5], "polyphony": [1.0, 3.0]},
              "outputs": {"onset_f1": [0.2, 0.4], "polyphony": [2.0, 2.0]}}
    fig = plots.plot_metrics_bars(groups, tmp_path / "bars.png", unit_keys={"onset_f1"})
    read_png(tmp_path / "bars.png")
    rate, other = fig.axes[:2]
    assert rate.get_ylim() == (0.0, 1.05) and other.get_ylim()[1] > 3.0
    assert [t.get_text() for t in rate.get_xticklabels()] == ["sources\n0.85", "outputs\n0.3"]
    assert not rate.texts and not other.texts  # no value labels drawn over the error bars
    assert "standard deviation" in fig._supxlabel.get_text()


def test_report_links_work_with_spaces_in_file_names():
    from midistyle.evaluate.writeup import song_table

    rec = {"source": "in/my song.mid", "output": "converted/my song.jazz.mid", "bars": 4, "notes_in": 3,
           "notes_out": 3, "content": {"model": {"onset_f1": 1.0}}}
    text = song_table({"to": "jazz", "songs": [rec]})
    assert "[my song.jazz.mid](converted/my%20song.jazz.mid)" in text
