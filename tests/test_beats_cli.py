"""--align-beats through the CLI and prepare: what is printed, written, cached and capped."""
from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.data.settings import prepare_from_settings as prepare_from_cli
from midistyle.data.index import read_index
from midistyle.representation import read, write_midi
from midistyle.representation import beats as B
from midi_fixtures import performance, rich_song, song


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def played(tmp_path, name="played.mid", **kw):
    s, truth, downbeats = performance(**kw)
    path = tmp_path / name
    write_midi(s, path)
    return path, truth, downbeats


def test_inspect_prints_estimated_tempo_meter_downbeat_and_grid_shares(tmp_path):
    path, _, _ = played(tmp_path)
    res = run("inspect", path, "--align-beats")
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.strip().startswith("beats"))
    for text in ("aligned", "qpm", "4/4", "first downbeat", "on the 4-step grid before"):
        assert text in line
    assert "beats    " not in run("inspect", path).output  # off by default: the file as it is


def test_quantize_writes_a_tempo_map_on_the_estimated_beats(tmp_path):
    path, truth, _ = played(tmp_path)
    out = tmp_path / "q.mid"
    res = run("quantize", path, "-o", out, "--align-beats", "--steps-per-beat", 12)
    assert res.exit_code == 0, res.output
    assert "beats: aligned" in res.output
    q = read(out)
    assert B.f_measure(truth, q.seconds(np.arange(0, np.ceil(q.end) + 1))) >= 0.9


def test_auto_leaves_an_aligned_file_alone_and_off_changes_nothing(tmp_path):
    path = tmp_path / "rich.mid"
    write_midi(rich_song(), path)
    res = run("quantize", path, "-o", tmp_path / "q.mid")  # default auto
    assert res.exit_code == 0 and "beats:" not in res.output
    assert read(tmp_path / "q.mid").tempos == read(path).tempos
    p2, _, _ = played(tmp_path)
    res = run("quantize", p2, "-o", tmp_path / "q2.mid", "--align-beats", "off")
    assert res.exit_code == 0 and "beats:" not in res.output
    assert read(tmp_path / "q2.mid").tempos == [(0.0, 120.0)]


def test_no_rhythm_is_one_line_exit_3(tmp_path):
    path = tmp_path / "chord.mid"
    write_midi(song([("p", 0, False, [(0.0, 8.0, 60, 80), (0.0, 8.0, 64, 80)])]), path)
    res = run("quantize", path, "-o", tmp_path / "q.mid", "--align-beats", "on")
    assert res.exit_code == 3
    assert "no rhythm to track" in res.output and "Traceback" not in res.output
    assert run("quantize", path, "-o", tmp_path / "q.mid").exit_code == 0  # auto keeps it


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
