"""The package's layers: which midistyle modules each module may import, checked on every module found.

The pipeline reads representation -> analysis -> data -> models -> training -> transfer -> render ->
evaluate -> cli, over the base (errors, config, atomic, engine). ``ALLOWED`` maps a module prefix to the
prefixes it may import; a module's rule is the longest prefix that matches its name, so a new module
inside a listed package is covered as soon as it exists, and a new top-level module or package fails
here until it is given a row. Every import counts, including those deferred into functions.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "midistyle"
BASE = ("errors", "config", "atomic")

# prefix (under midistyle.) -> midistyle prefixes it may import (its own package is always allowed).
ALLOWED: dict[str, tuple[str, ...]] = {
    "errors": (),
    "config": ("errors",),
    "atomic": ("errors",),
    "engine": BASE,  # the executor prepare/convert run on: local processes or dask
    "representation": BASE,
    "analysis": (*BASE, "representation"),  # lead sheets: torch-free, above representation
    "arrangement": (*BASE, "representation", "analysis"),  # lead sheet <-> multi-track tensors, profiles; numpy
    "data": (*BASE, "engine", "representation", "analysis", "arrangement"),
    "style": (*BASE, "representation", "analysis", "arrangement", "data"),  # the style judge; fit reads corpus units
    "models": BASE,  # networks and checkpoints: nothing of the music side
    # the model-kind registry: imports only the base at load; each kind's hooks reach down lazily
    "kinds": (*BASE, "representation", "analysis", "arrangement", "data", "models", "training"),
    "training": (*BASE, "representation", "analysis", "arrangement", "data", "models", "kinds"),  # api asks the kind table
    "render": (*BASE, "representation"),
    "genre_classifier": (*BASE, "representation", "models"),  # the CNN over rolls: detect, evaluate, classify
    # arrangement-level conversion: lead sheet -> a genre's parts (bank or arranger checkpoint)
    "rearrange": (*BASE, "representation", "analysis", "arrangement", "models", "kinds"),
    "transfer": (*BASE, "engine", "representation", "analysis", "arrangement", "models", "kinds", "render",
                 "genre_classifier", "rearrange"),
    # many files at once: the local pool or Dask, each output judged by the style judge
    "batch": (*BASE, "engine", "representation", "analysis", "arrangement", "style", "models", "kinds", "transfer",
              "rearrange", "render"),
    "summary": (*BASE, "representation", "analysis"),
    # outside tools as a benchmark's reference point (MMA): no package module imports it, benchmarks do
    "reference": (*BASE, "representation", "analysis"),
    "evaluate": (*BASE, "representation", "analysis", "arrangement", "style", "models", "kinds", "genre_classifier",
                 "transfer", "rearrange", "render"),
    "classify": (*BASE, "representation", "analysis", "style", "models", "kinds", "genre_classifier", "transfer",
                 "evaluate"),
    "cli": ("*",),  # anything; imported by none
    "__main__": ("cli",),
    "": ("representation", "transfer", "render"),  # the package root: lazy convert/render/GENRES
}

# Third-party libraries a layer must not load when all its modules are imported (import time only).
HEAVY: dict[str, tuple[str, ...]] = {
    "errors": ("numpy", "torch", "music21", "matplotlib"),
    "config": ("numpy", "torch", "music21", "matplotlib"),
    "atomic": ("numpy", "torch", "music21", "matplotlib"),
    "engine": ("torch", "music21", "matplotlib", "dask"),
    "representation": ("torch", "music21", "matplotlib", "librosa"),
    "analysis": ("torch", "music21", "matplotlib"),
    "arrangement": ("torch", "music21", "matplotlib"),
    "style": ("torch", "music21", "matplotlib", "sklearn", "librosa"),
    "models": ("music21", "matplotlib"),
    "kinds": ("torch", "music21", "matplotlib"),
    "data": ("matplotlib",),
    "render": ("torch", "music21", "matplotlib"),
    "genre_classifier": ("torch", "music21", "matplotlib"),  # torch when a checkpoint is loaded
    "summary": ("torch", "music21", "matplotlib"),
    "reference": ("torch", "music21", "matplotlib"),
    "transfer": ("matplotlib", "music21"),
    "rearrange": ("torch", "music21", "matplotlib"),
    "training": ("music21",),
    "evaluate": (),
    "classify": (),
    "cli": ("torch", "music21", "matplotlib", "librosa", "dask"),  # --help stays fast
}


def all_modules() -> list[str]:
    """Every module of the package, by walking its folder (so new files are checked)."""
    names = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("midistyle", *path.relative_to(ROOT).with_suffix("").parts)
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def prefix_of(module: str) -> str:
    """The ``ALLOWED`` row that governs ``module``: its longest matching prefix."""
    rest = module.removeprefix("midistyle").lstrip(".")
    parts = rest.split(".") if rest else []
    for n in range(len(parts), -1, -1):
        key = ".".join(parts[:n])
        if key in ALLOWED and (n or not parts):
            return key
    raise KeyError(f"{module} has no row in ALLOWED: give its package a place in the layers")


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split(".")[1:])
    return path.is_dir() or path.with_suffix(".py").exists()


def imported(module: str) -> set[str]:
    """The midistyle modules ``module`` imports anywhere in its source, relative imports resolved."""
    path = ROOT.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
                subs = [f"{stem}.{a.name}" for a in node.names if node.module is None and is_module(f"{stem}.{a.name}")]
                found.update(subs or [stem])  # `from . import x` imports module x; otherwise the package
            else:
                found.add(node.module)
    return {n for n in found if n == "midistyle" or n.startswith("midistyle.")}


def may_import(importer: str, target: str) -> bool:
    """Whether ``importer``'s row lets it import ``target`` (a module inside its own row always may)."""
    own, other = prefix_of(importer), prefix_of(target)
    allowed = ALLOWED[own]
    if other == own or "*" in allowed:
        return True
    if target == "midistyle":  # the root holds only __version__ and lazy attributes
        return True
    return other in allowed


