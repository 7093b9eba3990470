"""The model-kind record and its table: what a kind is, found by name.

A kind (``gan``, ``cyclegan``, ``stargan``, ``classifier``, or one of your own) is one module that
builds a :class:`Kind` and passes it to :func:`register`. The record says which TrainConfig class
its runs use, which networks its checkpoints hold, how its task is built and fed, how ``convert``
turns a roll plus a target genre into a roll with it, and which genre arguments ``train KIND``
takes. ``transfer``, ``evaluate``, the checkpoint loader and the CLI ask this table; none of them
names a kind. Importing this module loads no torch: task, data and converter hooks import on call.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Mapping

from midistyle.config import KindSpec, kind_names, kind_spec, register_kind
from midistyle.errors import ModelError


@dataclasses.dataclass(frozen=True)
class GenreArg:
    """A genre-list argument of ``train KIND`` (``--genres pop,rock``), handed to the kind's ``data``.

    ``rest_of`` names another argument: the value ``rest`` then means every genre of the corpus not
    in that one. ``default`` is the text used when the flag is left out (None: the kind's own default).
    """

    name: str
    help: str
    required: bool = False
    default: str | None = None
    rest_of: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def select_target(kind: "Kind", meta: Any, to: str | None, path: Path) -> tuple[str, Any]:
    """The default converter hook: the generator ``a2b`` converts into the checkpoint's target."""
    if to is not None and meta.target and to not in meta.target:
        raise ModelError(path, f"this model converts to {meta.target_name}, not {to}")
    return "a2b", meta


@dataclasses.dataclass(frozen=True)
class Kind(KindSpec):
    """Everything midistyle knows of a model kind (see the module docstring).

    Parameters beyond :class:`~midistyle.config.KindSpec` (``name``, ``config``, ``modules``, ``generators``):

    help
        One line for ``train KIND --help``.
    task
        () -> the Task class (called with preset, TrainConfig, Runtime, TaskInfo).
    data
        (data_dir, cfg, **genre args) -> (train dataset, validation dataset or None, TaskInfo).
    args
        The genre arguments ``data`` takes, as ``train KIND`` flags.
    defaults
        TrainConfig changes this kind makes to a preset's shared settings (a recipe or flag overrides them).
    select
        Converter hook (kind, meta, to, path) -> (direction, meta as converted): which generator
        converts into ``to`` and the meta it converts with; ModelError when it cannot.
    condition
        Converter hook (meta, n windows, from genre or None, device) -> the generator's code tensor
        for ``n`` windows, or None for an unconditioned generator.
    collapse_hint
        What to try when a run's output collapses to silence.
    """

    help: str = ""
    task: Callable[[], type] | None = None
    data: Callable[..., tuple] | None = None
    args: tuple[GenreArg, ...] = ()
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    select: Callable[..., tuple[str, Any]] = select_target
    condition: Callable[..., Any] | None = None
    collapse_hint: str = "train longer, or raise --content-weight to hold the output closer to its source"

    @property
    def converts(self) -> bool:
        """Whether its checkpoints hold a generator ``convert`` can use."""
        return "a2b" in self.generators

    @property
    def round_trip(self) -> bool:
        """Whether it holds a generator back (B -> A) too, which ``evaluate`` reports a round trip with."""
        return "b2a" in self.generators


def register(kind: Kind) -> Kind:
    """Add ``kind`` to the table (the one line a new kind's module ends with)."""
    if not isinstance(kind, Kind):
        raise TypeError(f"register() takes a Kind, got {type(kind).__name__}")
    if not kind.config.__dataclass_fields__.get("task"):
        raise TypeError(f"{kind.config.__name__} must subclass TrainConfig")
    return register_kind(kind)  # type: ignore[return-value]


def get(name: str) -> Kind:
    """The kind called ``name``; ConfigError (a ValueError) listing the valid ones when there is none."""
    kind = kind_spec(name)
    if not isinstance(kind, Kind):
        raise TypeError(f"kind {name!r} was registered without its task and hooks")
    return kind


def names() -> list[str]:
    """Every registered kind, sorted."""
    return kind_names()


def all_kinds() -> list[Kind]:
    return [get(n) for n in names()]
