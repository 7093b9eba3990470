"""``render``: MIDI (or a score) to WAV."""
from __future__ import annotations

from pathlib import Path

import click

from .common import check_output


@click.command()
@click.argument("midi", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="WAV to write (default: beside the MIDI).")
@click.option("--soundfont", type=click.Path(path_type=Path), help="An .sf2 file (default: see soundfonts/README.md).")
@click.option("--rate", type=int, default=44100, show_default=True, help="Sample rate.")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def render(midi, output, soundfont, rate, force):
    """Render a MIDI file (or a score, or BOOK.abc#N) to WAV through FluidSynth."""
    from ..render import render as do_render
    from ..representation.files import Piece
    from ..representation.midi_io import split_tune
    path, number = split_tune(midi)
    out = check_output(output or path.with_name(Piece(path, number).stem + ".wav"), [path], force)
    do_render(midi, out, soundfont=soundfont, rate=rate)
    click.echo(f"wrote {out}")
