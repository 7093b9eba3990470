"""The same error gives the same exit code in every command (errors.py's table: 3 bad input)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from midistyle.cli import main
from midistyle.errors import InputError

MISSING = "/nonexistent/x.mid"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("args", [
    ["convert", MISSING, "--to", "jazz"], ["inspect", MISSING], ["render", MISSING], ["classify", MISSING],
    ["compare", MISSING, MISSING, "-o", "x.png"], ["roll", MISSING, "-o", "x.png"],
    ["quantize", MISSING, "-o", "x.mid"], ["evaluate", MISSING, "--to", "jazz"],
    ["prepare", MISSING, "--genre", "jazz", "-o", "{tmp}/p"],
])
def test_a_missing_path_is_rc_3_everywhere(args, tmp_path, monkeypatch):
    """classify gave rc 1 where the other commands gave 3."""
    monkeypatch.chdir(tmp_path)
    res = run(*[a.format(tmp=tmp_path) for a in args])
    assert res.exit_code == InputError.exit_code == 3, res.output
    assert res.output.count("\n") == 1 and res.output.startswith("Error: ")


@pytest.mark.parametrize("args", [
    ["convert", "{empty}", "--to", "jazz", "-o", "{tmp}/out"], ["classify", "{empty}"],
    ["prepare", "{empty}", "--genre", "jazz", "-o", "{tmp}/p"], ["evaluate", "--data", "{empty}", "--to", "jazz"],
])
def test_a_folder_with_no_music_is_rc_3_everywhere(args, tmp_path, monkeypatch):
    """convert and classify gave rc 2 with a usage header; prepare and evaluate rc 3."""
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no music here")
    res = run(*[a.format(tmp=tmp_path, empty=empty) for a in args])
    assert res.exit_code == 3, res.output
    assert res.output.count("\n") == 1 and res.output.startswith("Error: ") and "Usage" not in res.output
