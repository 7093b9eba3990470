"""The ``midistyle`` command. Parses arguments, shows progress, turns typed errors into one line.

Heavy modules (torch, music21, matplotlib) are imported inside the commands that need them.
Exit codes: 0 ok, 1 some files of a batch failed, 2 usage, 3 bad input, 4 output refused,
5 bad model, 6 rendering failed, 7 cluster engine failed, 130 interrupted.
"""
from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path

import click

from .config import CYCLE_LOSSES, DENSITY_TARGETS, PRESETS
from .errors import InputError, MidistyleError, OutputError, printable
from .representation.song import GENRES

GENRE_LIST = ", ".join(GENRES[:-1]) + f" or {GENRES[-1]}"


class _Group(click.Group):
    """Runs a command; a MidistyleError becomes ``Error: <file>: <reason>`` and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MidistyleError as exc:
            click.echo(f"Error: {printable(str(exc), limit=400)}", err=True)
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
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(out, f"{parent} is not a folder")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise OutputError(out, "folder is not writable")
    return out


def _roll_config(steps_per_beat: int):
    from .config import RollConfig
    try:
        return RollConfig(steps_per_beat=steps_per_beat)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--steps-per-beat") from None


LONG_ROLL_BARS = 48  # more bars than this draw too small to read on one picture
steps_option = click.option("--steps-per-beat", "steps_per_beat", type=int, default=4, show_default=True,
                            help="Grid steps per quarter note (4 = 16th notes; 12 for triplets/swing).")
tune_option = click.option("--tune", type=int, default=None,
                           help="Tune number in an ABC book (X: number); same as FILE#N.")


ALIGN_MODES = ("off", "auto", "on")  # representation.beats.MODES, without importing numpy here


def align_option(default: str):
    return click.option(
        "--align-beats", "align_beats", type=click.Choice(ALIGN_MODES), default=default, show_default=True,
        is_flag=False, flag_value="on",
        help="Re-time the song to beats estimated from its notes (librosa's beat tracker; notes keep their "
             "times in seconds): on; auto = only when its onsets miss the grid of its own tempo map and its "
             "own beats disagree with the estimate; off. Given alone (after FILE): on.")


def _aligned(song, mode: str, cfg, say: bool = True):
    """``(song, Alignment or None)``: the song on its estimated beats per ``mode``; says so when it changed."""
    if mode == "off":
        return song, None
    from .representation.beats import align_beats
    al = align_beats(song, mode, cfg.steps_per_beat)
    if al.changed and say:
        click.echo(f"beats: {al.summary()}")
    return al.song, al


def engine_options(f):
    f = click.option("--engine-address", default=None, metavar="URL",
                     help="Dask scheduler to use, e.g. tcp://host:8786 (default: a local cluster).")(f)
    return click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                        help="Run on local processes or on a Dask cluster (pip install 'midistyle[dask]').")(f)


@main.command()
@click.argument("file")
@steps_option
@tune_option
@align_option("off")
def inspect(file, steps_per_beat, tune, align_beats):
    """Tracks, meters, tempi, bars, and what the grid will lose for FILE (with --align-beats: on the
    beats estimated from its notes, with the estimated tempo, meter and first downbeat)."""
    from .summary import describe
    from .representation import read
    song = read(file, tune=tune, require_pitched=False)
    cfg = _roll_config(steps_per_beat)
    song, al = _aligned(song, align_beats, cfg, say=False)
    click.echo(describe(song, cfg))
    if al is not None:
        click.echo(f"  beats    {al.summary()}")
    book = _book(file)
    if len(book) > 1:
        labels = [str(t.label) for t in book]
        shown = ", ".join(labels[:3]) + (f" ... {labels[-1]}" if len(labels) > 3 else "")
        click.echo(f"  book     {len(book)} tunes ({shown}); pick one with --tune N or FILE#N")


def _book(file) -> list:
    """The tunes of an ABC book named by FILE (or FILE#N); [] for anything else."""
    from .representation.abc import book_tunes, decode
    from .representation.midi_io import split_tune
    path = split_tune(file)[0]
    if path.suffix.lower() != ".abc" or not path.is_file():
        return []
    return book_tunes(decode(path.read_bytes()))


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
@align_option("auto")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def roll(file, output, bars, steps_per_beat, tune, align_beats, force):
    """Draw FILE as a piano roll with bar lines, one colour per instrument."""
    from .evaluate.plots import plot_roll, select_bars
    from .representation import read, song_to_roll
    song = read(file, tune=tune)
    check_output(output, [Path(file)], force)
    cfg = _roll_config(steps_per_beat)
    song, _ = _aligned(song, align_beats, cfg)
    r = song_to_roll(song, cfg)
    chosen = select_bars(_parse_bars(bars), r.n_bars, file)
    names = [song.tracks[i].name or f"track {i}" for i in r.track_index]
    plot_roll(r.sustain, r.onset, r.bar_starts, r.cfg, output, track_names=names,
              bars=(chosen.start, chosen.stop), title=Path(song.source).name)
    shown = f"bars {chosen.start}:{chosen.stop} of {r.n_bars}" if len(chosen) < r.n_bars else f"{r.n_bars} bars"
    click.echo(f"wrote {output} ({shown}, {len(names)} instruments)")
    if len(chosen) > LONG_ROLL_BARS:
        click.echo(f"{len(chosen)} bars make a crowded picture: pick some with --bars, e.g. --bars 0:16")


@main.command()
@click.argument("file")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="MIDI file to write.")
@steps_option
@tune_option
@align_option("auto")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def quantize(file, output, steps_per_beat, tune, align_beats, force):
    """Write FILE as the models see it (bar tensors written back to MIDI); re-timed to its estimated
    beats first when --align-beats says so (the output's tempo map puts its beats there)."""
    from .representation import grid_report, quantize as snap, read, write_midi
    song = read(file, tune=tune)
    check_output(output, [Path(file)], force)
    cfg = _roll_config(steps_per_beat)
    song, _ = _aligned(song, align_beats, cfg)
    rep = grid_report(song, cfg)
    write_midi(snap(song, cfg), output)
    click.echo(f"wrote {output}: {rep['pitched_notes']} pitched notes, {rep['off_grid_onsets']} onsets moved "
               f"to the grid, {rep['out_of_range']} out of range dropped, {rep['merged']} merged")


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--genre", help="Genre label of the SOURCES folders.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("prepared"), show_default=True,
              help="Output folder (index.json, shards/, skipped.csv).")
