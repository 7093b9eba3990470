"""Role lanes (melody, bass, comp, drums) before and after, side by side: content, PNG, CLI."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.analysis.leadsheet import LeadSheet
from midistyle.config import RollConfig
from midistyle.errors import InputError
from midistyle.evaluate.role_plots import compare_roles, plot_roles, role_lanes
from midistyle.representation import read, write_midi
from midistyle.representation.drums import LANES
from midistyle.representation.roll import bar_lines, fitting_grid, to_steps

from tests.arrangement_fixtures import band_song, lead_sheet

CFG = RollConfig(steps_per_beat=4)


def _grid(song):
    starts = to_steps(bar_lines(song), CFG)
    return starts, int(starts[-1])


def _png_shape(path):
    import matplotlib.image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return matplotlib.image.imread(path).shape[:2]


def test_lanes_hold_each_roles_notes_and_name_their_gm_instruments():
    song = band_song()
    starts, n = _grid(song)
    lanes = role_lanes(lead_sheet(song), n, CFG)
    assert list(lanes) == ["melody", "bass", "comp", "drums"]
    melody, bass, comp, drums = song.tracks
    assert lanes["melody"][2] == ["Flute: Flute (73)"]
    assert lanes["bass"][2] == ["Bass: Electric Bass (finger) (33)"]
    assert lanes["comp"][2] == ["Piano: Acoustic Grand Piano (0)"]
    assert lanes["drums"][2] == ["Drums: drum kit 0"]
    for role, track in (("melody", melody), ("bass", bass), ("comp", comp)):
        onset, sustain, _ = lanes[role]
        assert onset.shape == sustain.shape == (1, n, CFG.n_pitches)
        # every note starts in its own cell here (distinct start steps per pitch)
        assert onset.sum() == len({(round(s * 4), p) for s, p in zip(track.start, track.pitch)})
    onset = lanes["drums"][0]
    assert onset.shape == (1, n, len(LANES))
    hits = {(round(s * 4), p) for s, p in zip(drums.start, drums.pitch)}
    assert onset.sum() == len(hits)
    kick = [s for s, p in hits if p == 36]
    assert sorted(np.flatnonzero(onset[0, :, LANES.index("kick")])) == sorted(kick)


def test_plot_writes_a_png_of_the_size_it_reports_and_marks_a_missing_role(tmp_path):
    song = band_song()
    starts, n = _grid(song)
    before = role_lanes(lead_sheet(song), n, CFG)
    lead = lead_sheet(song)
    no_drums = LeadSheet(lead.song, {r: ts for r, ts in lead.parts.items() if r != "drums"}, lead.track_roles,
                         lead.chords, lead.key)
    after = role_lanes(no_drums, n, CFG)
    out = tmp_path / "roles.png"
    info = plot_roles(before, after, starts, CFG, out, names=("source", "output"), bars=(0, 4))
    assert info["lanes"] == ["melody", "bass", "comp", "drums"]
    assert info["instruments"]["drums"] == [["Drums: drum kit 0"], []]
    assert info["instruments"]["bass"][0] == info["instruments"]["bass"][1]
    width, height = info["size"]
    assert _png_shape(out) == (height, width)
    assert width > height > 400  # two columns, four lanes
    assert [p.name for p in tmp_path.iterdir()] == ["roles.png"]  # no temp file left


def test_compare_roles_reads_both_songs_as_lead_sheets(tmp_path, cli):
    a, b = tmp_path / "a.mid", tmp_path / "b.mid"
    write_midi(band_song(), a)
    other = band_song(bass_program=32, comp_program=24)
    write_midi(other.with_tracks([t for t in other.tracks if not t.is_drum]), b)
    out = tmp_path / "pic.png"
    info = compare_roles(a, b, out, cfg=CFG)
    assert info["bars"] == 6 and info["drawn"] == (0, 6) and info["steps_per_beat"] == 4
    fitted = compare_roles(a, b, tmp_path / "fitted.png", bars=(1, 3))  # the grid the files' onsets need
    assert fitted["drawn"] == (1, 3)
    assert fitted["steps_per_beat"] == max(fitting_grid(read(a)), fitting_grid(read(b)))
    assert info["instruments"]["bass"] == [["Bass: Electric Bass (finger) (33)"], ["Bass: Acoustic Bass (32)"]]
    assert info["instruments"]["comp"][1] == ["Piano: Acoustic Guitar (nylon) (24)"]
    assert info["instruments"]["drums"][1] == []
    assert _png_shape(out) == info["size"][::-1]
    with pytest.raises(InputError, match="select none of its 6 bars"):
        compare_roles(a, b, tmp_path / "none.png", bars=(7, 9), cfg=CFG)
    assert not (tmp_path / "none.png").exists()

    r = cli("compare", a, b, "-o", tmp_path / "cli.png", "--roles", "--bars", "0:2", "--steps-per-beat", "12")
    assert r.exit_code == 0, r.output
    assert "bars 0:2 of 6, 12 steps per quarter; lanes: melody, bass, comp, drums" in r.output
    assert _png_shape(tmp_path / "cli.png")[0] > 400
