"""Reference arrangers: outside tools that set a benchmark's reference point, never a converter.

Nothing in the converter's import path imports this package (``tests/test_layers.py`` keeps it so).
"""
