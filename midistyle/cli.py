"""The ``midistyle`` command. Parses arguments, shows progress, turns typed errors into one line.

Heavy modules (torch, music21, matplotlib) are imported inside the commands that need them.
Exit codes: 0 ok, 1 some files of a batch failed, 2 usage, 3 bad input, 4 output refused,
5 bad model, 6 rendering failed, 130 interrupted.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .errors import MidistyleError, OutputError


class _Group(click.Group):
    """Runs a command; a MidistyleError becomes ``Error: <file>: <reason>`` and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MidistyleError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="midistyle")
def main():
    """midistyle: symbolic-MIDI genre style transfer."""


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
    if parent.exists() and not os.access(parent, os.W_OK):
        raise OutputError(out, "folder is not writable")
    return out


def _roll_config(steps_per_beat: int):
    from .config import RollConfig
    try:
        return RollConfig(steps_per_beat=steps_per_beat)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--steps-per-beat") from None


steps_option = click.option("--steps-per-beat", "steps_per_beat", type=int, default=4, show_default=True,
                            help="Grid steps per quarter note (4 = 16th notes; 12 for triplets/swing).")
tune_option = click.option("--tune", type=int, default=None,
                           help="Tune number in an ABC book (X: number); same as FILE#N.")


@main.command()
@click.argument("file")
@steps_option
@tune_option
def inspect(file, steps_per_beat, tune):
    """Tracks, meters, tempi, bars, and what the grid will lose for FILE."""
    from .summary import describe
    from .representation import read
    song = read(file, tune=tune, require_pitched=False)
    click.echo(describe(song, _roll_config(steps_per_beat)))


def _parse_bars(text: str | None):
    if not text:
        return None
    try:
        a, _, b = text.partition(":")
        return (int(a) if a else None, int(b) if b else None)
    except ValueError:
        raise click.BadParameter(f"expected A:B (bar numbers from 0), got {text!r}", param_hint="--bars")


@main.command()
@click.argument("file")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="PNG to write.")
@click.option("--bars", help="Bars A:B to draw (0-based, end exclusive), e.g. 0:8.")
@steps_option
@tune_option
@click.option("--force", is_flag=True, help="Replace an existing output.")
def roll(file, output, bars, steps_per_beat, tune, force):
    """Draw FILE as a piano roll with bar lines, one colour per instrument."""
    from .evaluate.plots import plot_roll
    from .representation import read, song_to_roll
    song = read(file, tune=tune)
    check_output(output, [Path(file)], force)
    r = song_to_roll(song, _roll_config(steps_per_beat))
    names = [song.tracks[i].name or f"track {i}" for i in r.track_index]
    plot_roll(r.sustain, r.onset, r.bar_starts, r.cfg, output, track_names=names,
              bars=_parse_bars(bars), title=Path(song.source).name)
    click.echo(f"wrote {output} ({r.n_bars} bars, {len(names)} instruments)")


@main.command()
@click.argument("file")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="MIDI file to write.")
@steps_option
@tune_option
@click.option("--force", is_flag=True, help="Replace an existing output.")
def quantize(file, output, steps_per_beat, tune, force):
    """Write FILE as the models see it (bar tensors written back to MIDI)."""
    from .representation import grid_report, quantize as snap, read, write_midi
    song = read(file, tune=tune)
    check_output(output, [Path(file)], force)
    cfg = _roll_config(steps_per_beat)
    rep = grid_report(song, cfg)
    write_midi(snap(song, cfg), output)
    click.echo(f"wrote {output}: {rep['pitched_notes']} pitched notes, {rep['off_grid_onsets']} onsets moved "
               f"to the grid, {rep['out_of_range']} out of range dropped, {rep['merged']} merged")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