@click.option("--config", type=click.Path(path_type=Path), help="TOML/JSON file mapping genres to folders.")
@click.option("--workers", type=int, default=None, help="Processes (default: all cores).")
@click.option("--bars", type=int, default=None, help="Bars per phrase (default 4).")
@click.option("--hop", type=int, default=None, help="Bars between phrase starts (default: --bars).")
@click.option("--steps-per-beat", "steps_per_beat", type=int, default=None, help="Grid steps per quarter (default 4).")
@click.option("--align-beats", "align_beats", type=click.Choice(ALIGN_MODES), default=None,
              help="Re-time pieces to beats estimated from their notes before cutting bars: auto (the default: "
                   "pieces whose onsets miss their own grid), on, off. Overrides the config file's settings, "
                   "per-source ones included.")
@engine_options
def prepare(sources, genre, out, config, workers, bars, hop, steps_per_beat, align_beats, engine, engine_address):
    """Turn folders of MIDI/MusicXML/kern/ABC into a training set of phrase tensors."""
    report = prepare_from_cli([str(s) for s in sources], genre, out, config=config, workers=workers, hop=hop,
                              bars=bars, steps_per_beat=steps_per_beat, progress=True, engine=engine,
                              engine_address=engine_address, align_beats=align_beats)
    for line in report.summary_lines():
        click.echo(line)


@main.command("subset")
@click.argument("prepared", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="New folder for the copy.")
@click.option("--train", "n_train", type=click.IntRange(min=0), default=6000, show_default=True,
              help="Training phrases kept per genre (at most).")
@click.option("--val", "n_val", type=click.IntRange(min=0), default=500, show_default=True,
              help="Validation phrases kept per genre (at most).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random draw.")
