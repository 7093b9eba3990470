"""benchmarks/arrangement.py: converter seeds on the page and --merge across seeds (no corpus needed)."""
from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from midistyle.evaluate import arrangement as ev

_spec = importlib.util.spec_from_file_location("bench_arrangement", Path(__file__).parents[1] / "benchmarks" / "arrangement.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

MARKERS = {"straight8": 0.1, "triplet8": 0.0, "bass_walk": 0.2, "seventh": 0.1, "drums": 1.0, "families": ["piano"]}


def _summary(**kw):
    base = {"songs": 57, "sources": 19, "seeds": [0, 1, 2], "errors": 0, "notes": 7 / 19, "arrangement": 0.9,
            "per_seed": {"notes": [0.32, 0.37, 0.42], "arrangement": [0.9, 0.9, 0.9]},
            "mean_p": {"notes": 0.35, "arrangement": 0.8},
            "interval": {"notes": list(ev.wilson(7, 19)), "arrangement": list(ev.wilson(0.9 * 19, 19))},
            "melody_f1": 1.0, "melody_kept": 1.0, "chroma": 0.85, "markers": MARKERS}
    return {**base, **kw}


def test_the_table_shows_pooled_share_bar_interval_and_seed_range():
    real = {"songs": 12, "notes": 0.4, "arrangement": 1.0, "mean_p": {"notes": 0.4, "arrangement": 0.9}, "markers": MARKERS}
    s = _summary()
    rows = bench.table("pop", real, {"retrieval": {"summary": s, "check": ev.check(s, real)}})
    assert len({line.count("|") for line in rows}) == 1  # every row has the header's columns
    cells = [c.strip() for c in rows[-1].split("|")]
    lo, hi = ev.wilson(7, 19)
    assert cells[3] == "0,1,2" and cells[4] == "37% (pass, bar 34%)"
    assert cells[5] == f"{100 * lo:.0f}-{100 * hi:.0f}%; within noise" and cells[6] == "32-42%"
    assert cells[7] == "0.35" and "**pass**" in cells[-2]
    real_cells = [c.strip() for c in rows[2].split("|")]
    assert real_cells[4] == "40%" and real_cells[5] == bench.span(ev.wilson(0.4 * 12, 12))


def test_a_page_from_a_run_before_seeds_still_renders():
    real = {"songs": 12, "notes": 0.4, "arrangement": 1.0, "markers": MARKERS}
    old = {k: v for k, v in _summary(songs=19).items() if k not in ("sources", "seeds", "per_seed", "mean_p", "interval")}
    rows = bench.table("pop", real, {"retrieval": {"summary": old, "check": ev.check(old, real)}})
    cells = [c.strip() for c in rows[-1].split("|")]
    assert cells[3] == "0" and cells[5] == "n/a" and cells[6] == "" and cells[7] == "n/a"
    # re-rendered, it gets the interval of its one seed: 19 outputs, one per source
    block = bench.rechecked({"targets": {"pop": {"real": real, "methods": {"retrieval": {"summary": old}}}}})
    got = block["targets"]["pop"]["methods"]["retrieval"]
    assert got["summary"]["interval"]["notes"] == pytest.approx(list(ev.wilson(7, 19)))
    assert got["check"]["within_noise"] == ["notes", "arrangement"] and got["check"]["pass"] is True


def test_merge_refuses_an_earlier_run_at_other_seeds(tmp_path):
    meta = {"sources": [["a.mid", "jazz"]], "judges": {}, "reals": 12, "seed": 0}
    (tmp_path / "arrangement.json").write_text(json.dumps({"meta": meta}))  # a run before --convert-seeds: seed 0
    args = argparse.Namespace(out=tmp_path, name="arrangement", reals=12, seed=0)
    sources = [(type("S", (), {"source": "a.mid"})(), "jazz")]
    assert bench._earlier(args, sources, {}, [0]) is not None
    with pytest.raises(SystemExit, match="seeds 0, this one at 0,1,2"):
        bench._earlier(args, sources, {}, [0, 1, 2])
