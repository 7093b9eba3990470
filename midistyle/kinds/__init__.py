"""Model kinds, one module each, found by name through :mod:`midistyle.kinds.registry`.

Importing this package registers the shipped kinds (no torch is loaded: their hooks import on call).
A new kind is a module that ends with ``register(Kind(...))`` plus its import line below.
"""
from midistyle.kinds import arranger, classifier, cyclegan, gan, stargan  # noqa: F401  (each registers itself)
from midistyle.kinds.registry import GenreArg, Kind, all_kinds, get, names, register

__all__ = ["GenreArg", "Kind", "all_kinds", "get", "names", "register"]