def subset(prepared, out, n_train, n_val, seed):
    """Copy a random part of a prepared corpus (to carry it to another machine or try settings fast)."""
    from .data.subset import subset_corpus
    kept = subset_corpus(prepared, out, train=n_train, val=n_val, seed=seed)
    for genre, n in kept.items():
        click.echo(f"{genre}: {n['train']:,} train, {n['val']:,} val phrases")
    click.echo(f"wrote {out}")


def prepare_from_cli(srcs=(), genre: str | None = None, out="prepared", *, config=None, workers: int | None = None,
                     hop: int | None = None, bars: int | None = None, steps_per_beat: int | None = None,
                     progress: bool = True, engine: str = "local", engine_address: str | None = None,
                     align_beats: str | None = None):
    """``midistyle prepare SRC... --genre NAME -o DIR [--config FILE] [--workers N] [--hop N]
    [--bars N] [--steps-per-beat N] [--align-beats off|auto|on] [--engine dask [--engine-address URL]]``:
    resolve the arguments, run :func:`midistyle.data.corpus.prepare`.

    ``--config`` names a TOML/JSON file mapping genres to folders (see
    :func:`~midistyle.data.units.load_sources_file`); SRC folders add to ``--genre``. Flags
    override settings in the file. Bad arguments raise InputError with a one-line reason.
    """
    from .config import RollConfig
    from .data.corpus import prepare as run_prepare
    from .data.units import load_sources_file

    sources: dict[str, list[str]] = {}
    settings: dict = {}
    if config is not None:
        sources, settings = load_sources_file(config)
    if srcs:
        if not genre:
            raise InputError(None, "--genre NAME is required when SRC folders are given")
        sources.setdefault(genre, []).extend(str(s) for s in srcs)
    elif genre and genre not in sources:
        raise InputError(None, f"no SRC folders given for genre {genre!r}")
    if not sources:
        raise InputError(None, "nothing to prepare: give SRC... --genre NAME, or --config FILE")
    flags = {"workers": workers, "hop": hop, "phrase_bars": bars, "steps_per_beat": steps_per_beat,
             "align_beats": align_beats}
    if align_beats is not None:  # the flag overrides the file, per-source settings included
        for opts in settings.get("source_options", {}).values():
            opts.pop("align_beats", None)
    settings.update({k: v for k, v in flags.items() if v is not None})
    grid = {k: settings.pop(k) for k in ("steps_per_beat", "low_pitch", "high_pitch") if k in settings}
    allowed = {"phrase_bars", "hop", "phrase_steps", "workers", "val_fraction", "shard_size", "time_limit",
               "align_beats", "source_options"}
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise InputError(config, f"unknown setting(s) {unknown}; valid: {sorted(allowed | set(grid) | {'sources'})}")
    try:
        return run_prepare(sources, out, cfg=RollConfig(**grid), progress=progress, engine=engine,
                           engine_address=engine_address, **settings)
    except (ValueError, TypeError) as exc:
        raise InputError(config, str(exc)) from None


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--to", "to", required=True, help=f"Target genre: {GENRE_LIST} (others with --model).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output MIDI (folder for a folder input). Default: <stem>.<genre>.mid here.")
@click.option("--from", "from_genre", help="Source genre (default: detected by the shipped classifier).")
@click.option("--model", type=click.Path(path_type=Path), help="A checkpoint folder instead of the shipped model.")
@click.option("--wav", is_flag=True, help="Also render a WAV preview beside each MIDI.")
@click.option("--compare", is_flag=True, help="Also write <out>.compare.wav: original, then converted.")
@click.option("--seed", type=int, default=0, show_default=True, help="Noise seed (GAN models).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.5,
              show_default=True, help="Note probability threshold, between 0 and 1.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for a folder (default: all cores).")
