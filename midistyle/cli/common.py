"""Options and helpers that several commands share."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import OutputError
from ..representation.song import GENRES

GENRE_LIST = ", ".join(GENRES[:-1]) + f" or {GENRES[-1]}"


def check_output(out: Path, inputs: list[Path], force: bool) -> Path:
    """Refuse to overwrite an input, or an existing output without --force."""
    out = Path(out)
    for src in map(Path, inputs):
        same = os.path.samefile(out, src) if out.exists() and src.exists() else out.resolve() == src.resolve()
        if same:
            raise OutputError(out, "is an input file; refusing to overwrite it")
    if out.exists() and not force:
        raise OutputError(out, "already exists (use --force to replace it)")
    if out.exists() and out.is_dir():
        raise OutputError(out, "is a folder")
    parent = out.resolve().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(out, f"{parent} is not a folder")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise OutputError(out, "folder is not writable")
    return out


def roll_config(steps_per_beat: int):
    """The RollConfig of ``--steps-per-beat``; a bad value is a usage error."""
    from ..config import RollConfig
    try:
        return RollConfig(steps_per_beat=steps_per_beat)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--steps-per-beat") from None


steps_option = click.option("--steps-per-beat", "steps_per_beat", type=int, default=4, show_default=True,
                            help="Grid steps per quarter note (4 = 16th notes; 12 for triplets/swing).")
tune_option = click.option("--tune", type=int, default=None,
                           help="Tune number in an ABC book (X: number); same as FILE#N.")


ALIGN_MODES = ("off", "auto", "on")  # representation.beats.MODES, without importing numpy here


def align_option(default: str):
    """``--align-beats`` with its default for this command."""
    return click.option(
        "--align-beats", "align_beats", type=click.Choice(ALIGN_MODES), default=default, show_default=True,
        is_flag=False, flag_value="on",
        help="Re-time the song to beats estimated from its notes (librosa's beat tracker; notes keep their "
             "times in seconds): on; auto = only when its onsets miss the grid of its own tempo map and its "
             "own beats disagree with the estimate; off. Given alone (after FILE): on.")


def aligned(song, mode: str, cfg, say: bool = True):
    """``(song, Alignment or None)``: the song on its estimated beats per ``mode``; says so when it changed."""
    if mode == "off":
        return song, None
    from ..representation.beats import align_beats
    al = align_beats(song, mode, cfg.steps_per_beat)
    if al.changed and say:
        click.echo(f"beats: {al.summary()}")
    return al.song, al


def engine_options(f):
    """``--engine`` and ``--engine-address``."""
    f = click.option("--engine-address", default=None, metavar="URL",
                     help="Dask scheduler to use, e.g. tcp://host:8786 (default: a local cluster).")(f)
    return click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                        help="Run on local processes or on a Dask cluster (pip install 'midistyle[dask]').")(f)


def tunes_of(file) -> list:
    """The tunes of an ABC book named by FILE (or FILE#N); [] for anything else."""
    from ..representation.abc import book_tunes, decode
    from ..representation.midi_io import split_tune
    path = split_tune(file)[0]
    if path.suffix.lower() != ".abc" or not path.is_file():
        return []
    return book_tunes(decode(path.read_bytes()))


def parse_bars(text: str | None):
    """``--bars A:B`` -> ``(A, B)`` (either may be None); None when not given."""
    if not text:
        return None
    try:
        a, _, b = text.partition(":")
        return (int(a) if a else None, int(b) if b else None)
    except ValueError:
        raise click.BadParameter(f"expected A:B (bar numbers from 0), got {text!r}", param_hint="--bars")
