"""Typed errors. The CLI turns each into one line on stderr and a non-zero exit code."""
from __future__ import annotations

import os


class MidistyleError(Exception):
    """Base class for every error midistyle raises on purpose."""

    exit_code = 1


class InputError(MidistyleError):
    """An input file cannot be used: missing, unreadable, malformed or empty."""

    exit_code = 3

    def __init__(self, path: str | os.PathLike | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class OutputError(MidistyleError):
    """An output cannot be written: exists without --force, unwritable folder, same as input."""

    exit_code = 4

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(MidistyleError):
    """A model checkpoint is missing, tampered with, or does not match its config."""

    exit_code = 5

    def __init__(self, path: str | os.PathLike | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class RenderError(MidistyleError):
    """Audio rendering failed: no libfluidsynth, no soundfont, or the synth broke."""

    exit_code = 6