@click.option("--device", default=None, help="torch device (default cpu).")
@click.option("--force", is_flag=True, help="Replace existing outputs.")
@tune_option
@align_option("auto")
@engine_options
def convert(source, to, output, from_genre, model, wav, compare, seed, threshold, workers, device, force, tune,
            align_beats, engine, engine_address):
    """Convert a whole song (or every file under a folder) to another genre."""
    if model is None and to not in GENRES:
        raise click.BadParameter(f"{to!r} is not a shipped genre; choose from {', '.join(GENRES)}",
                                 param_hint="--to")
    _check_from(from_genre, model)
    if source.is_dir():
        if compare:
            raise click.UsageError("--compare works on one input file (a folder would make one WAV per piece "
                                   "to listen to in turn); use --wav for a folder, or compare single files")
        if tune is not None:
            raise click.UsageError("--tune picks a tune of one ABC book; a folder converts every tune")
        return _convert_folder(source, to, output, from_genre, model, wav, seed, threshold, workers, device, force,
                               engine, engine_address, align_beats)
    if engine != "local" or engine_address:
        raise click.UsageError("--engine and --engine-address are for a folder input")
    from .representation import read, write_midi
    from .transfer import Converter
    from .representation.midi_io import split_tune
    path, number = split_tune(source)
    number = tune if tune is not None else number
    stem = path.stem if number is None else f"{path.stem}.{number}"  # book.abc#12 -> book.12.jazz.mid
    out = output or Path(f"{stem}.{to}.mid")
    if out.suffix == "" or (out.exists() and out.is_dir()):
        out = out / f"{stem}.{to}.mid"
    check_output(out, [path], force)
    song = read(source, tune=tune)
    book = _book(source)
    if len(book) > 1 and number is None:
        click.echo(f"{source} holds {len(book)} tunes: converting the first ({song.source}); "
                   "pick another with --tune N, or convert the book's folder for all")
    conv = Converter.load(to, model, device=device)
    result, info = conv.convert_song(song, seed=seed, threshold=threshold, from_genre=from_genre,
                                     align_beats=align_beats)
    if "aligned" in info:
        click.echo(f"beats: {info['aligned']}")
    if "detected" in info:
        click.echo(f"source genre: {info['detected']} (detected, p={info['detected_p']:.2f})")
    write_midi(result, out)
    click.echo(f"wrote {out}: {info['bars']} bars, {info['notes_in']} notes in, {info['notes_out']} out ({conv.target})")
    if wav or compare:
        from .render import render, render_compare
        if wav:
            w = check_output(out.with_suffix(".wav"), [], force)
            render(out, w)
            click.echo(f"wrote {w}")
        if compare:
            c = check_output(out.with_name(out.stem + ".compare.wav"), [], force)
            render_compare(song_path(source, song), out, c)
            click.echo(f"wrote {c} (original, then {to})")


def _check_from(from_genre: str | None, model: Path | None) -> None:
    """``--from`` must name a genre: a shipped one, or one the given model was trained on."""
    if from_genre is None:
        return
    known = list(GENRES)
    if model is not None:
        from .models.checkpoint import read_meta
        meta = read_meta(model)
        known += [g for g in (*meta.genres, *meta.source, *meta.target) if g not in known]
    if from_genre not in known:
        raise click.BadParameter(f"{from_genre!r} is not a genre{' this model knows' if model else ''}; "
                                 f"choose from {', '.join(known)}", param_hint="--from")


def song_path(source: Path, song):
    """A renderable form of the source: the file itself for MIDI, else the song as pretty_midi."""
    from .representation import to_pretty_midi
    from .representation.files import MIDI_SUFFIXES
    return source if source.suffix.lower() in MIDI_SUFFIXES else to_pretty_midi(song)


