"""Typed errors. The CLI turns each into one line on stderr and a non-zero exit code."""
from __future__ import annotations

import os


class MidistyleError(Exception):
    """Base class for every error midistyle raises on purpose."""

    exit_code = 1


class _PathError(MidistyleError):
    """An error about one file or folder: ``path`` (may be None) and a one-line ``reason``."""

    def __init__(self, path: str | os.PathLike | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class InputError(_PathError):
    """An input file cannot be used: missing, unreadable, malformed or empty."""

    exit_code = 3


class OutputError(_PathError):
    """An output cannot be written: exists without --force, unwritable folder, same as input."""

    exit_code = 4


class ModelError(_PathError):
    """A model checkpoint is missing, tampered with, or does not match its config."""

    exit_code = 5


class RenderError(MidistyleError):
    """Audio rendering failed: no libfluidsynth, no soundfont, or the synth broke."""

    exit_code = 6
