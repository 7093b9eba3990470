"""Corpus preparation on folders built in code: counts, skip reasons, phrases, split, resume."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tests.corpus_fixtures import ABC_BOOK, BAD, abc_tune, make_sources

from midistyle.data.settings import prepare_from_settings as prepare_from_cli
from midistyle.data.corpus import prepare, split_of
from midistyle.data.index import iter_phrases, read_index
from midistyle.config import RollConfig
from midistyle.data.phrases import PhraseSpec, cut_phrases, regroup_short_meter
from midistyle.representation.abc import book_tunes
from midistyle.errors import InputError
from midistyle.representation import Song, Track

EXPECTED_SKIPS = {"duplicate": 2, "not a MIDI file (no MThd header)": 1, "malformed MIDI": 1,
                  "no notes": 1, "only drum notes, nothing pitched to work on": 1}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    sources = make_sources(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("out")
    report = prepare(sources, out, workers=2, val_fraction=0.5, progress=False)
    return sources, out, report


def by_source(out: Path) -> dict[str, list[dict]]:
    recs: dict[str, list[dict]] = {}
    for rec in iter_phrases(read_index(out)):
        recs.setdefault(Path(rec["source"]).name, []).append(rec)
    return recs


def test_summary_counts(built):
    _, out, report = built
    assert report.files == {"band": 12, "tunes": 1}  # README.txt is not music
    assert report.tunes == {"band": 0, "tunes": 4}
    assert {g: sum(s.values()) for g, s in report.pieces.items()} == {"band": 7, "tunes": 3}
    assert {g: sum(s.values()) for g, s in report.phrases.items()} == {"band": 12, "tunes": 6}
    assert set(report.cpu_s) == {"midi", "abc"} and all(v > 0 for v in report.cpu_s.values())
    assert report.skipped == EXPECTED_SKIPS
    text = "\n".join(report.summary_lines())
    assert "band" in text and "malformed MIDI" in text
    assert read_index(out)["summary"]["skipped"] == EXPECTED_SKIPS


def test_skipped_csv_names_each_file_and_reason(built):
    _, out, _ = built
    with open(out / "skipped.csv", newline="") as f:
        rows = {Path(r["path"]).name: r["reason"] for r in csv.DictReader(f)}
    assert rows["notes.mid"] == "not a MIDI file (no MThd header)"
    assert rows["truncated.mid"].startswith("malformed MIDI: ")
    assert rows["empty.mid"] == "no notes"
    assert rows["drums.mid"] == "only drum notes, nothing pitched to work on"
    assert rows["four-copy.mid"] == f"duplicate of {Path(built[0]['band'][0]) / 'four.mid'}"
    assert rows["book.abc#9"] == f"duplicate of {Path(built[0]['tunes'][0]) / 'book.abc'}#1"
    assert len(rows) == 6


def test_phrases_cut_at_barlines(built):
    recs = by_source(built[1])
    expect = {  # source: (bar offsets, true steps, meter)
        "four.mid": ([0, 4], [64, 64], "4/4"), "waltz.mid": ([0, 4], [48, 48], "3/4"),
        "jig.mid": ([0, 4], [48, 48], "6/8"), "short.mid": ([0], [64], "4/4"),
        "tiny.mid": ([0], [32], "4/4"), "pop909.mid": ([0, 4], [64, 64], "4/4"),
        "slow38.mid": ([0, 4], [48, 48], "6/8"),
        "book.abc#1": ([0, 4], [64, 64], "4/4"), "book.abc#2": ([0, 4], [64, 64], "4/4"),
        "book.abc#7": ([0, 4], [64, 64], "4/4"),
    }
    assert set(recs) == set(expect)
    for name, (bars, steps, meter) in expect.items():
        assert [r["bar"] for r in recs[name]] == bars, name
        assert [r["steps"] for r in recs[name]] == steps, name
        assert {r["meter"] for r in recs[name]} == {meter}, name
    assert recs["pop909.mid"][0]["grid"] == "regrouped 1/4 as 4/4"
    assert recs["slow38.mid"][0]["grid"] == "regrouped 3/8 as 6/8"
    assert recs["four.mid"][0]["grid"] == "meter"
    assert recs["book.abc#7"][0]["tune"] == 7


def test_shards_hold_the_notes(built):
    _, out, _ = built
    index = read_index(out)
    recs = by_source(out)
    shards = {s["file"]: np.load(out / s["file"]) for s in index["shards"]}
    for arr in shards.values():
        assert arr.dtype == np.uint8 and arr.shape[1:] == (2, 64, 84)
        assert set(np.unique(arr)) <= {0, 1}
        assert arr[:, 0].reshape(len(arr), -1).any(axis=1).all()  # no empty phrase kept
    assert sum(len(a) for a in shards.values()) == len(index["phrases"])

    def roll(name, k):
        r = recs[name][k]
        return shards[r["shard"]][r["row"]]

    # four.mid: quarter notes cycling 60, 64, 67, 72 from quarter 0 (independent expectation)
    want = np.zeros((2, 64, 84), np.uint8)
    for q in range(16):
        p = (60, 64, 67, 72)[(16 + q) % 4] - 24  # second phrase starts at quarter 16
        want[0, 4 * q, p] = 1
        want[1, 4 * q:4 * q + 4, p] = 1
    np.testing.assert_array_equal(roll("four.mid", 1), want)
    waltz = roll("waltz.mid", 0)
    assert waltz[:, :48].any() and not waltz[:, 48:].any()  # 4 bars of 3/4, then padding
    tiny = roll("tiny.mid", 0)
    assert tiny[0, :24].sum() == 6 and not tiny[:, 24:].any()  # 6 quarters of notes, padded
    jig = roll("jig.mid", 0)
    assert jig[0, :48].sum() == 24  # eighth notes: an onset every 2 steps


def test_split_is_by_content_hash(built, tmp_path):
    sources, out, _ = built
    pieces = read_index(out)["pieces"]
    assert {p["split"] for p in pieces} == {"train", "val"}
    for p in pieces:
        if p["kind"] == "midi":
            assert p["sha1"] == hashlib.sha1(Path(p["path"]).read_bytes()).hexdigest()
        assert p["split"] == split_of(p["sha1"], 0.5)
    # the same files prepared with other company land on the same side
    prepare({"other": sources["band"]}, tmp_path / "o", workers=1, val_fraction=0.5, progress=False)
    side = {p["sha1"]: p["split"] for p in pieces}
    for p in read_index(tmp_path / "o")["pieces"]:
        assert side[p["sha1"]] == p["split"]


def test_rerun_and_clean_run_give_identical_output(built, tmp_path):
    sources, out, _ = built
    before = (out / "index.json").read_bytes()
    again = prepare(sources, out, workers=2, val_fraction=0.5, progress=False)
    assert again.cached == 10 + 4  # every piece and every skip came from the cache
    assert (out / "index.json").read_bytes() == before
    fresh = prepare(sources, tmp_path / "fresh", workers=1, val_fraction=0.5, progress=False)
    assert fresh.cached == 0
    assert (tmp_path / "fresh" / "index.json").read_bytes() == before
    for s in read_index(out)["shards"]:
        assert (tmp_path / "fresh" / s["file"]).read_bytes() == (out / s["file"]).read_bytes()


@pytest.mark.slow
def test_timeout_is_reported_and_retried(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "book.abc").write_text(ABC_BOOK)
    r = prepare({"folk": [tmp_path / "t"]}, tmp_path / "o", workers=1, time_limit=0.002, progress=False)
    assert r.skipped == {"timeout": 3, "duplicate": 1}
    with open(tmp_path / "o" / "skipped.csv", newline="") as f:
        assert sum(row["reason"] == "timeout (over 0.002 s of CPU or 0.004 s)" for row in csv.DictReader(f)) == 3
    r = prepare({"folk": [tmp_path / "t"]}, tmp_path / "o", workers=1, progress=False)
    assert r.skipped == {"duplicate": 1} and sum(r.pieces["folk"].values()) == 3


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """240 ABC tunes (slow enough to interrupt: about 2 s on one worker) and the index of a clean run."""
    folder = tmp_path_factory.mktemp("many")
    notes = ["CDEF|GABc|cBAG|FEDC|", "EFGA|Bcde|edcB|AGFE|", "GABc|defg|gfed|cBAG|"]
    (folder / "many.abc").write_text("".join(abc_tune(i + 1, f"T{i}", notes[i % 3] * (1 + i % 4))
                                             for i in range(240)))
    sources = {"folk": [str(folder)]}
    clean = tmp_path_factory.mktemp("clean")
    prepare(sources, clean, workers=2, progress=False)
    return sources, (clean / "index.json").read_bytes()


def _group_gone(pgid: int, within: float) -> bool:
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", ["kill-group", "kill-main", "ctrl-c"])
@pytest.mark.slow
def test_interrupted_run_resumes_to_the_clean_result(tmp_path, many, how):
    sources, clean_index = many
    for attempt in range(3):  # on a fast idle machine the run may end between the check and the signal
        out = tmp_path / f"out{attempt}"
        # Ctrl-C as in a terminal, whatever this test process inherited (a child inherits SIGINT ignored
        # from its parent, and only a Python-level handler tells otherwise)
        code = (f"import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
                f"from midistyle.data.corpus import prepare\n"
                f"prepare({sources!r}, {str(out)!r}, workers=1, progress=False)\n")
        proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while len(list(out.glob("cache/*/*/*.npz"))) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "finished before it could be interrupted"
        if how == "kill-group":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.send_signal(signal.SIGKILL if how == "kill-main" else signal.SIGINT)
        proc.wait(timeout=30)
        if proc.returncode != 0:
            break
        assert (out / "index.json").read_bytes() == clean_index  # it had finished: a whole, correct corpus
    assert proc.returncode != 0, "the run finished before the signal landed, three times"
    gone = _group_gone(proc.pid, 10)  # no worker outlives its run
    if not gone:
        os.killpg(proc.pid, signal.SIGKILL)
    assert gone
    assert not (out / "index.json").exists()  # never mistaken for a finished corpus
    with pytest.raises(InputError, match="not a prepared corpus"):
        read_index(out)
    done = len(list(out.glob("cache/*/*/*.npz")))
    report = prepare(sources, out, workers=2, progress=False)
    assert report.cached >= min(done, 4)
    assert (out / "index.json").read_bytes() == clean_index
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]


def test_cli_helper_reads_a_config_file(built, tmp_path):
    sources, _, _ = built
    src_root = Path(sources["band"][0]).parent
    cfg = tmp_path / "corpus.toml"
    rel = os.path.relpath(src_root, tmp_path)
    cfg.write_text(f'phrase_bars = 2\n[sources]\nband = ["{rel}/band"]\ntunes = ["{rel}/tunes"]\n')
    report = prepare_from_cli(config=cfg, out=tmp_path / "o", workers=1, progress=False)
    index = read_index(tmp_path / "o")
    assert index["phrase_bars"] == 2 and index["phrase_steps"] == 32 and index["hop"] == 2
    assert sum(report.phrases["tunes"].values()) == 12  # 8 bars in 2-bar phrases, 3 tunes
    flags = prepare_from_cli([str(src_root / "tunes")], "folk", tmp_path / "o2", bars=4, hop=2,
                             steps_per_beat=2, workers=1, progress=False)
    index = read_index(tmp_path / "o2")
    assert index["roll_config"]["steps_per_beat"] == 2 and index["phrase_steps"] == 32
    assert sum(flags.phrases["folk"].values()) == 9  # starts at bars 0, 2, 4
    (tmp_path / "bad.json").write_text(json.dumps({"sources": {"x": ["nowhere"]}, "bogus": 1}))
    with pytest.raises(InputError, match="unknown setting"):
        prepare_from_cli(config=tmp_path / "bad.json", out=tmp_path / "o3", progress=False)
    with pytest.raises(InputError, match="--genre"):
        prepare_from_cli([str(src_root)], None, tmp_path / "o3", progress=False)
    with pytest.raises(InputError, match="no such file or folder"):
        prepare_from_cli([str(tmp_path / "missing")], "x", tmp_path / "o3", progress=False)


def test_split_book_carries_header_fields():
    book = "%comment\nM:6/8\nL:1/8\n\nX:3\nT:a\nK:G\nGAB|\n\nX:3\nT:b\nK:D\nDEF|\n"
    tunes = [(t.number, t.text) for t in book_tunes(book)]
    assert [n for n, _ in tunes] == [3, 3]
    assert all(t.startswith("M:6/8\nL:1/8\nX:3\n") for _, t in tunes)


def _song(sigs, quarters=32.0):
    notes = [(q, q + 0.5, 60 + int(q) % 12, 80) for q in np.arange(0, quarters, 0.5)]
    return Song([Track.from_notes("p", 0, False, notes)], [(0.0, 120.0)], list(sigs), source="<s>")


@pytest.mark.parametrize("sigs, grid, meters", [
    ([(0.0, 1, 4)], "regrouped 1/4 as 4/4", [(0.0, 4, 4)]),
    # POP909 writes 4/4 and 1/4 at the same tick: the last one is the meter (as bar_lines reads it)
    ([(0.0, 4, 4), (0.0, 1, 4)], "regrouped 1/4 as 4/4", [(0.0, 4, 4)]),
    ([(0.0, 2, 8)], "regrouped 2/8 as 4/4", [(0.0, 4, 4)]),
    ([(0.0, 1, 8), (0.5, 3, 8)], "regrouped 3/8 as 6/8", [(0.0, 4, 4), (0.5, 6, 8)]),  # pickup stays short
    ([(0.0, 1, 4), (1.0, 4, 4)], "meter", [(0.0, 1, 4), (1.0, 4, 4)]),  # a pickup alone: no change
    ([(0.0, 2, 4)], "meter", [(0.0, 2, 4)]),
])
def test_regroup_short_meters(sigs, grid, meters):
    song, note = regroup_short_meter(_song(sigs))
    assert note == grid and song.time_signatures == meters


def test_pickups_lead_in_and_do_not_name_the_meter():
    spec = PhraseSpec(RollConfig(), 4, 4, 64)
    pickup_then_waltz = _song([(0.0, 1, 4), (1.0, 3, 4)], 25.0)  # 1 + 8 bars
    ph = cut_phrases(pickup_then_waltz, spec)
    assert ph.bars.tolist() == [1, 5] and ph.steps.tolist() == [48, 48] and ph.meters == ["3/4", "3/4"]
    assert ph.info["grid"] == "meter" and ph.info["meter"] == "3/4"
    short = cut_phrases(_song([(0.0, 1, 4), (1.0, 3, 4)], 10.0), spec)  # 1 + 3 bars: keep the pickup
    assert short.bars.tolist() == [0] and short.steps.tolist() == [40] and short.meters == ["3/4"]


def test_prepare_into_an_existing_folder_adds_the_genre_and_keeps_the_others(tmp_path):
    """`prepare a --genre jazz -o prep` then `prepare b --genre pop -o prep` used to leave pop only."""
    sources = make_sources(tmp_path / "src")
    out = tmp_path / "prep"
    first = prepare_from_cli([str(sources["band"][0])], "band", out, workers=1, progress=False)
    assert first.kept == first.replaced == ()
    second = prepare_from_cli([str(sources["tunes"][0])], "tunes", out, workers=1, progress=False)
    index = read_index(out)
    assert index["genres"] == ["band", "tunes"] and second.kept == ("band",)
    assert second.cached == sum(first.pieces["band"].values()) + len(BAD)  # band pieces and reasons: cached
    assert second.phrases["band"] == first.phrases["band"]
    assert any(line.startswith("kept band") for line in second.summary_lines())
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "four.mid").write_bytes((sources["band"][0] / "four.mid").read_bytes())
    third = prepare_from_cli([str(tmp_path / "other")], "band", out, workers=1, progress=False)
    assert third.replaced == ("band",) and third.kept == ("tunes",)
    assert read_index(out)["genres"] == ["band", "tunes"]
    assert {g: sum(s.values()) for g, s in third.pieces.items()} == {"band": 1, "tunes": 3}
    assert any(line.startswith("replaced band") for line in third.summary_lines())
    again = prepare_from_cli([str(tmp_path / "other")], "band", out, workers=1, progress=False)
    assert again.replaced == () and again.kept == ("tunes",)  # the same folders again: a rerun, nothing said


def test_a_kept_genre_whose_folders_are_gone_is_named(tmp_path):
    import shutil

    sources = make_sources(tmp_path / "src")
    out = tmp_path / "prep"
    prepare({"tunes": sources["tunes"]}, out, workers=1, progress=False)
    shutil.rmtree(sources["tunes"][0])
    with pytest.raises(InputError, match="genre 'tunes' already in .* gone"):
        prepare({"band": sources["band"]}, out, workers=1, progress=False)
    assert read_index(out)["genres"] == ["tunes"]  # untouched
    report = prepare({"band": sources["band"]}, out, workers=1, progress=False, keep_genres=False)
    assert report.genres == ("band",)
