"""Arrangement by role: a lead sheet as multi-track tensors, genre profiles, and back to a Song.

Sits above :mod:`midistyle.analysis` and below the models; numpy only.
"""
