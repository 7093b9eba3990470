"""Options and helpers that several commands share."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from ..atomic import check_writable
from ..errors import OutputError
from ..representation.song import GENRES

GENRE_LIST = ", ".join(GENRES[:-1]) + f" or {GENRES[-1]}"
NO_MUSIC = "no MIDI, MusicXML, kern or ABC files here"  # a folder with no music: InputError, rc 3 everywhere


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
    check_writable(out)  # before the work: a file is really made there (os.access says yes to root in /proc)
    return out


def target_genre(to: str, own_model: bool) -> str:
    """``--to``: a shipped genre in any case (``--to JAZZ``); any other name only with a model of
    one's own (``own_model``), else a usage error listing the shipped genres."""
    to = to.lower() if to.lower() in GENRES else to
    if not own_model and to not in GENRES:
        raise click.BadParameter(f"{to!r} is not a shipped genre; choose from {', '.join(GENRES)}",
                                 param_hint="--to")
    return to


def roll_config(steps_per_beat: int):
    """The RollConfig of ``--steps-per-beat``; a bad value is a usage error."""
    from ..config import RollConfig
    try:
        return RollConfig(steps_per_beat=steps_per_beat)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--steps-per-beat") from None


steps_option = click.option("--steps-per-beat", "steps_per_beat", type=int, default=4, show_default=True,
                            help="Grid steps per quarter note (4 = 16th notes; 12 for triplets/swing).")
fitted_steps_option = click.option(
    "--steps-per-beat", "steps_per_beat", type=int, default=None,
    help="Grid steps per quarter note (default: fitted to the file: 4 for 16th notes, 12 when its onsets "
         "need triplets, as the shipped to_jazz model's outputs do).")
tune_option = click.option("--tune", type=int, default=None,
                           help="Tune number in an ABC book (X: number); same as FILE#N.")
# convert's and evaluate's: the target genre and a network's note threshold
to_option = click.option("--to", "to", required=True, help=f"Target genre: {GENRE_LIST} (others with --model).")
threshold_option = click.option(
    "--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.5, show_default=True,
    help="Note probability threshold of a network (edit model, arranger), between 0 and 1.")


ALIGN_MODES = ("off", "auto", "on")  # representation.beats.MODES, without importing numpy here


ALIGN_HELP = ("Re-time the song to beats estimated from its notes (librosa's beat tracker; notes keep their "
              "times in seconds)")


def align_option(default: str | None, help_default: str | None = None):
    """``--align-beats`` (a plain flag: on) and ``--align-beats-mode off|auto|on``, merged into the
    command's ``align_beats`` argument (``default`` when neither is given). A flag cannot swallow
    the next word: ``quantize --align-beats FILE`` reads FILE as the file."""
    def decorate(f):
        @functools.wraps(f)
        def command(*args, align_beats_flag: bool = False, **kwargs):
            mode = kwargs.pop("align_beats")
            if align_beats_flag and mode not in (None, "on"):
                raise click.UsageError(f"--align-beats (on) and --align-beats-mode {mode} disagree; give one")
            kwargs["align_beats"] = "on" if align_beats_flag else mode if mode is not None else default
            return f(*args, **kwargs)

        command = click.option(
            "--align-beats-mode", "align_beats", type=click.Choice(ALIGN_MODES), default=None,
            help=f"{ALIGN_HELP}: on; auto = only when its onsets miss the grid of its own tempo map and its own "
                 f"beats disagree with the estimate; off. Default: {help_default or default}.")(command)
        return click.option("--align-beats", "align_beats_flag", is_flag=True,
                            help="Re-time to beats estimated from the notes (same as --align-beats-mode on).")(command)
    return decorate


def legacy_align_args(args: list[str]) -> list[str]:
    """Old spellings of ``--align-beats MODE`` (the option used to take an optional value):
    ``--align-beats=auto`` and ``--align-beats auto`` (a mode word that is not a file here) become
    ``--align-beats-mode auto``."""
    out, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return out + args[i:]
        if isinstance(arg, str) and arg.startswith("--align-beats="):  # callers may pass paths
            out += ["--align-beats-mode", arg.partition("=")[2]]
        elif arg == "--align-beats" and i + 1 < len(args) and args[i + 1] in ALIGN_MODES \
                and not os.path.exists(args[i + 1]):
            out += ["--align-beats-mode", args[i + 1]]
            i += 1
        else:
            out.append(arg)
        i += 1
    return out


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


def comma_list(text: str) -> list[str]:
    """``"pop, rock,"`` -> ``["pop", "rock"]``: the non-empty items of a comma-separated option."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_bars(text: str | None):
    """``--bars A:B`` -> ``(A, B)`` (either may be None); None when not given."""
    if not text:
        return None
    try:
        a, _, b = text.partition(":")
        return (int(a) if a else None, int(b) if b else None)
    except ValueError:
        raise click.BadParameter(f"expected A:B (bar numbers from 0), got {text!r}", param_hint="--bars")


def plural(n: int, word: str) -> str:
    """``1 instrument``, ``3 instruments``."""
    return f"{n} {word}{'' if n == 1 else 's'}"