def _convert_folder(source, to, output, from_genre, model, wav, seed, threshold, workers, device, force,
                    engine="local", engine_address=None, align_beats="auto"):
    from tqdm import tqdm
    from .batch import convert_many, folder_jobs
    if output is None:
        raise click.UsageError("a folder input needs -o OUTPUT_FOLDER")
    if output.exists() and not output.is_dir():
        raise OutputError(output, "is a file; a folder input needs an output folder")
    jobs = folder_jobs(source, output, to)
    if not jobs:
        raise click.UsageError(f"no MIDI or score files under {source}")
    with tqdm(total=len(jobs), unit="file", desc=f"to {to}", disable=None) as bar:
        report = convert_many(jobs, to, model=model, workers=workers, seed=seed, threshold=threshold,
                              from_genre=from_genre, force=force, wav=wav, device=device, progress=bar.update,
                              engine=engine, engine_address=engine_address, align_beats=align_beats)
    done = f"converted {len(report.written)} of {len(jobs)} pieces into {output}"
    if report.skipped:
        done += f" ({len(report.skipped)} already there, kept; --force redoes them)"
    click.echo(done)
    if report.aligned:
        click.echo(f"re-timed {len(report.aligned)} to beats estimated from their notes (--align-beats {align_beats}):")
        for src, what in report.aligned:
            click.echo(f"  {src}: {what}")
    if report.failed:
        click.echo(f"{len(report.failed)} failed:", err=True)
        for src, reason in report.failed:
            click.echo(f"  {src}: {reason}", err=True)
        sys.exit(1)


@main.command()
@click.argument("midi", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="WAV to write (default: beside the MIDI).")
@click.option("--soundfont", type=click.Path(path_type=Path), help="An .sf2 file (default: see soundfonts/README.md).")
@click.option("--rate", type=int, default=44100, show_default=True, help="Sample rate.")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def render(midi, output, soundfont, rate, force):
    """Render a MIDI file (or a score, or BOOK.abc#N) to WAV through FluidSynth."""
    from .render import render as do_render
    from .representation.files import Piece
    from .representation.midi_io import split_tune
    path, number = split_tune(midi)
    out = check_output(output or path.with_name(Piece(path, number).stem + ".wav"), [path], force)
    do_render(midi, out, soundfont=soundfont, rate=rate)
    click.echo(f"wrote {out}")


@main.group()
def train():
    """Train a genre classifier, a CycleGAN, a GAN or a StarGAN on a prepared corpus."""


