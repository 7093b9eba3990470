"""evaluate measures what convert does: the arrangement transfer by default, the edit model with --edit."""
from __future__ import annotations

import json

import pytest
from tests.midi_fixtures import rich_song, swung_line

from midistyle.evaluate.writeup import headline
from midistyle.representation import read, write_midi
from midistyle.transfer import by_arrangement

pytestmark = pytest.mark.slow  # the shipped bank, the judges' beat tracking, the shipped edit model


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    root = tmp_path_factory.mktemp("in")
    write_midi(rich_song(), root / "rich.mid")
    write_midi(swung_line(), root / "swung.mid")
    return root


@pytest.fixture(scope="module")
def reports(songs, tmp_path_factory):
    from click.testing import CliRunner

    from midistyle.cli import main

    if not by_arrangement("jazz"):
        pytest.skip("the shipped arrangement assets are not installed")
    out = tmp_path_factory.mktemp("rep")
    runs = {}
    for name, extra in (("default", []), ("edit", ["--edit"])):
        res = CliRunner().invoke(main, ["evaluate", "--data", str(songs), "--to", "jazz", "-o", str(out / name), *extra])
        assert res.exit_code == 0, res.output
        runs[name] = (out / name, json.loads((out / name / "report.json").read_text()), res.output)
    return runs


def test_by_default_evaluate_measures_the_arrangement_with_both_judges(reports, songs):
    folder, rep, said = reports["default"]
    assert rep["converter"] == "arrangement"
    assert rep["model"]["converter"] == "arrangement" and rep["model"]["kind"] == "retrieval"
    assert rep["model"]["path"].endswith("arrangement") and rep["settings"]["threshold"] is None
    assert rep["counts"]["songs"] == 2 and not rep["failed"]
    arr = rep["style_judge"]["arrangement_judge"]
    for key in ("inputs", "outputs"):
        assert arr["target_rate"][key] in (0.0, 0.5, 1.0) and 0.0 <= arr["p_target"][key] <= 1.0
    assert all("arrangement" in s["style_p_target"] for s in rep["songs"])
    # the arrangement keeps the melody note for note and plays a band the sources did not have
    kept = rep["arrangement_content"]
    assert kept["melody_f1"] == pytest.approx(1.0) and 0.0 < kept["chroma"] <= 1.0
    assert kept["melody_f1"] == pytest.approx(sum(s["arrangement_content"]["melody_f1"] for s in rep["songs"]) / 2)
    assert rep["counts"]["notes_out"] > rep["counts"]["notes_in"]
    outputs = sorted((folder / "converted").iterdir())
    assert [p.name for p in outputs] == ["rich.jazz.mid", "swung.jazz.mid"]
    assert any(t.is_drum for t in read(outputs[0], require_pitched=False).tracks)
    assert f"arrangement judge: outputs judged jazz {arr['target_rate']['outputs']:.0%}" in said
    assert headline(rep) in said
    md = (folder / "report.md").read_text()
    assert "Converter: the arrangement transfer" in md and "## Arrangement judge" in md
    assert md.index("- Arrangement judge") < md.index("- Style judge:")  # it decides, as in convert


def test_with_edit_evaluate_measures_the_shipped_edit_model(reports):
    folder, rep, said = reports["edit"]
    assert rep["converter"] == "edit" and rep["model"]["converter"] == "edit"
    assert rep["model"]["path"].endswith("to_jazz") and rep["model"]["step"] is not None
    assert rep["settings"]["threshold"] == 0.5 and rep["arrangement_content"] is None
    assert "arrangement judge:" not in headline(rep) and "(an edit model)" in said
    assert not any(t.is_drum for t in read(folder / "converted" / "swung.jazz.mid", require_pitched=False).tracks)
    md = (folder / "report.md").read_text()
    assert "Model (edit model): `" in md and "Converter: the arrangement" not in md


def test_edit_with_an_arrangement_model_is_a_one_line_error(cli, songs, tmp_path):
    from midistyle.rearrange import SHIPPED_ASSETS

    res = cli("evaluate", songs / "rich.mid", "--to", "jazz", "--edit", "--model", SHIPPED_ASSETS, "-o", tmp_path / "r")
    assert res.exit_code != 0 and "not an edit model" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "r").exists()
