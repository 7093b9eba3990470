"""errors.py: typed errors and the one-line messages the CLI prints."""
from __future__ import annotations

from midistyle.errors import ConfigError, InputError, MidistyleError, one_line


def test_one_line_names_the_reason_once_and_folds_lines():
    assert one_line(InputError("a.mid", "no notes")) == "no notes"
    assert one_line(KeyError('x')) == "KeyError: 'x'" and one_line(OSError("a\n  b")) == "OSError: a b"
    assert one_line(RuntimeError("")) == "RuntimeError"
    assert one_line(ValueError("bad\x1b[31m value"), typed=False) == "bad [31m value"
    assert one_line(ValueError("x" * 500), limit=50) == ("ValueError: " + "x" * 500)[:50]
    err = ConfigError("unknown preset 'huge'")
    assert isinstance(err, ValueError) and isinstance(err, MidistyleError) and err.exit_code == 2
