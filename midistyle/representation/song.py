"""The in-memory song: notes per track in quarter-note time, plus the context needed to write it back.

Every reader (MIDI via symusic, pretty_midi objects, music21 scores) ends in a :class:`Song`;
the only writer turns a :class:`Song` back into MIDI. Times are in quarter notes (beats of a
quarter), so the grid does not depend on tempo; the tempo map converts to seconds.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

GENRES = ("jazz", "classical", "pop", "folk", "rock")


@dataclasses.dataclass
class Track:
    """One instrument: GM program, drum flag, name, and parallel note arrays (times in quarters)."""

    name: str
    program: int
    is_drum: bool
    start: np.ndarray  # float64 [n]
    end: np.ndarray  # float64 [n], > start
    pitch: np.ndarray  # int16 [n], 0..127
    velocity: np.ndarray  # int16 [n], 1..127

    @classmethod
    def from_notes(cls, name: str, program: int, is_drum: bool, notes: Sequence[tuple]) -> "Track":
        """Build from ``(start, end, pitch, velocity)`` tuples."""
        arr = np.asarray(notes, dtype=np.float64).reshape(-1, 4)
        return cls(name, int(program), bool(is_drum), arr[:, 0].copy(), arr[:, 1].copy(),
                   arr[:, 2].astype(np.int16), arr[:, 3].astype(np.int16))

    @property
    def n_notes(self) -> int:
        return int(self.start.shape[0])

    def notes(self) -> list[tuple[float, float, int, int]]:
        """Notes as ``(start, end, pitch, velocity)`` tuples sorted by start, pitch."""
        order = np.lexsort((self.pitch, self.start))
        return [(float(self.start[i]), float(self.end[i]), int(self.pitch[i]), int(self.velocity[i])) for i in order]

    def replace_notes(self, start, end, pitch, velocity) -> "Track":
        """A copy of this track's context with other notes."""
        return dataclasses.replace(
            self, start=np.asarray(start, np.float64), end=np.asarray(end, np.float64),
            pitch=np.asarray(pitch, np.int16), velocity=np.asarray(velocity, np.int16))


@dataclasses.dataclass
class Song:
    """A whole piece.

    ``tempos``: list of ``(quarter, qpm)``, the first at 0. ``time_signatures``: list of
    ``(quarter, numerator, denominator)``, the first at 0 (4/4 when the file has none).
    ``key_signatures``: list of ``(quarter, key_number)`` with pretty_midi's numbering
    (0-11 major C..B, 12-23 minor C..B). ``resolution``: ticks per quarter used when writing.
    """

    tracks: list[Track]
    tempos: list[tuple[float, float]]
    time_signatures: list[tuple[float, int, int]]
    key_signatures: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    resolution: int = 480
    source: str = ""

    @property
    def end(self) -> float:
        """Quarter position where the last note ends (0 for an empty song)."""
        ends = [float(t.end.max()) for t in self.tracks if t.n_notes]
        return max(ends, default=0.0)

    @property
    def pitched(self) -> list[Track]:
        return [t for t in self.tracks if not t.is_drum]

    @property
    def drums(self) -> list[Track]:
        return [t for t in self.tracks if t.is_drum]

    def n_notes(self, drums: bool | None = None) -> int:
        """Number of notes; ``drums=False`` counts pitched only, ``True`` drums only."""
        return sum(t.n_notes for t in self.tracks if drums is None or t.is_drum == drums)

    def seconds(self, quarters) -> np.ndarray:
        """Quarter positions -> seconds through the tempo map."""
        q = np.asarray(quarters, dtype=np.float64)
        tq = np.array([t for t, _ in self.tempos], dtype=np.float64)
        spq = 60.0 / np.array([b for _, b in self.tempos], dtype=np.float64)
        offsets = np.concatenate([[0.0], np.cumsum(np.diff(tq) * spq[:-1])])
        i = np.clip(np.searchsorted(tq, q, side="right") - 1, 0, len(tq) - 1)
        return offsets[i] + (q - tq[i]) * spq[i]

    def duration_seconds(self) -> float:
        return float(self.seconds(self.end))

    def with_tracks(self, tracks: list[Track]) -> "Song":
        """A copy with the same context (tempo, meters, keys) and other tracks."""
        return dataclasses.replace(self, tracks=list(tracks))
