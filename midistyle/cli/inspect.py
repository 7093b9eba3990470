"""``inspect``, ``roll`` and ``quantize``: look at one song on the grid."""
from __future__ import annotations

from pathlib import Path

import click

from .common import (aligned, align_option, check_output, fitted_steps_option, parse_bars, plural, roll_config,
                     steps_option, tune_option, tunes_of)

LONG_ROLL_BARS = 48  # more bars than this draw too small to read on one picture


@click.command()
@click.argument("file")
@steps_option
@tune_option
@align_option("off")
@click.option("--roles", is_flag=True, help="Also read the song as a lead sheet: each track's role (melody, "
              "bass, comp, drums; one piano split by note) and the chord chart with the key.")
def inspect(file, steps_per_beat, tune, align_beats, roles):
    """Tracks, meters, tempi, bars, and what the grid will lose for FILE (with --align-beats: on the
    beats estimated from its notes, with the estimated tempo, meter and first downbeat)."""
    from ..summary import describe
    from ..representation import read
    from ..transfer import shipped_grids
    song = read(file, tune=tune, require_pitched=False)
    cfg = roll_config(steps_per_beat)
    song, al = aligned(song, align_beats, cfg, say=False)
    click.echo(describe(song, cfg, model_grids=shipped_grids()))
    if al is not None:
        click.echo(f"  beats    {al.summary()}")
    book = tunes_of(file)
    if len(book) > 1:
        labels = [str(t.label) for t in book]
        shown = ", ".join(labels[:3]) + (f" ... {labels[-1]}" if len(labels) > 3 else "")
        click.echo(f"  book     {len(book)} tunes ({shown}); pick one with --tune N or FILE#N")
    if roles:
        from ..analysis.leadsheet import chart, read_lead_sheet
        click.echo(chart(read_lead_sheet(song)))


@click.command()
@click.argument("file")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="PNG to write.")
@click.option("--bars", help="Bars A:B to draw (0-based, end exclusive), e.g. 0:8.")
@fitted_steps_option
@tune_option
@align_option("auto")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def roll(file, output, bars, steps_per_beat, tune, align_beats, force):
    """Draw FILE as a piano roll with bar lines, one colour per instrument."""
    from ..evaluate.plots import plot_roll, select_bars
    from ..representation import read, song_to_roll
    song = read(file, tune=tune)
    check_output(output, [Path(file)], force)
    if steps_per_beat is None:  # the grid the file's onsets need: a jazz output's triplets stay triplets
        from ..representation.roll import fitting_grid
        steps_per_beat = fitting_grid(song)
    cfg = roll_config(steps_per_beat)
    song, _ = aligned(song, align_beats, cfg)
    r = song_to_roll(song, cfg)
    chosen = select_bars(parse_bars(bars), r.n_bars, file)
    names = [song.tracks[i].name or f"track {i}" for i in r.track_index]
    plot_roll(r.sustain, r.onset, r.bar_starts, r.cfg, output, track_names=names,
              bars=(chosen.start, chosen.stop), title=Path(song.source).name)
    shown = f"bars {chosen.start}:{chosen.stop} of {r.n_bars}" if len(chosen) < r.n_bars else f"{r.n_bars} bars"
    click.echo(f"wrote {output} ({shown}, {plural(len(names), 'instrument')}, {cfg.steps_per_beat} steps per quarter)")
    if len(chosen) > LONG_ROLL_BARS:
        click.echo(f"{len(chosen)} bars make a crowded picture: pick some with --bars, e.g. --bars 0:16")


@click.command()
@click.argument("file")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="MIDI file to write.")
@steps_option
@tune_option
@align_option("auto")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def quantize(file, output, steps_per_beat, tune, align_beats, force):
    """Write FILE as the models see it (bar tensors written back to MIDI); re-timed to its estimated
    beats first when --align-beats says so (the output's tempo map puts its beats there)."""
    from ..representation import grid_report, quantize as snap, read, write_midi
    song = read(file, tune=tune)
    check_output(output, [Path(file)], force)
    cfg = roll_config(steps_per_beat)
    song, _ = aligned(song, align_beats, cfg)
    rep = grid_report(song, cfg)
    write_midi(snap(song, cfg), output)
    click.echo(f"wrote {output}: {rep['pitched_notes']} pitched notes, {rep['off_grid_onsets']} onsets moved "
               f"to the grid, {rep['out_of_range']} out of range dropped, {rep['merged']} merged")
