"""``convert``: a song or a folder to another genre."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ExitCode, InputError, OutputError
from ..representation.song import GENRES
from .common import (NO_MUSIC, align_option, check_output, comma_list, engine_options, target_genre, threshold_option,
                     to_option, tune_option, tunes_of)


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@to_option
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output MIDI (folder for a folder input). Default: <stem>.<genre>.mid here.")
@click.option("--from", "from_genre",
              help="Source genre (an edit model's source code; default: detected by the shipped classifier).")
@click.option("--model", type=click.Path(path_type=Path),
              help="Instead of the shipped arrangement: an assets folder (`train bank`) or an arranger checkpoint, "
                   "or an edit model's checkpoint (a GAN, CycleGAN or StarGAN run, or midistyle/pretrained/to_GENRE).")
@click.option("--wav", is_flag=True, help="Also render a WAV preview beside each MIDI.")
@click.option("--compare", is_flag=True, help="Also write <out>.compare.wav: original, then converted.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed: ties among an arrangement's bars, a GAN's noise.")
@threshold_option
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for a folder (default: all cores).")
@click.option("--device", default=None, help="torch device (default cpu).")
@click.option("--edit", is_flag=True,
              help="Use the shipped edit model (midistyle/pretrained/to_GENRE: changes the notes of one merged "
                   "piano roll and keeps the source's band) instead of the arrangement transfer.")
@click.option("--arrange", is_flag=True,
              help="The arrangement transfer (the default: keep the melody and chords, re-make drums, bass, "
                   "comping, feel and instruments from the genre's real songs); kept for old command lines.")
@click.option("--keep", default="", metavar="PARTS",
              help="Comma-separated parts the arrangement keeps as the source had them: melody, bass, comp, "
                   "drums, instruments, feel (not with an edit model).")
@click.option("--force", is_flag=True, help="Replace existing outputs.")
@tune_option
@align_option("auto")
@engine_options
def convert(source, to, output, from_genre, model, wav, compare, seed, threshold, workers, device, edit, arrange,
            keep, force, tune, align_beats, engine, engine_address):
    """Convert a whole song (or every file under a folder) to another genre: by default the arrangement
    transfer (the song's melody and chords in the genre's own band and feel); --edit or an edit model's
    --model for the merged-roll edit models."""
    keep = _keep_list(keep)
    to = target_genre(to, own_model=model is not None)
    _check_from(from_genre, model)
    arranges = _check_transfer(to, model, edit, arrange, keep)
    if source.is_dir():
        if compare:
            raise click.UsageError("--compare works on one input file (a folder would make one WAV per piece "
                                   "to listen to in turn); use --wav for a folder, or compare single files")
        if tune is not None:
            raise click.UsageError("--tune picks a tune of one ABC book; a folder converts every tune")
        return _convert_folder(source, to, output, from_genre, model, wav, seed, threshold, workers, device, force,
                               engine, engine_address, align_beats, edit, keep, arranges)
    if engine != "local" or engine_address:
        raise click.UsageError("--engine and --engine-address are for a folder input")
    from ..representation import read, write_midi
    from ..style.verdict import output_verdicts
    from ..transfer import load_converter
    from ..representation.files import Piece
    from ..representation.midi_io import split_tune
    path, number = split_tune(source)
    number = tune if tune is not None else number
    piece = Piece(path, number)
    out = piece.output_path(to, output)  # book.abc#12 -> book.12.jazz.mid
    check_output(out, [path], force)
    song = read(source, tune=tune)
    book = tunes_of(source)
    if len(book) > 1 and number is None:
        click.echo(f"{source} holds {len(book)} tunes: converting the first ({song.source}); "
                   "pick another with --tune N, or convert the book's folder for all")
    conv = load_converter(to, model, edit=edit, keep=keep, device=device, from_genre=from_genre)
    result, info = conv.convert_song(song, seed=seed, threshold=threshold, from_genre=from_genre,
                                     align_beats=align_beats)
    if "aligned" in info:
        click.echo(f"beats: {info['aligned']}")
    if "detected" in info:
        click.echo(f"source genre: {info['detected']} (detected, p={info['detected_p']:.2f})")
    write_midi(result, out)
    click.echo(f"wrote {out}: {info['bars']} bars, {info['notes_in']} notes in, {info['notes_out']} out ({conv.target})")
    # judged as written: the file's tick grid rounds a humanised onset, which the judges may feel
    _say_verdicts(output_verdicts(read(out), conv.target, arranged=arranges), out, conv.target, arranges)
    if wav or compare:
        from ..render import render, render_compare
        if wav:
            w = check_output(out.with_suffix(".wav"), [], force)
            render(out, w)
            click.echo(f"wrote {w}")
        if compare:
            c = check_output(out.with_name(out.stem + ".compare.wav"), [], force)
            render_compare(piece.source, out, c)
            click.echo(f"wrote {c} (original, then {to})")


OFF_TARGET_HINT = ("the model moved the notes but not far enough for the tool's referee "
                   "(`midistyle evaluate` measures a model on many songs)")
ARRANGED_OFF_TARGET_HINT = ("it judges the pitched notes, and the arrangement keeps the song's melody and chords "
                            "(`midistyle evaluate` measures a transfer on many songs, with the arrangement judge)")
ARRANGEMENT_OFF_TARGET_HINT = ("the genre's drums, bass, comping, feel and instruments did not carry the song there "
                               "(`midistyle evaluate` measures a transfer on many songs)")


def _hint(verdict: dict, arranges: bool) -> str:
    if verdict.get("judge") == "arrangement":
        return ARRANGEMENT_OFF_TARGET_HINT
    return ARRANGED_OFF_TARGET_HINT if arranges else OFF_TARGET_HINT


def _say_verdicts(verdicts: dict, out: Path, to: str, arranges: bool) -> None:
    """The judges' verdicts on one output (:func:`~midistyle.style.verdict.describe_verdicts`), and a
    warning when the deciding one (the arrangement judge's, when it judged) is not the target."""
    from ..style.verdict import LABELS, deciding, describe_verdicts
    for line in describe_verdicts(verdicts, to, arranged=arranges):
        click.echo(line)
    verdict = deciding(verdicts)
    if verdict is not None and not verdict["matches"]:
        click.echo(f"warning: the {LABELS[verdict['judge']]} does not call {out} {to}; {_hint(verdict, arranges)}",
                   err=True)


def _check_transfer(to: str, model: Path | None, edit: bool, arrange: bool, keep: tuple[str, ...]) -> bool:
    """Which transfer runs (True: the arrangement), refusing flags that contradict it."""
    from ..transfer import by_arrangement

    if edit and arrange:
        raise click.UsageError("--edit and --arrange pick different transfers; give one")
    arranges = by_arrangement(to, model, edit=edit)
    if not arranges:
        what = f"--model {model} is an edit model" if model is not None else "--edit uses the shipped edit model"
        if arrange:
            raise click.UsageError(f"--arrange needs an assets folder or an arranger checkpoint; {what}")
        if keep:
            raise click.UsageError(f"--keep works with the arrangement transfer; {what} "
                                   "(it keeps every part but the notes)")
    return arranges


def _check_from(from_genre: str | None, model: Path | None) -> None:
    """``--from`` must name a genre: a shipped one, or one the given model was trained on."""
    if from_genre is None:
        return
    known = list(GENRES)
    from ..arrangement.assets import assets_genres, is_assets
    if is_assets(model):
        known += [g for g in assets_genres(model) if g not in known]
    elif model is not None:
        from ..models.checkpoint import read_meta
        meta = read_meta(model)
        known += [g for g in (*meta.genres, *meta.source, *meta.target) if g not in known]
    if from_genre not in known:
        raise click.BadParameter(f"{from_genre!r} is not a genre{' this model knows' if model else ''}; "
                                 f"choose from {', '.join(known)}", param_hint="--from")


def _keep_list(text: str) -> tuple[str, ...]:
    """``--keep a,b`` as a tuple of known part names (a usage error names the valid ones)."""
    from ..arrangement.arrange import KEEPABLE

    parts = tuple(comma_list(text))
    unknown = [p for p in parts if p not in KEEPABLE]
    if unknown:
        raise click.BadParameter(f"cannot keep {', '.join(unknown)}; choose from {', '.join(KEEPABLE)}",
                                 param_hint="--keep")
    return parts


def _convert_folder(source, to, output, from_genre, model, wav, seed, threshold, workers, device, force,
                    engine="local", engine_address=None, align_beats="auto", edit=False, keep=(), arranges=True):
    from tqdm import tqdm
    from ..batch import convert_many, folder_jobs
    if output is None:
        raise click.UsageError("a folder input needs -o OUTPUT_FOLDER")
    if output.exists() and not output.is_dir():
        raise OutputError(output, "is a file; a folder input needs an output folder")
    jobs = folder_jobs(source, output, to)
    if not jobs:
        raise InputError(source, NO_MUSIC)
    with tqdm(total=len(jobs), unit="file", desc=f"to {to}", disable=None) as bar:
        report = convert_many(jobs, to, model=model, workers=workers, seed=seed, threshold=threshold,
                              from_genre=from_genre, force=force, wav=wav, device=device, progress=bar.update,
                              engine=engine, engine_address=engine_address, align_beats=align_beats,
                              edit=edit, keep=keep)
    done = f"converted {len(report.written)} of {len(jobs)} pieces into {output}"
    if report.skipped:
        done += f" ({len(report.skipped)} already there, kept; --force redoes them)"
    click.echo(done)
    _say_counts(report, to, arranges)
    if report.aligned:
        click.echo(f"re-timed {len(report.aligned)} to beats estimated from their notes "
                   f"(--align-beats-mode {align_beats}):")
        for src, what in report.aligned:
            click.echo(f"  {src}: {what}")
    if report.failed:
        click.echo(f"{len(report.failed)} failed:", err=True)
        for src, reason in report.failed:
            click.echo(f"  {src}: {reason}", err=True)
        sys.exit(ExitCode.FAILED)


def _say_counts(report, to: str, arranges: bool) -> None:
    """A folder's summary: outputs judged ``to`` by each judge (the arrangement judge first, when it
    judged), and a warning naming one output the deciding judge does not call ``to``."""
    from ..style.verdict import ASIDE_LABEL, LABELS, describe_verdict
    counts, judges = [], [j for j in ("arrangement", "style") if report.judged(j)]
    for judge in judges:
        label = ASIDE_LABEL if judge == "style" and "arrangement" in judges else LABELS[judge]
        n = len(report.judged(judge))
        counts.append(f"{label}: {n - len(report.off_target(judge))} of {n} outputs judged {to}")
    if not counts:
        return
    if arranges and "arrangement" not in judges:
        counts[-1] += f" (the arrangement judge knows no {to})"
    click.echo("; ".join(counts))
    off = report.off_target(judges[0])
    if off:
        dst, v = off[0]
        label = LABELS[judges[0]]
        click.echo(f"warning: {len(off)} output(s) not judged {to} by the {label}, e.g. {dst}: "
                   f"{describe_verdict(v).removeprefix(label + ': ')}; {_hint(v, arranges)}", err=True)
