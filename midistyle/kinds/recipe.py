"""Recipes: a training run written down as a TOML file, and ``key=value`` settings typed by the config.

A recipe names its kind and, optionally, its preset and genre arguments; ``[train]`` holds fields
of the kind's config class; ``[corpus]`` is free-form notes for the scripts that prepare the data
(``train`` ignores it)::

    kind = "gan"
    preset = "small"
    source = "rest"
    target = "folk"

    [train]
    max_steps = 1500
    lambda_content = 10.0

    [corpus]
    steps_per_beat = 4
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from pathlib import Path
from typing import Any

from midistyle.config import from_dict
from midistyle.errors import ConfigError, InputError
from midistyle.kinds.registry import Kind

RECIPE_KEYS = ("kind", "preset", "train", "corpus")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A parsed recipe: ``train`` (checked field values), ``args`` (genre arguments as text)."""

    kind: str
    preset: str | None = None
    args: dict[str, str] = dataclasses.field(default_factory=dict)
    train: dict[str, Any] = dataclasses.field(default_factory=dict)
    corpus: dict[str, Any] = dataclasses.field(default_factory=dict)
    path: Path | None = None


def load_recipe(path: str | os.PathLike, kind: Kind) -> Recipe:
    """Read the recipe at ``path`` for ``kind``: InputError when unreadable, ConfigError (naming the
    valid keys) for a key or field it does not know, a value of the wrong type or another kind."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(path, f"unreadable recipe ({exc})") from None
    if raw.get("kind", kind.name) != kind.name:
        raise ConfigError(f"{path} is a recipe for {raw['kind']!r}, not {kind.name!r}")
    args = {a.name for a in kind.args}
    unknown = sorted(set(raw) - set(RECIPE_KEYS) - args)
    if unknown:
        raise ConfigError(f"unknown recipe key(s) {unknown} in {path}; valid: {sorted(set(RECIPE_KEYS) | args)}")
    train = dict(raw.get("train") or {})
    fields = {f.name for f in dataclasses.fields(kind.config)} - {"task"}
    bad = sorted(set(train) - fields)
    if bad:
        raise ConfigError(f"unknown {kind.config.__name__} field(s) {bad} in {path}; valid: {sorted(fields)}")
    from_dict(kind.config, dict(train, task=kind.name))  # typed and checked now, not mid-run
    genre_args = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in raw.items() if k in args}
    return Recipe(kind=kind.name, preset=raw.get("preset"), args=genre_args, train=train,
                  corpus=dict(raw.get("corpus") or {}), path=path)


def field_types(cls: type) -> dict[str, Any]:
    """{field name: resolved type annotation} of a config dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``(base type, whether None is allowed)``: ``int | None`` -> ``(int, True)``; other
    annotations as they are (a union of several types stays the union)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = type(None) in typing.get_args(annotation)
    return (args[0] if optional and len(args) == 1 else annotation), optional


def parse_value(cls: type, key: str, text: str) -> Any:
    """``text`` as a value of ``cls``'s field ``key``: "none" for an optional field, true/false/1/0/yes/no
    for a flag, comma-separated for a tuple. ConfigError for an unknown key (listing the valid ones) or a
    value that does not parse."""
    types = field_types(cls)
    if key not in types or key == "task":
        raise ConfigError(f"unknown {cls.__name__} field {key!r}; valid: {sorted(set(types) - {'task'})}")
    kind = types[key]
    base, optional = unwrap_optional(kind)
    if optional and text.strip().lower() in ("none", "null", ""):
        return None
    try:
        if typing.get_origin(base) is tuple:
            return tuple(p.strip() for p in text.split(",") if p.strip())
        if base is bool:
            value = text.strip().lower()
            if value not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(f"not a yes/no value: {text!r}")
            return value in ("true", "1", "yes", "on")
        if base in (int, float, str):
            return base(text)
    except ValueError as exc:
        raise ConfigError(f"{key}={text}: expected {getattr(base, '__name__', base)} ({exc})") from None
    raise ConfigError(f"{key}: a {kind} field cannot be set from text")


def parse_sets(cls: type, items: typing.Iterable[str]) -> dict[str, Any]:
    """``["lr=1e-3", "focus=jazz,pop"]`` -> typed {field: value} for ``cls``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set takes key=value, got {item!r}")
        out[key.strip()] = parse_value(cls, key.strip(), value)
    return out


def run_settings(kind: Kind, recipe: Recipe | None, given: dict[str, Any], sets: typing.Iterable[str] = ()
                 ) -> dict[str, Any]:
    """The config changes of a run: the recipe's ``[train]``, then the settings ``given`` (flags; None
    = not given), then ``sets`` (``key=value``). Giving ``epochs`` without ``max_steps`` trains by epochs."""
    flags = {k: v for k, v in given.items() if v is not None}
    out = {**(recipe.train if recipe else {}), **flags, **parse_sets(kind.config, sets)}
    if "epochs" in flags and "max_steps" not in flags:
        out["max_steps"] = None  # asking for epochs means training by epochs
    return out
