"""A song read as a lead sheet plus roles: the types every arrangement module shares.

Analysis sits above ``representation`` and below ``models``; it never imports torch.
Times are quarter notes, as in :class:`~midistyle.representation.song.Song`.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..representation.basics import pitch_class_name
from ..representation.song import Song, Track

ROLES = ("melody", "bass", "comp", "drums")
"""What a part does in the band: the lead line, the bass line, the accompaniment, the kit."""

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
        return f"{pitch_class_name(self.root)}:{self.quality}"


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


def read_lead_sheet(song: Song, step: float = 1.0) -> LeadSheet:
    """Read ``song`` as a lead sheet: track roles, a lone piano split by note, chords and key.

    Parameters
    ----------
    song : the song (times in quarters).
    step : chord segment in quarters (1 = per beat in 4/4, 2 = per half bar).

    Returns
    -------
    LeadSheet whose ``parts`` hold every role that has notes. A split track's bass line joins
    comp when the song already has a bass track. The key is estimated from the notes
    (Krumhansl-Schmuckler): MIDI key signatures are too often missing or left at C.
    """
    # Imported here: chords and roles import Chord/ROLES from this module.
    from .chords import chords_and_key
    from .roles import SPLIT, split_voices, track_roles

    roles = track_roles(song)
    parts: dict[str, list[Track]] = {role: [] for role in ROLES}
    has_bass = "bass" in roles
    for track, role in zip(song.tracks, roles):
        if role != SPLIT:
            if track.n_notes:
                parts[role].append(track)
            continue
        split = split_voices(track, bass=not has_bass)
        for part_role, part in split.items():
            if part.n_notes:
                parts[part_role].append(part)
    chords, key = chords_and_key(song, step)
    return LeadSheet(song, {r: ts for r, ts in parts.items() if ts}, roles, chords, key)


def chart(sheet: LeadSheet, bars_per_line: int = 4, bar: float | None = None) -> str:
    """The chord chart as text: key, roles, then bars ``| C:maj A:min | F:maj G:7 |``.

    Each bar lists the chords that start in it (a chord held from the previous bar shows as
    ``%`` at the bar's start when nothing new starts there; ``N`` where nothing sounds).
    Bars follow the song's time signatures, or every ``bar`` quarters when given (for files
    whose meters are wrong, such as POP909's 1/4).
    """
    from ..representation.basics import key_name
    from ..representation.roll import bar_lines

    lines = [f"key: {key_name(sheet.key)}"]
    names = [f"{t.name or '(unnamed)'}: {r}" for t, r in zip(sheet.song.tracks, sheet.track_roles)]
    lines.append("roles: " + ", ".join(names))
    if bar:
        bars = np.arange(0.0, max(sheet.song.end, bar) + bar - 1e-9, bar)
    else:
        bars = bar_lines(sheet.song)
    cells = []
    for a, b in zip(bars[:-1], bars[1:]):
        inside = [c for c in sheet.chords if a - 1e-9 <= c.start < b - 1e-9]
        cell = [c.label for c in inside]
        if not inside or inside[0].start > a + 1e-9:
            held = any(c.start < a < c.end - 1e-9 for c in sheet.chords)
            cell.insert(0, "%" if held else "N")
        cells.append(" ".join(cell))
    for i in range(0, len(cells), bars_per_line):
        row = cells[i:i + bars_per_line]
        lines.append(f"{i + 1:>4} | " + " | ".join(row) + " |")
    return "\n".join(lines)