def test_the_table_covers_every_module_and_names_only_known_rows():
    modules = all_modules()
    assert {"midistyle.representation.roll", "midistyle.style.judge", "midistyle.classify",
            "midistyle.engine", "midistyle.summary", "midistyle.cli"} <= set(modules)
    for module in modules:
        prefix_of(module)  # raises for a module outside every row
    for row, allowed in ALLOWED.items():
        assert set(allowed) - {"*"} <= set(ALLOWED), row
    assert set(HEAVY) <= set(ALLOWED)


def test_every_module_imports_only_what_its_layer_allows():
    bad = [f"{m} -> {t} ({prefix_of(m) or 'midistyle'} may import {ALLOWED[prefix_of(m)]})"
           for m in all_modules() for t in sorted(imported(m)) if not may_import(m, t)]
    assert not bad, "\n".join(bad)


def test_the_check_sees_deferred_and_relative_imports():
    # cli defers its heavy imports into functions, and batch imports render only when asked to.
    cli = {".".join(t.split(".")[:2]) for m in all_modules() if prefix_of(m) == "cli" for t in imported(m)}
    assert {"midistyle.training", "midistyle.transfer", "midistyle.evaluate"} <= cli
    assert any(t.startswith("midistyle.render") for t in imported("midistyle.batch"))  # --wav, deferred
    assert not may_import("midistyle.representation.roll", "midistyle.models.generator")
    assert not may_import("midistyle.models.generator", "midistyle.data.dataset")
    assert may_import("midistyle.cli", "midistyle.training.api")
    with pytest.raises(KeyError, match="no row"):
        prefix_of("midistyle.newthing")


SLOW_ROWS = {"models", "data", "training", "transfer", "evaluate", "classify"}  # torch or a second of imports


@pytest.mark.parametrize("row", [pytest.param(r, marks=pytest.mark.slow) if r in SLOW_ROWS else r
                                 for r in sorted(HEAVY)])
def test_each_layer_loads_only_its_layers_and_libraries(row):
    """Import every module of ``row`` in a fresh interpreter: nothing outside its (transitive) rows
    and none of its heavy libraries may be loaded."""
    modules = [m for m in all_modules() if prefix_of(m) == row]
    reach, todo = {row}, [row]
    while todo:
        for nxt in ALLOWED[todo.pop()]:
            if nxt != "*" and nxt not in reach:
                reach.add(nxt)
                todo.append(nxt)
    allowed = sorted("midistyle." + r for r in reach if r) if "*" not in ALLOWED[row] else ["midistyle."]
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            f"ok = tuple({allowed!r})\n"
            "bad = [m for m in sys.modules if m.startswith('midistyle.') and not any(m == p or m.startswith(p + '.')"
            " for p in ok) and ok != ('midistyle.',)]\n"
            f"bad += [m for m in sys.modules if m.split('.')[0] in {HEAVY[row]!r}]\n"
            "print(sorted(bad)); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
