"""A song read as a lead sheet plus roles: the types every arrangement module shares.

Analysis sits above ``representation`` and below ``models``; it never imports torch.
Times are quarter notes, as in :class:`~midistyle.representation.song.Song`.
"""
from __future__ import annotations

import dataclasses

from ..representation.song import Song, Track

ROLES = ("melody", "bass", "comp", "drums")
"""What a part does in the band: the lead line, the bass line, the accompaniment, the kit."""

PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclasses.dataclass(frozen=True)
class Chord:
    """One chord of the chart: ``[start, end)`` in quarters, root pitch class, Harte quality.

    ``quality`` is a Harte shorthand (``maj``, ``min``, ``dim``, ``aug``, ``sus2``, ``sus4``,
    ``7``, ``maj7``, ``min7``, ``hdim7``, ``dim7``, ``maj6``, ``min6``, ...); ``N`` chords are
    not listed (a gap in the chart is no chord).
    """

    start: float
    end: float
    root: int
    quality: str

    @property
    def label(self) -> str:
        """Harte label as mir_eval reads it, e.g. ``Eb:min7``."""
        return f"{PITCH_CLASSES[self.root]}:{self.quality}"


@dataclasses.dataclass
class LeadSheet:
    """The song as content (melody and chords) plus its band parts, by role.

    ``song``: the source, for its context (tempo map, meters, keys, source path).
    ``parts``: role -> tracks playing that role (a single piano split by note gives derived
    tracks; every part keeps its GM program and drum flag). ``track_roles``: for each track of
    ``song.tracks``, the role it was given (a split track is listed as ``"split"``).
    ``chords``: the chart, sorted, non-overlapping. ``key``: pretty_midi key number (0-11 major,
    12-23 minor).
    """

    song: Song
    parts: dict[str, list[Track]]
    track_roles: list[str]
    chords: list[Chord]
    key: int

    def part(self, role: str) -> list[Track]:
        """Tracks of one role (empty when the song has none)."""
        return self.parts.get(role, [])
