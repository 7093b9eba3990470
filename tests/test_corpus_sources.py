"""The genres a prepared folder records (sources.json): only sources that were prepared."""
from __future__ import annotations

import json
import shutil

import pytest
from tests.corpus_fixtures import make_sources

from midistyle.data.corpus import prepare
from midistyle.data.index import read_index
from midistyle.errors import InputError

pytestmark = pytest.mark.slow  # subprocesses, models or training runs: seconds each


def _recorded(out):
    return json.loads((out / "sources.json").read_text())


@pytest.mark.parametrize("bad", ["missing", "no-music"])
def test_a_failed_prepare_does_not_poison_its_folder(tmp_path, bad):
    """`prepare /nonexistent --genre jazz -o X` used to record /nonexistent, and every later
    prepare into X was refused because that source was gone."""
    sources = make_sources(tmp_path / "src")
    out = tmp_path / "prep"
    prepare({"band": sources["band"]}, out, workers=1, progress=False)
    before = _recorded(out)
    wrong = tmp_path / "nonexistent"
    if bad == "no-music":
        wrong.mkdir()
        (wrong / "readme.txt").write_text("no music here")
    with pytest.raises(InputError):
        prepare({"jazz": [wrong]}, out, workers=1, progress=False)
    assert _recorded(out) == before  # neither the folder nor the genre was recorded
    assert read_index(out)["genres"] == ["band"]  # the corpus is untouched
    report = prepare({"tunes": sources["tunes"]}, out, workers=1, progress=False)
    assert report.genres == ("band", "tunes") and report.kept == ("band",)
    assert sorted(_recorded(out)) == ["band", "tunes"]


def test_a_failed_prepare_into_a_new_folder_leaves_nothing(tmp_path):
    out = tmp_path / "prep"
    with pytest.raises(InputError):
        prepare({"jazz": [tmp_path / "nonexistent"]}, out, workers=1, progress=False)
    assert not (out / "sources.json").exists()


def test_a_gone_source_says_how_to_go_on(tmp_path):
    sources = make_sources(tmp_path / "src")
    out = tmp_path / "prep"
    prepare({"tunes": sources["tunes"]}, out, workers=1, progress=False)
    moved = tmp_path / "moved"
    shutil.move(str(sources["tunes"][0]), moved)
    with pytest.raises(InputError) as err:
        prepare({"band": sources["band"]}, out, workers=1, progress=False)
    msg = str(err.value)
    assert "--genre tunes" in msg and "sources.json" in msg  # point it elsewhere, or drop it
    # both ways out work: point the genre at its new place ...
    report = prepare({"tunes": [moved], "band": sources["band"]}, out, workers=1, progress=False)
    assert report.genres == ("tunes", "band") and report.replaced == ("tunes",)
    # ... or drop it from sources.json as the message says
    shutil.rmtree(moved)
    recorded = _recorded(out)
    del recorded["tunes"]
    (out / "sources.json").write_text(json.dumps(recorded))
    report = prepare({"band": sources["band"]}, out, workers=1, progress=False)
    assert report.genres == ("band",)
