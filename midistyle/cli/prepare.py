"""``prepare`` and ``subset``: build a training corpus."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import align_option, engine_options


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--genre", help="Genre label of the SOURCES folders.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("prepared"), show_default=True,
              help="Output folder (index.json, shards/, skipped.csv).")
@click.option("--config", type=click.Path(path_type=Path), help="TOML/JSON file mapping genres to folders.")
@click.option("--workers", type=int, default=None, help="Processes (default: all cores).")
@click.option("--bars", type=int, default=None, help="Bars per phrase (default 4).")
@click.option("--hop", type=int, default=None, help="Bars between phrase starts (default: --bars).")
@click.option("--steps-per-beat", "steps_per_beat", type=int, default=None, help="Grid steps per quarter (default 4).")
@align_option(None, help_default="auto (pieces whose onsets miss their own grid); given, it overrides the config "
                                  "file's settings, per-source ones included")
@click.option("--content", type=click.Choice(["roll", "arrangement"]), default=None,
              help="What a phrase holds: roll (all pitched notes merged; the edit models') or arrangement "
                   "(melody, chords, bass, comping and drum lanes by role, drum-only files too; for "
                   "`train bank` and `train arranger`). Default roll.")
@engine_options
def prepare(sources, genre, out, config, workers, bars, hop, steps_per_beat, align_beats, content, engine,
            engine_address):
    """Turn folders of MIDI/MusicXML/kern/ABC into a training set of phrase tensors."""
    from ..data.settings import prepare_from_settings
    report = prepare_from_settings([str(s) for s in sources], genre, out, config=config, workers=workers, hop=hop,
                                   bars=bars, steps_per_beat=steps_per_beat, progress=sys.stderr.isatty(), engine=engine,
                                   engine_address=engine_address, align_beats=align_beats,
                                   content=content)
    for line in report.summary_lines():
        click.echo(line)


@click.command("subset")
@click.argument("prepared", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="New folder for the copy.")
@click.option("--train", "n_train", type=click.IntRange(min=0), default=6000, show_default=True,
              help="Training phrases kept per genre (at most).")
@click.option("--val", "n_val", type=click.IntRange(min=0), default=500, show_default=True,
              help="Validation phrases kept per genre (at most).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random draw.")
def subset(prepared, out, n_train, n_val, seed):
    """Copy a random part of a prepared corpus (to carry it to another machine or try settings fast)."""
    from ..data.subset import subset_corpus
    kept = subset_corpus(prepared, out, train=n_train, val=n_val, seed=seed)
    for genre, n in kept.items():
        click.echo(f"{genre}: {n['train']:,} train, {n['val']:,} val phrases")
    click.echo(f"wrote {out}")
