"""Performance-like timing for training the style judge: the notes of a song on no beat grid.

Jazz in the corpus is mostly recorded performances whose MIDI beat grid means nothing (PiJAMA's
placeholder 120 qpm, WJazzD's average tempo), while the other genres are mostly sequenced on their
grid. Fitted on that alone, the judge learns "off the grid = jazz": a classical performance would
be called jazz. Training on copies of every piece with its timing made performance-like (a tempo
that does not match the grid, slow drift, onset jitter) takes that cue away. Pure numpy.
"""
from __future__ import annotations

import numpy as np

from ..representation.song import Song


def performance_like(song: Song, seed: int) -> Song:
    """``song`` with times warped: ``t * s + a * sin(2 pi t / p + phi)`` plus per-onset jitter.

    ``s`` in [0.7, 1.4] (grid and playing tempo disagree), drift amplitude ``a`` up to half a
    quarter over a period ``p`` of 16-64 quarters, jitter of standard deviation 0.01-0.05 quarter.
    Pitches and the order of events are kept; the time-signature map stays the file's.
    """
    rng = np.random.default_rng(seed)
    s, a = rng.uniform(0.7, 1.4), rng.uniform(0.0, 0.5)
    p, phi, sigma = rng.uniform(16, 64), rng.uniform(0, 2 * np.pi), rng.uniform(0.01, 0.05)

    def warp(t):
        return t * s + a * np.sin(2 * np.pi * t / p + phi)

    tracks = []
    for t in song.tracks:
        jitter = rng.normal(0.0, sigma, t.start.size)
        start = np.maximum(warp(t.start) + jitter, 0.0)
        end = np.maximum(warp(t.end) + jitter, start + 1e-3)
        tracks.append(t.replace_notes(start, end, t.pitch, t.velocity))
    return song.with_tracks(tracks)


__all__ = ["performance_like"]
