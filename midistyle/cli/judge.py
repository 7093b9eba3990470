"""``judge``: the style judge's commands; ``judge fit`` refits it on a genre-labelled corpus."""
from __future__ import annotations

from pathlib import Path

import click

from .common import comma_list


@click.group("judge")
def judge():
    """The style judge: the classifier of musical features that evaluate and classify report."""


@judge.command("fit")
@click.option("--data", type=click.Path(path_type=Path), required=True,
              help="Corpus folder: <genre>/<collection>/...")
@click.option("--cache", type=click.Path(path_type=Path), required=True,
              help="Feature cache folder (kept between runs: re-running resumes).")
@click.option("--out", type=click.Path(path_type=Path), help="Write the fitted judge here.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes.")
@click.option("--how", type=click.Choice(["piece", "segments"]), default="piece", show_default=True,
              help="One row per piece, or one per segment (each piece's segments weighted to sum to one).")
@click.option("--c", "c", type=float, default=1.0, show_default=True, help="Inverse L2 strength.")
@click.option("--exclude", multiple=True, metavar="COLLECTION",
              help="A collection left out of training (repeat for several).")
@click.option("--balance", type=click.Choice(["genre", "collection"]), default="genre", show_default=True,
              help="Weigh genres alike, or also the collections inside a genre.")
@click.option("--align", type=click.Choice(["off", "auto"]), default="off", show_default=True,
              help="auto: re-time performances off their own grid to beats tracked from the notes.")
@click.option("--no-augment", "augment", is_flag=True, default=True, flag_value=False,
              help="Do not also fit on performance-like copies of the training pieces.")
@click.option("--grid", type=click.IntRange(min=0), default=12, show_default=True, metavar="STEPS",
              help="Also fit on every training piece through convert's beat alignment and a grid of this many "
                   "steps per quarter, and score validation pieces through it (0: no such copies).")
@click.option("--features", type=click.Choice(["notes", "arrangement"]), default="notes", show_default=True,
              help="notes: the style judge (pitched notes); arrangement: the arrangement judge (drums, feel, bass, "
                   "harmony colour, instruments).")
@click.option("--genres", default=None, help="Comma-separated genre folders (default: every folder of --data).")
@click.option("--per-source", type=click.IntRange(min=1), default=None,
              help="At most this many training pieces per collection (seeded).")
@click.option("--val-per-source", type=click.IntRange(min=1), default=None,
              help="At most this many validation pieces per collection (seeded).")
@click.option("--cap", "caps", multiple=True, metavar="GENRE/COLLECTION=TRAIN,VAL",
              help="Other caps for one collection, e.g. slow score files (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the caps' draws.")
def fit(data, cache, out, workers, how, c, exclude, balance, align, augment, grid, features, genres, per_source,
        val_per_source, caps, seed):
    """Refit the style judge on a genre-labelled corpus (needs scikit-learn: pip install 'midistyle[train]');
    prints its validation scores."""
    import json

    from ..style.fit import fit_style_judge
    try:
        cap_table = {k: tuple(int(n) for n in v.split(",")) for k, v in (cap.split("=") for cap in caps)}
    except ValueError:
        raise click.BadParameter("give GENRE/COLLECTION=TRAIN,VAL", param_hint="--cap") from None
    names = comma_list(genres) if genres else None
    fitted, result, on_grid = fit_style_judge(data, cache, workers=workers, how=how, c=c, exclude=exclude,
                                              balance=balance, align=align, augment=augment, grid=grid,
                                              features=features, genres=names, per_source=per_source,
                                              val_per_source=val_per_source, caps=cap_table, seed=seed)
    click.echo(json.dumps(result, indent=1))
    if on_grid is not None:
        click.echo("through convert's grid: " + json.dumps(on_grid, indent=1))
    if out:
        fitted.save(out)
        click.echo(f"wrote {out}")
