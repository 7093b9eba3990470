"""midistyle/errors.py: one table of exit codes, documented, used by the errors and the CLI."""
import re

from click.testing import CliRunner

import midistyle.errors as E
from midistyle.cli import main


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
