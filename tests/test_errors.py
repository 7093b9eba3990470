"""errors.py: typed errors, the one-line messages the CLI prints, and one table of exit codes
(documented in the module's docstring) used by the errors and the CLI."""
from __future__ import annotations

import re

from click.testing import CliRunner

import midistyle.errors as E
from midistyle.cli import main
from midistyle.errors import ConfigError, InputError, MidistyleError, one_line


def test_one_line_names_the_reason_once_and_folds_lines():
    assert one_line(InputError("a.mid", "no notes")) == "no notes"
    assert one_line(KeyError('x')) == "KeyError: 'x'" and one_line(OSError("a\n  b")) == "OSError: a b"
    assert one_line(RuntimeError("")) == "RuntimeError"
    assert one_line(ValueError("bad\x1b[31m value"), typed=False) == "bad [31m value"
    assert one_line(ValueError("x" * 500), limit=50) == ("ValueError: " + "x" * 500)[:50]
    err = ConfigError("unknown preset 'huge'")
    assert isinstance(err, ValueError) and isinstance(err, MidistyleError) and err.exit_code == 2


def test_the_docstring_table_lists_every_exit_code():
    rows = dict(re.findall(r"^(\d+)\s+([A-Z]+)\s", E.__doc__, flags=re.M))
    assert rows == {str(int(code)): code.name for code in E.ExitCode}


def test_each_error_class_exits_with_its_code():
    assert E.MidistyleError.exit_code == 1 == E.ExitCode.FAILED
    assert [E.ConfigError.exit_code, E.InputError.exit_code, E.OutputError.exit_code, E.ModelError.exit_code,
            E.RenderError.exit_code, E.EngineError.exit_code] == [2, 3, 4, 5, 6, 7]


def test_the_cli_exits_with_the_table_codes(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["inspect", str(tmp_path / "none.mid")])
    assert missing.exit_code == E.ExitCode.INPUT == 3
    assert missing.output.strip().startswith("Error: ") and len(missing.output.strip().splitlines()) == 1
    assert runner.invoke(main, ["inspect"]).exit_code == E.ExitCode.USAGE


def test_ctrl_c_exits_130(monkeypatch, tmp_path):
    import midistyle.representation as R

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(R, "read", interrupted)
    res = CliRunner().invoke(main, ["inspect", str(tmp_path / "x.mid")])
    assert res.exit_code == E.ExitCode.INTERRUPTED == 130
    assert "Interrupted." in res.output
