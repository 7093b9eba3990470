"""``render``: MIDI (or a score) to WAV."""
from __future__ import annotations

from pathlib import Path

import click

from .common import check_output, tune_option


@click.command()
@click.argument("midi", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="WAV to write (default: <stem>.wav here, as convert writes <stem>.<genre>.mid here).")
@click.option("--soundfont", type=click.Path(path_type=Path), help="An .sf2 file (default: see soundfonts/README.md).")
@click.option("--rate", type=int, default=44100, show_default=True, help="Sample rate.")
@click.option("--force", is_flag=True, help="Replace an existing output.")
@tune_option
def render(midi, output, soundfont, rate, force, tune):
    """Render a MIDI file (or a score, or BOOK.abc#N) to WAV through FluidSynth."""
    from ..errors import InputError
    from ..render import render as do_render
    from ..representation.files import Piece
    from ..representation.midi_io import split_tune
    path, number = split_tune(midi)
    if tune is not None and number is not None and tune != number:
        raise InputError(midi, f"--tune {tune} and #{number} name different tunes; give one")
    number = tune if tune is not None else number
    out = check_output(output or Path(Piece(path, number).stem + ".wav"), [path], force)
    do_render(midi if number is None else f"{path}#{number}", out, soundfont=soundfont, rate=rate)
    click.echo(f"wrote {out}")
