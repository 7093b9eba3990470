"""midistyle: symbolic-MIDI genre style transfer.

``midistyle.convert(path_or_prettymidi, to="jazz")`` and ``midistyle.render(midi, "out.wav")``
mirror the CLI; they are imported on first use so ``import midistyle`` stays cheap.
"""
from __future__ import annotations

__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)
__all__ = ["GENRES", "convert", "render", "render_compare", "__version__"]


def __getattr__(name: str):  # nothing is imported with the package: each layer loads only what it uses
    if name == "GENRES":
        from .representation.song import GENRES
        return GENRES
    if name == "convert":
        from .transfer import convert
        return convert
    if name == "render":  # the module is callable: midistyle.render(midi, "out.wav")
        import importlib
        return importlib.import_module(".render", __name__)
    if name == "render_compare":
        from .render import render_compare
        return render_compare
    raise AttributeError(f"module 'midistyle' has no attribute {name!r}")
