"""``classify``: genre probabilities of pieces from the style judge and the CNN."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ExitCode, InputError
from .common import NO_MUSIC


@click.command("classify")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object per line per piece: {"file", "tune", "style", "cnn"} or {"file", "error"}.')
@click.option("--judge", type=click.Path(path_type=Path), help="A style judge folder instead of the shipped one.")
@click.option("--classifier", type=click.Path(path_type=Path), help="A CNN classifier checkpoint instead of the shipped one.")
@click.option("--device", default=None, help="torch device for the CNN (default cpu).")
def classify_cmd(inputs, as_json, judge, classifier, device):
    """Genre probabilities of each piece (files, folders, book.abc#N) from the style judge and the CNN."""
    import json
    from tqdm import tqdm
    from ..classify import classify_pieces, pieces_of, table
    from ..genre_classifier import GenreClassifier
    from ..models.device import resolve_device
    from ..representation.midi_io import split_tune
    from ..style import StyleJudge
    for item in inputs:  # a missing path is bad input (rc 3), as in every command, not a failed piece
        if not split_tune(item)[0].exists():
            raise InputError(item, "no such file or folder")
    style = StyleJudge.load(judge)
    cnn = GenreClassifier.load(classifier, device=str(resolve_device(device, default="cpu")))
    verdicts = []
    pieces = pieces_of(list(inputs))
    with tqdm(total=len(pieces), unit="piece", desc="classify", disable=None) as bar:
        for v in classify_pieces(pieces, judge=style, cnn=cnn, progress=bar.update):
            verdicts.append(v)
            if as_json:
                bar.clear()
                click.echo(json.dumps(v.record(), ensure_ascii=False, allow_nan=False))
    if not as_json and any(v.error is None for v in verdicts):
        click.echo(table(verdicts))
    failed = [v for v in verdicts if v.error is not None]
    if not verdicts:
        raise InputError(", ".join(map(str, inputs)), NO_MUSIC)
    if failed:
        click.echo(f"{len(failed)} failed:", err=True)
        for v in failed:
            click.echo(f"  {v.file}: {v.error}", err=True)
        sys.exit(ExitCode.FAILED)
