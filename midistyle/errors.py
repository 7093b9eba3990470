"""Typed errors, and the exit codes of the ``midistyle`` command.

The CLI turns each error into one line on stderr (``Error: <file>: <reason>``) and its class's
``exit_code``, one of :class:`ExitCode`:

====  ===========  ==========================================================================
code  name         meaning
====  ===========  ==========================================================================
0     OK           done
1     FAILED       some files of a batch failed (each listed on stderr), a report missed the ship
                   bar, or another MidistyleError
2     USAGE        bad arguments or settings (click's usage errors, :class:`ConfigError`)
3     INPUT        an input cannot be used (:class:`InputError`)
4     OUTPUT       an output is refused (:class:`OutputError`)
5     MODEL        a model checkpoint cannot be used (:class:`ModelError`)
6     RENDER       rendering audio failed (:class:`RenderError`)
7     ENGINE       the cluster engine failed (:class:`EngineError`)
130   INTERRUPTED  Ctrl-C (:class:`Interrupted` says how far a batch got and how to go on)
====  ===========  ==========================================================================
"""
from __future__ import annotations

import enum
import os


class ExitCode(enum.IntEnum):
    """The exit codes of the ``midistyle`` command (the table in this module's docstring)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INPUT = 3
    OUTPUT = 4
    MODEL = 5
    RENDER = 6
    ENGINE = 7
    INTERRUPTED = 130


class MidistyleError(Exception):
    """Base class for every error midistyle raises on purpose."""

    exit_code = ExitCode.FAILED


class _PathError(MidistyleError):
    """An error about one file or folder: ``path`` (may be None) and a one-line ``reason``."""

    def __init__(self, path: str | os.PathLike | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class InputError(_PathError):
    """An input file cannot be used: missing, unreadable, malformed or empty."""

    exit_code = ExitCode.INPUT


class OutputError(_PathError):
    """An output cannot be written: exists without --force, unwritable folder, same as input."""

    exit_code = ExitCode.OUTPUT


class ModelError(_PathError):
    """A model checkpoint is missing, tampered with, or does not match its config."""

    exit_code = ExitCode.MODEL


class RenderError(MidistyleError):
    """Audio rendering failed: no libfluidsynth, no soundfont, or the synth broke."""

    exit_code = ExitCode.RENDER


class ConfigError(MidistyleError, ValueError):
    """Settings that do not fit together: an unknown preset, overlapping genre domains, a config field
    out of range. A ValueError too, so callers that caught ValueError before still do; the CLI
    reports it as a usage error (exit 2)."""

    exit_code = ExitCode.USAGE


# C0/C1 control characters and DEL: messages quote file contents and reach terminals
_CONTROLS = {c: " " for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str, limit: int = 160) -> str:
    """``text`` on one line: control characters (ANSI escapes, NUL, newlines) made spaces, cut to ``limit``."""
    return text.translate(_CONTROLS).strip()[:limit]


def one_line(exc: BaseException, *, limit: int = 200, typed: bool = True) -> str:
    """What went wrong in ``exc``, on one printable line of at most ``limit`` characters.

    A path error gives its ``reason`` (callers name the file beside it), another midistyle error
    its message. Anything else gives its message with white space folded, prefixed by its type
    name when ``typed`` (a bare ``KeyError: 'x'`` says little without it); an empty message gives
    the type name alone.
    """
    if isinstance(exc, _PathError):
        text = exc.reason
    elif isinstance(exc, MidistyleError):
        text = str(exc)
    else:
        message = " ".join(str(exc).split())
        text = f"{type(exc).__name__}: {message}" if typed and message else message or type(exc).__name__
    return printable(" ".join(text.split()), limit)


class MidistyleWarning(UserWarning):
    """Something the user should know that does not stop the work (a collapsed training run, no
    validation data, a preset too large for the device). The CLI prints it as ``warning: ...``."""


class EngineError(_PathError):
    """A cluster engine is not installed, cannot be reached, or a task failed on it."""

    exit_code = ExitCode.ENGINE


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a batch, stopped at once: how far it got and how to go on. A KeyboardInterrupt,
    so code that stops on Ctrl-C still does; the CLI prints it and exits 130."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, done: int, total: int, unit: str, then: str):
        self.done, self.total = done, total
        super().__init__(f"{done} of {total} {unit} done; {then}")
