"""``train KIND``: one command per registered model kind (:mod:`midistyle.kinds`), its flags generated
from the kind's config dataclass (help from the fields' metadata), plus ``--recipe FILE.toml`` and
``--set key=value``."""
from __future__ import annotations

import contextlib
import dataclasses
import sys
import typing
import warnings
from pathlib import Path

import click

from ..config import PRESETS
from ..errors import ConfigError, printable
from ..kinds import registry as kinds
from .common import comma_list

NOT_FLAGS = ("task", "preset")  # the command names the kind; the preset has an option of its own


class _KindGroup(click.Group):
    """The ``train`` group: its commands are the registered kinds, built when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*kinds.names(), "bank"])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "bank":  # not a model kind: no gradient steps, but trained on a corpus all the same
            from .bank import bank
            return bank
        try:
            return kind_command(kinds.get(name))
        except ConfigError:
            return None


@click.group(cls=_KindGroup)
def train():
    """Train a model of any registered kind (classifier, cyclegan, gan, stargan, arranger) on a prepared
    corpus, or a genre's arrangement bank."""


def kind_command(kind: kinds.Kind) -> click.Command:
    """The ``train KIND`` command: the kind's genre arguments, the run options, a flag per config field."""
    run_options = [
        click.Option(["--data"], type=click.Path(path_type=Path), required=True,
                     help="Folder made by `midistyle prepare`."),
        click.Option(["-o", "--output", "out"], type=click.Path(path_type=Path), required=True,
                     help="Run folder: best/, last/, metrics.jsonl, loss_curve.png."),
        click.Option(["--recipe"], type=click.Path(path_type=Path, dir_okay=False),
                     help="A TOML recipe (examples/recipes/): preset, genres and [train] settings; flags and "
                          "--set override it."),
        click.Option(["--set", "sets"], multiple=True, metavar="KEY=VALUE",
                     help="Set one config field (repeatable), typed by the field: --set lr=1e-3 --set focus=jazz,pop."),
        click.Option(["--preset"], type=click.Choice(list(PRESETS)), default=None,
                     help="brunner = Brunner et al.'s sizes (a GPU); small = 2-core CPU in under 2 h; tiny = smoke "
                          "tests. Default: the recipe's, else small on a CPU, brunner on a GPU, the run's own with "
                          "--resume."),
        click.Option(["--device"], default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when present)."),
        click.Option(["--resume"], is_flag=True, help="Continue the run in the output folder."),
    ]
    genre_options = [click.Option([a.flag, a.name], default=None, help=a.help + (" Required." if a.required else ""))
                     for a in kind.args]
    hints = typing.get_type_hints(kind.config)
    fields = [f for f in dataclasses.fields(kind.config) if f.name not in NOT_FLAGS]
    params = genre_options + run_options + [field_option(f, hints[f.name], _default_text(kind, f)) for f in fields]

    def run(data: Path, out: Path, recipe: Path | None, sets: tuple[str, ...], preset: str | None,
            device: str | None, resume: bool, **given) -> None:
        from ..kinds.recipe import load_recipe, run_settings

        plan = load_recipe(recipe, kind) if recipe is not None else None
        genre_args = {}
        for a in kind.args:
            text = given.pop(a.name) or (plan.args.get(a.name) if plan else None) or a.default
            if text is None and a.required:
                raise click.UsageError(f"Missing option '{a.flag}' (or `{a.name} = ...` in the recipe).")
            genre_args[a.name] = text
        genre_args = {a.name: None if genre_args[a.name] is None else
                      _genres(genre_args[a.name], genre_args.get(a.rest_of), data) for a in kind.args}
        overrides = run_settings(kind, plan, given, sets)
        _train(kind.name, data, out, preset=preset or (plan.preset if plan else None), device=device, resume=resume,
               overrides=overrides, **genre_args)

    return click.Command(kind.name, params=params, callback=run, help=kind.help, short_help=kind.help)


def _default_text(kind: kinds.Kind, field: dataclasses.Field) -> str:
    """What a run gets without the flag: the kind's default, the preset's, or the field's."""
    if field.name in kind.defaults:
        return f" [default: {kind.defaults[field.name]}]"
    if any(getattr(p.train, field.name, field.default) != field.default for p in PRESETS.values()):
        return " [default: the preset's]"
    return "" if field.default in (None, (), "") else f" [default: {field.default}]"


def field_option(field: dataclasses.Field, annotation: typing.Any, default: str = "") -> click.Option:
    """The flag of a config field: ``--name-with-dashes`` (or the metadata's ``flag``), typed by the
    field; its value None (not given) leaves the recipe's, else the kind's or the preset's. ``default``
    is said in the help."""
    meta = field.metadata
    flag = "--" + meta.get("flag", field.name.replace("_", "-"))
    from ..kinds.recipe import unwrap_optional

    base = unwrap_optional(annotation)[0]
    text = f"{meta.get('help', '')}{default}"
    if base is bool:
        return click.Option([f"{flag}/--no-{flag[2:]}", field.name], default=None, help=text)
    if typing.get_origin(base) is tuple:
        return click.Option([flag, field.name], default=None, callback=_comma_list, help=text)
    if meta.get("choices"):
        return click.Option([flag, field.name], type=click.Choice(list(meta["choices"])), default=None, help=text)
    return click.Option([flag, field.name], type=base, default=None, help=text)


def _comma_list(ctx, param, value):
    return None if value is None else tuple(comma_list(value))


def _genres(text: str, other: str | None = None, data: Path | None = None) -> list[str]:
    """'pop,rock' -> ['pop', 'rock']; 'rest' -> every genre of the corpus ``data`` not in ``other``."""
    if text.strip() == "rest":
        from ..data.index import read_index
        exclude = set(_genres(other)) if other else set()
        return [g for g in read_index(data)["genres"] if g not in exclude]
    return comma_list(text)


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


def _train(kind: str, data: Path, out: Path, *, preset: str | None, device: str | None, resume: bool,
           **kwargs) -> None:
    """Train a ``kind`` model into ``out`` and say what came of it."""
    from ..training.api import train as train_kind

    preset = _pick_preset(preset, device, resume, out)
    with warnings_as_lines():
        result = train_kind(kind, data, out, preset=preset, device=device, resume=resume,
                            progress=sys.stderr.isatty(), **kwargs)  # no progress bar into a log
    from ..training.distributed import is_main_process
    if not is_main_process():
        return
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in sorted((result.metrics or {}).items())
                        if isinstance(v, (int, float)))
    click.echo(f"trained {result.step} steps; best checkpoint {result.best}; {metrics}")
