"""``train bank``: a genre's arrangement assets (profile + retrieval bank) from a prepared corpus."""
from __future__ import annotations

from pathlib import Path

import click

from .common import comma_list


@click.command("bank")
@click.option("--data", type=click.Path(path_type=Path), required=True,
              help="Folder made by `midistyle prepare --content arrangement`.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True,
              help="Assets folder (arrangement.json, <genre>/profile.json and bank); genres already there are kept.")
@click.option("--genres", default=None, help="Comma-separated genres (default: all of the corpus).")
@click.option("--max-bars", type=click.IntRange(min=1), default=4000, show_default=True,
              help="Real bars kept per genre: its most typical (a seeded draw when OUT holds one genre).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of that draw.")
@click.option("--with-shipped", is_flag=True,
              help="Bank beside the shipped genres: copy them into OUTPUT first, so the folder converts to all of "
                   "them and every genre's bars are told apart from all the others'.")
def bank(data, out, genres, max_bars, seed, with_shipped):
    """Retrieval arranger: each genre's instruments, kit and feel (profile.json) and a bank of its real
    bars, for `convert --model OUT` (no gradient steps: minutes on a CPU). Each bank's bars are weighed
    by how typical of their genre they are against the other genres of OUT, refitted for all of them."""
    from ..data.banks import write_genre_assets

    if with_shipped:
        from ..arrangement.assets import copy_genres
        from ..rearrange import SHIPPED_ASSETS

        copy_genres(SHIPPED_ASSETS, out)
    names = comma_list(genres) if genres else None
    for genre, folder in write_genre_assets(data, out, names, max_bars=max_bars, seed=seed).items():
        click.echo(f"{genre}: {folder}")
    click.echo(f"wrote {out} (convert --model {out} --to GENRE)")
