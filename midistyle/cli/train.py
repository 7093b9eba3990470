"""``train``: the group of training commands, one per task."""
from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path

import click

from ..config import CYCLE_LOSSES, DENSITY_TARGETS, PRESETS
from ..errors import printable


@click.group()
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
        from ..data.index import read_index
        exclude = set(_genres(other)) if other else set()
        return [g for g in read_index(data)["genres"] if g not in exclude]
    return [g.strip() for g in text.split(",") if g.strip()]


@contextlib.contextmanager
def warnings_as_lines():
    """Show the library's MidistyleWarnings as ``warning: ...`` lines on stderr, every time."""
    from ..errors import MidistyleWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MidistyleWarning):
            click.echo(f"warning: {printable(str(message), limit=600)}", err=True)
        else:
            default(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", MidistyleWarning)
        default, warnings.showwarning = warnings.showwarning, show
        yield


def _pick_preset(preset: str | None, device: str | None, resume: bool, out: Path) -> str:
    """The preset named, else the resumed run's, else the one sized for the device (said so)."""
    from ..training.distributed import is_main_process
    from ..training.runtime import choose_preset

    chosen, why = choose_preset(preset, device, resume, out)
    if why is not None and is_main_process():
        click.echo(f"preset: {chosen} ({why})")
    return chosen


def _train(fn, *args, preset, device, resume, compile_=None, **kwargs) -> None:
    """Run ``fn(*args, preset=..., ...)`` (args end with the run folder) and say what came of it."""
    preset = _pick_preset(preset, device, resume, Path(args[-1]))
    if compile_ is not None:
        kwargs["overrides"] = {**kwargs.get("overrides", {}), "compile": compile_}
    kwargs.setdefault("progress", sys.stderr.isatty())  # no bars in a log, as a folder convert
    with warnings_as_lines():
        result = fn(*args, preset=preset, device=device, resume=resume, **kwargs)
    from ..training.distributed import is_main_process
    if not is_main_process():
        return
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in sorted((result.metrics or {}).items())
                        if isinstance(v, (int, float)))
    click.echo(f"trained {result.step} steps; best checkpoint {result.best}; {metrics}")


@train.command("classifier")
@click.option("--genres", default=None, help="Comma-separated classes (default: every genre of the corpus).")
@_train_options
def train_classifier_cmd(genres, data, out, preset, device, epochs, max_steps, batch_size, seed, resume, compile_):
    """Genre classifier: measures how well a transfer worked and detects source genres."""
    from ..training.api import train_classifier
    _train(train_classifier, data, _genres(genres) if genres else None, out, preset=preset, device=device,
           epochs=epochs, max_steps=max_steps, batch_size=batch_size, seed=seed, resume=resume, compile_=compile_)


@train.command("cyclegan")
@click.option("--a", "a", required=True, help="Domain A genres, comma-separated, or 'rest' (all but B).")
@click.option("--b", "b", required=True, help="Domain B genres, comma-separated, or 'rest'.")
@click.option("--mixed", type=click.Choice(["none", "partial", "full"]), default="none", show_default=True,
              help="Brunner et al.'s extra discriminators: on A+B (partial) or on all genres (full).")
@_train_options
def train_cyclegan_cmd(a, b, mixed, data, out, preset, device, epochs, max_steps, batch_size, seed, resume,
                       compile_):
    """CycleGAN G: A->B and F: B->A with cycle-consistency (Brunner et al. 2018)."""
    from ..training.api import train_cyclegan
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
    from ..training.api import train_gan
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
    from ..training.api import train_stargan
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