def _train_options(f):
    opts = [
        click.option("--data", type=click.Path(path_type=Path), required=True, help="Folder made by `midistyle prepare`."),
        click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True,
                     help="Run folder: best/, last/, metrics.jsonl, loss_curve.png."),
        click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
                     help="brunner = Brunner et al.'s sizes (a GPU); small = 2-core CPU in under 2 h; tiny = smoke "
                          "tests. Default: small on a CPU, brunner on a GPU, the run's own with --resume."),
        click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when present)."),
        click.option("--epochs", type=int, default=None, help="Override the preset's epochs."),
        click.option("--max-steps", type=int, default=None, help="Stop after this many optimiser steps."),
        click.option("--batch-size", type=int, default=None, help="Override the preset's batch size."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for a reproducible run."),
        click.option("--resume", is_flag=True, help="Continue the run in the output folder."),
        click.option("--compile/--no-compile", "compile_", default=None,
                     help="torch.compile the networks (default: on CUDA only)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _genres(text: str, other: str | None = None, data: Path | None = None) -> list[str]:
    """'pop,rock' -> ['pop', 'rock']; 'rest' -> every genre of the corpus ``data`` not in ``other``."""
    if text.strip() == "rest":
        from .data.index import read_index
        exclude = set(_genres(other)) if other else set()
        return [g for g in read_index(data)["genres"] if g not in exclude]
    return [g.strip() for g in text.split(",") if g.strip()]


@contextlib.contextmanager
def warnings_as_lines():
    """Show the library's MidistyleWarnings as ``warning: ...`` lines on stderr, every time."""
    from .errors import MidistyleWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MidistyleWarning):
            click.echo(f"warning: {printable(str(message), limit=600)}", err=True)
        else:
            default(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", MidistyleWarning)
        default, warnings.showwarning = warnings.showwarning, show
        yield


def _main_rank() -> bool:
    """False in every torchrun process but rank 0, which reports for all."""
    return int(os.environ.get("RANK", "0") or 0) == 0


def _pick_preset(preset: str | None, device: str | None, resume: bool, out: Path) -> str:
    """The preset named, else the resumed run's, else the one sized for the device (said so)."""
    if preset is not None:
        return preset
    import json

    run_file = out / "run.json"
    if resume and run_file.is_file():
        try:
            saved = json.loads(run_file.read_text(encoding="utf-8"))["train"]["preset"]
        except (OSError, ValueError, KeyError, TypeError):
            saved = None
        if saved in PRESETS:
            if _main_rank():
                click.echo(f"preset: {saved} (the run's own)")
            return saved
    from .training.runtime import default_preset, resolve_device

    dev = resolve_device(device)
    chosen = default_preset(dev)
    why = ("sized for a CPU; --preset brunner is Brunner et al.'s size, a GPU job" if dev.type == "cpu"
           else f"Brunner et al.'s sizes on {dev.type.upper()}")
    if _main_rank():
        click.echo(f"preset: {chosen} ({why})")
    return chosen


def _train(fn, *args, preset, device, resume, compile_=None, **kwargs) -> None:
    """Run ``fn(*args, preset=..., ...)`` (args end with the run folder) and say what came of it."""
    preset = _pick_preset(preset, device, resume, Path(args[-1]))
    if compile_ is not None:
        kwargs["overrides"] = {**kwargs.get("overrides", {}), "compile": compile_}
    with warnings_as_lines():
        result = fn(*args, preset=preset, device=device, resume=resume, **kwargs)
    if not _main_rank():
        return
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in sorted((result.metrics or {}).items())
                        if isinstance(v, (int, float)))
    click.echo(f"trained {result.step} steps; best checkpoint {result.best}; {metrics}")


@train.command("classifier")
@click.option("--genres", default=",".join(GENRES), show_default=True, help="Comma-separated classes.")
@_train_options
def train_classifier_cmd(genres, data, out, preset, device, epochs, max_steps, batch_size, seed, resume, compile_):
    """Genre classifier: measures how well a transfer worked and detects source genres."""
    from .training.api import train_classifier
    _train(train_classifier, data, _genres(genres), out, preset=preset, device=device, epochs=epochs,
           max_steps=max_steps, batch_size=batch_size, seed=seed, resume=resume, compile_=compile_)


@train.command("cyclegan")
@click.option("--a", "a", required=True, help="Domain A genres, comma-separated, or 'rest' (all but B).")
@click.option("--b", "b", required=True, help="Domain B genres, comma-separated, or 'rest'.")
@click.option("--mixed", type=click.Choice(["none", "partial", "full"]), default="none", show_default=True,
              help="Brunner et al.'s extra discriminators: on A+B (partial) or on all genres (full).")
@_train_options
def train_cyclegan_cmd(a, b, mixed, data, out, preset, device, epochs, max_steps, batch_size, seed, resume,
                       compile_):
    """CycleGAN G: A->B and F: B->A with cycle-consistency (Brunner et al. 2018)."""
    from .training.api import train_cyclegan
    _train(train_cyclegan, data, _genres(a, b, data), _genres(b, a, data), out, preset=preset, device=device,
           mixed=mixed, epochs=epochs, max_steps=max_steps, batch_size=batch_size, seed=seed, resume=resume,
           compile_=compile_)


@train.command("gan")
@click.option("--source", required=True, help="Source genres, comma-separated, or 'rest' (all but target).")
@click.option("--target", required=True, help="Target genres, comma-separated.")
@click.option("--content-weight", type=float, default=None, help="Weight of the MSE content loss (preset default 10).")
@_train_options
def train_gan_cmd(source, target, content_weight, data, out, preset, device, epochs, max_steps, batch_size, seed,
                  resume, compile_):
    """GAN: generator(noise z, source bars) judged against real target-genre bars, plus content loss."""
    from .training.api import train_gan
    overrides = {} if content_weight is None else {"lambda_content": content_weight}
    _train(train_gan, data, _genres(source, target, data), _genres(target, source, data), out, preset=preset,
           device=device, epochs=epochs, max_steps=max_steps, batch_size=batch_size, seed=seed, resume=resume,
           overrides=overrides, compile_=compile_)


@train.command("stargan")
@click.option("--genres", default=None, help="Comma-separated genres it converts between (default: all of the corpus).")
@click.option("--content-weight", type=float, default=None, help="Weight of MSE(output, source) (default 1).")
@click.option("--density-weight", type=float, default=None,
              help="Weight of the per-bar note-count match to the source (default 5).")
@click.option("--density-target", type=click.Choice(list(DENSITY_TARGETS)), default=None,
              help="Match the note count per bar to the source's (source, default) or to the source's times "
                   "the target genre's mean over the source genre's (genre; within 1/3x-3x).")
@click.option("--density-band", type=int, default=None,
              help="Count notes per band of this many pitches too (12: per octave), so sound cannot move "
                   "between registers (default 0: the whole range).")
@click.option("--identity-weight", type=float, default=None,
              help="Weight of G(x, own genre) ~ x (default 5).")
@click.option("--cls-weight", type=float, default=None,
              help="Weight of the genre loss of D's auxiliary head (default 1).")
@click.option("--cycle-weight", type=float, default=None, help="Weight of the cycle reconstruction (default 10).")
@click.option("--aux-head", type=click.Choice(["shared", "classifier"]), default=None,
              help="D's genre head: on the real/fake trunk's features (shared, default) or a genre "
                   "classifier of its own (classifier).")
@click.option("--input-skip", type=float, default=None,
              help="> 0: G edits its input, sigmoid(logits + s * (2x - 1)); an untrained G copies it (default 0).")
@click.option("--edit-margin", type=int, default=None,
              help="With --input-skip: G writes only within the input's pitch span +- this many semitones (default: anywhere).")
@click.option("--phrase-steps", type=int, default=None,
              help="Train on the first N grid steps of each phrase (default: whole phrases); converting "
                   "still uses whole windows (the generator is fully convolutional).")
@click.option("--focus", default=None,
              help="Comma-separated target genres to train for (default: every genre); convert then "
                   "refuses the others.")
@click.option("--keep-every", type=int, default=None,
              help="Also keep the generator of every N-th step as RUN/step<N> (to pick one with evaluate).")
@click.option("--rec-loss", "cycle_loss", type=click.Choice(list(CYCLE_LOSSES)), default=None,
              help="Loss of the cycle and identity reconstructions: l1, mse (the small preset's) or bce.")
@click.option("--reduce-input", is_flag=True, default=None,
              help="G reads its input's reduction (melody kept, other notes as blocks on the beats) and, "
                   "through the identity loss, learns to rebuild each genre's texture from it.")
@click.option("--binary-d", "d_binary", is_flag=True, default=None,
              help="D sees G's outputs thresholded at 0.5, as convert plays them (straight-through gradient), "
                   "so it cannot tell them from real rolls by their soft values.")
@_train_options
def train_stargan_cmd(genres, content_weight, density_weight, density_target, density_band, identity_weight,
                      cls_weight, cycle_weight, aux_head, input_skip, edit_margin, phrase_steps, focus, keep_every,
                      cycle_loss, reduce_input, d_binary, data, out, preset, device, epochs, max_steps, batch_size, seed,
                      resume, compile_):
    """StarGAN: one generator converts any genre into any other (convert --model RUN/best --to G [--from G])."""
    from .training.api import train_stargan
    weights = (("lambda_content", content_weight), ("lambda_density", density_weight),
               ("lambda_identity", identity_weight), ("lambda_cls", cls_weight), ("lambda_cycle", cycle_weight),
               ("aux_head", aux_head), ("input_skip", input_skip),
               ("edit_margin", edit_margin), ("density_target", density_target), ("density_band", density_band),
               ("keep_every", keep_every), ("reduce_input", reduce_input or None),
               ("cycle_loss", cycle_loss), ("d_binary", d_binary or None),
               ("focus", tuple(_genres(focus)) if focus else None))
    overrides = {k: v for k, v in weights if v is not None}
    _train(train_stargan, data, _genres(genres) if genres else None, out, preset=preset, device=device,
           epochs=epochs, max_steps=max_steps, batch_size=batch_size, seed=seed, resume=resume,
           phrase_steps=phrase_steps, overrides=overrides, compile_=compile_)


@main.command("evaluate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), help="A folder of songs to evaluate (instead of FILES).")
@click.option("--to", "to", required=True, help=f"Target genre: {GENRE_LIST} (others with --model).")
@click.option("--model", type=click.Path(path_type=Path), help="A checkpoint folder instead of the shipped model.")
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
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.5,
              show_default=True, help="Note probability threshold, between 0 and 1.")
@click.option("--device", default=None, help="torch device (default cpu).")
@click.option("--force", is_flag=True, help="Replace an existing report folder.")
def evaluate_cmd(files, data, to, model, classifier, style_judge, converted, target_data, max_files, output, seed,
                 threshold, device, force):
    """Measure a conversion (style strength, content kept, musicality) against baselines; write a report."""
    from tqdm import tqdm
    from .evaluate.report import evaluate, input_files
    if bool(files) == (data is not None):
        raise click.UsageError("give either FILES or --data DIR")
    if model is None and classifier is None and to not in GENRES:
        raise click.BadParameter(f"{to!r} is not a shipped genre; choose from {', '.join(GENRES)}",
                                 param_hint="--to")
    inputs = list(files) if files else data
    out = output or Path(f"eval-{to}")
    with tqdm(total=len(input_files(inputs, max_files, seed)), unit="song", desc=f"evaluate to {to}",
              disable=None) as bar:
        rep = evaluate(inputs, to, out_dir=out, model=model, classifier=classifier, converted_dir=converted,
                       target_real=target_data, seed=seed, threshold=threshold, max_files=max_files, force=force,
                       device=device, progress=bar.update, style_judge=style_judge)
    counts, strength, style = rep["counts"], rep.get("strength"), rep.get("style_judge") or {}
    rate = style.get("target_rate") or {}
    click.echo(f"wrote {out / 'report.md'}: {counts['songs']} songs"
               + (f"; style judge: outputs judged {to} {rate['outputs']:.0%} of songs (inputs {rate['inputs']:.0%})"
                  if rate.get("outputs") is not None and rate.get("inputs") is not None else "")
               + (f"; CNN: {strength['model']['target_rate_windows']:.0%} of windows "
                  f"(inputs {strength['identity']['target_rate_windows']:.0%})" if strength else ""))
    if rep["failed"]:
        click.echo(f"{len(rep['failed'])} failed:", err=True)
        for item in rep["failed"]:
            click.echo(f"  {item['path']}: {item['reason']}", err=True)
        sys.exit(1)


@main.command("classify")
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
    from .classify import CNNJudge, classify, pieces_of, table
    from .models.device import resolve_device
    from .style import StyleJudge
    style = StyleJudge.load(judge)
    cnn = CNNJudge(classifier, device=str(resolve_device(device, default="cpu")))
    verdicts = []
    with tqdm(total=len(pieces_of(list(inputs))), unit="piece", desc="classify", disable=None) as bar:
        for v in classify(list(inputs), judge=style, cnn=cnn, progress=bar.update):
            verdicts.append(v)
            if as_json:
                bar.clear()
                click.echo(json.dumps(v.record(), ensure_ascii=False, allow_nan=False))
    if not as_json and any(v.error is None for v in verdicts):
        click.echo(table(verdicts))
    failed = [v for v in verdicts if v.error is not None]
    if not verdicts:
        raise click.UsageError("no MIDI or score files in " + ", ".join(map(str, inputs)))
    if failed:
        click.echo(f"{len(failed)} failed:", err=True)
        for v in failed:
            click.echo(f"  {v.file}: {v.error}", err=True)
        sys.exit(1)


@main.command("compare")
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="PNG to write.")
@click.option("--bars", help="Bars A:B of the first song to draw (0-based, end exclusive), e.g. 0:8.")
@steps_option
@click.option("--force", is_flag=True, help="Replace an existing output.")
def compare_cmd(a, b, output, bars, steps_per_beat, force):
    """Draw A above B (e.g. a song and its conversion), aligned bar by bar on A's bars."""
    from .evaluate.report import compare
    check_output(output, [a, b], force)
    info = compare(a, b, output, bars=_parse_bars(bars), cfg=_roll_config(steps_per_beat))
    click.echo(f"wrote {output} ({info['bars']} bars)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
