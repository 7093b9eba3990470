"""prepare and batch convert on the Dask engine (a local cluster started by the test): the same
bytes, skip reasons and time limits as the local pool; failures listed; outputs kept and whole."""
from __future__ import annotations

import csv
import os

import pretty_midi
import pytest
from tests.corpus_fixtures import ABC_BOOK, make_sources
from tests.midi_fixtures import rich_song

from midistyle.data.corpus import prepare
from midistyle.data.index import read_index
from midistyle.errors import EngineError
from midistyle.representation import write_midi

pytest.importorskip("dask.distributed")


@pytest.mark.slow
def test_engine_gives_the_local_pools_bytes(cli, tmp_path):
    sources = make_sources(tmp_path / "src")
    local = prepare(sources, tmp_path / "local", workers=2, val_fraction=0.5, progress=False)
    args = [a for genre, folders in sources.items() for a in ("--genre", genre, *folders)]
    config = tmp_path / "sources.json"
    config.write_text('{"sources": {%s}, "val_fraction": 0.5}'
                      % ", ".join(f'"{g}": ["{f[0]}"]' for g, f in sources.items()))
    res = cli("prepare", "--config", config, "-o", tmp_path / "dask", "--workers", 2, "--engine", "dask")
    assert res.exit_code == 0, res.output
    assert args and "skipped 6" in res.output
    for name in ("index.json", "skipped.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    shards = read_index(tmp_path / "local")["shards"]
    assert shards
    for s in shards:
        assert (tmp_path / "dask" / s["file"]).read_bytes() == (tmp_path / "local" / s["file"]).read_bytes()
    again = prepare(sources, tmp_path / "dask", workers=1, val_fraction=0.5, progress=False, engine="dask")
    assert again.cached == 10 + 4 and again.skipped == local.skipped  # resumed from the cache


@pytest.mark.slow
def test_engine_keeps_the_per_piece_time_limit(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "book.abc").write_text(ABC_BOOK)
    r = prepare({"folk": [tmp_path / "t"]}, tmp_path / "o", workers=1, time_limit=0.002, progress=False,
                engine="dask")
    assert r.skipped == {"timeout": 3, "duplicate": 1}
    with open(tmp_path / "o" / "skipped.csv", newline="") as f:
        assert sum(row["reason"] == "timeout (over 0.002 s of CPU or 0.004 s)" for row in csv.DictReader(f)) == 3


def test_engine_choices_are_checked_before_any_work(cli, tmp_path):
    with pytest.raises(EngineError, match="unknown engine 'ray'"):
        prepare({"x": [tmp_path]}, tmp_path / "o", engine="ray")
    res = cli("prepare", tmp_path, "--genre", "x", "-o", tmp_path / "o", "--engine-address", "tcp://127.0.0.1:1")
    assert res.exit_code == 7 and "needs --engine dask" in res.output


@pytest.mark.slow
def test_batch_convert_on_the_engine_lists_failures_and_keeps_outputs(cli, tmp_path, tiny_model):
    root, out = tmp_path / "corpus", tmp_path / "out"
    (root / "a").mkdir(parents=True)
    for name in ("one.mid", "two.mid", "a/three.mid"):
        write_midi(rich_song(), root / name)
    (root / "a" / "broken.mid").write_bytes(b"MThd garbage")
    (out / "a").mkdir(parents=True)
    (out / "a" / ".three.jazz.mid.k2j4.mid.part").write_bytes(b"half")  # left by a killed earlier run
    cmd = ["convert", root, "--to", "jazz", "--from", "pop", "--model", tiny_model, "-o", out, "--workers", 1,
           "--engine", "dask"]
    res = cli(*cmd)
    assert res.exit_code == 1, res.output
    assert "converted 3 of 4 pieces" in res.output and "broken.mid" in res.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mid"))
    assert written == ["a/three.jazz.mid", "one.jazz.mid", "two.jazz.mid"]
    for p in out.rglob("*.mid"):
        pretty_midi.PrettyMIDI(str(p))  # whole files
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    stamps = {p: os.stat(p).st_mtime_ns for p in out.rglob("*.mid")}
    again = cli(*cmd)
    assert again.exit_code == 1 and "(3 already there, kept" in again.output and "broken.mid" in again.output
    assert {p: os.stat(p).st_mtime_ns for p in out.rglob("*.mid")} == stamps
