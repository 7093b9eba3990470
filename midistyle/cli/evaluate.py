"""``evaluate``: measure a conversion against baselines and write a report."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ExitCode
from .common import target_genre, threshold_option, to_option


@click.command("evaluate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), help="A folder of songs to evaluate (instead of FILES).")
@to_option
@click.option("--model", type=click.Path(path_type=Path),
              help="As convert's: instead of the shipped arrangement, an assets folder (`train bank`), an arranger "
                   "checkpoint, or an edit model's checkpoint (a GAN, CycleGAN or StarGAN run).")
@click.option("--edit", is_flag=True,
              help="Measure the shipped edit model (midistyle/pretrained/to_GENRE), as convert --edit, instead of "
                   "the arrangement transfer convert runs by default.")
@click.option("--classifier", type=click.Path(path_type=Path),
              help="CNN genre classifier checkpoint, the second opinion (default: the shipped one).")
@click.option("--style-judge", "style_judge", type=click.Path(path_type=Path),
              help="Style judge folder for the headline numbers (default: the shipped one).")
@click.option("--converted", type=click.Path(path_type=Path),
              help="Read <stem>.<genre>.mid from this folder instead of converting.")
@click.option("--target-data", type=click.Path(path_type=Path),
              help="Real songs of the target genre (folder or file): musicality reference and random baseline.")
@click.option("--max-files", type=click.IntRange(min=1), help="A random sample of at most N inputs (and N real songs).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Report folder (default: eval-<genre> here).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for noise and random samples.")
@threshold_option
@click.option("--device", default=None, help="torch device (default cpu).")
@click.option("--force", is_flag=True, help="Replace an existing report folder.")
def evaluate_cmd(files, data, to, model, edit, classifier, style_judge, converted, target_data, max_files, output, seed,
                 threshold, device, force):
    """Measure what convert does (the arrangement transfer by default; --edit or an edit model's --model for the
    edit models): style strength by the judges, content kept, musicality, against baselines; write a report."""
    from tqdm import tqdm
    from ..evaluate.report import evaluate, input_files
    if bool(files) == (data is not None):
        raise click.UsageError("give either FILES or --data DIR")
    to = target_genre(to, own_model=model is not None or classifier is not None)
    inputs = list(files) if files else data
    out = output or Path(f"eval-{to}")
    with tqdm(total=len(input_files(inputs, max_files, seed)), unit="song", desc=f"evaluate to {to}",
              disable=None) as bar:
        rep = evaluate(inputs, to, out_dir=out, model=model, classifier=classifier, converted_dir=converted,
                       target_real=target_data, seed=seed, threshold=threshold, max_files=max_files, force=force,
                       device=device, progress=bar.update, style_judge=style_judge, edit=edit)
    from ..evaluate.writeup import headline
    click.echo(f"wrote {out / 'report.md'}: {headline(rep)}")
    if rep["failed"]:
        click.echo(f"{len(rep['failed'])} failed:", err=True)
        for item in rep["failed"]:
            click.echo(f"  {item['path']}: {item['reason']}", err=True)
        sys.exit(ExitCode.FAILED)
