"""A lead sheet -> bar-aligned multi-track tensors on the roll grid (the arranger's inputs and targets).

Inputs (the content a conversion keeps): the melody roll, the chord chroma per step and the
position of each step in its bar. Targets (what a genre re-makes): drum lanes, the bass roll and
the comping roll. Every tensor has the song's whole bar grid on its step axis
(:func:`~midistyle.representation.roll.bar_lines`), so step ``t`` of one is step ``t`` of all.
Numpy only.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..analysis.chords import QUALITIES
from ..analysis.leadsheet import Chord, LeadSheet
from ..config import RollConfig
from ..representation.drums import LANES, lane_of, tracks_to_lanes
from ..representation.roll import bar_lines, song_to_roll, to_steps
from ..representation.song import Song, Track
from .feel import RELIABLE_ON_BEAT, STRAIGHT, STRAIGHTEN_ABOVE, apply_swing, on_beat_share, swing_ratio

PITCHED_TARGETS = ("bass", "comp")
"""The pitched roles an arrangement re-makes (drums are lanes, not a roll)."""


@dataclasses.dataclass
class Arrangement:
    """A song's arrangement tensors, all on one grid of ``T`` steps.

    Inputs: ``melody`` bool ``[2, T, P]`` (onset, sustain); ``chroma`` float32 ``[T, 12]`` (the
    pitch classes of the chord sounding at each step); ``position`` int16 ``[T]`` (step within its
    bar); ``bar_starts`` int64 ``[n_bars + 1]``. Targets: ``drums`` bool ``[T, L]`` with
    ``drum_velocity`` uint8 ``[T, L]``; ``bass`` and ``comp`` bool ``[2, T, P]`` with their
    velocities in ``velocity`` (role -> uint8 ``[T, P]``, non-zero at onsets). ``programs``: role
    -> GM program of the source's part (the one with most notes), absent for a role it lacks.
    ``chroma_from``: ``"chords"`` or ``"notes"`` (no chord chart: the non-melody notes' classes).
    ``swing``: the 8th-pair ratio the source was straightened from before it was put on the grid
    (0.5: played straight, or not measurable).
    """

    cfg: RollConfig
    bar_starts: np.ndarray
    melody: np.ndarray
    chroma: np.ndarray
    position: np.ndarray
    drums: np.ndarray
    drum_velocity: np.ndarray
    bass: np.ndarray
    comp: np.ndarray
    velocity: dict[str, np.ndarray]
    programs: dict[str, int]
    chroma_from: str = "chords"
    swing: float = STRAIGHT

    @property
    def n_steps(self) -> int:
        return int(self.position.shape[0])

    @property
    def n_bars(self) -> int:
        return int(self.bar_starts.shape[0] - 1)

    def roll(self, role: str) -> np.ndarray:
        """A pitched role's ``[2, T, P]`` roll (``melody``, ``bass`` or ``comp``)."""
        if role not in ("melody", *PITCHED_TARGETS):
            raise KeyError(f"no pitched roll for role {role!r}; valid: melody, {', '.join(PITCHED_TARGETS)}")
        return getattr(self, role)


def chord_classes(chord: Chord) -> tuple[int, ...]:
    """Pitch classes of a chord of the chart (its root and fifth for a quality not in the table)."""
    return tuple(sorted((chord.root + i) % 12 for i in QUALITIES.get(chord.quality, (0, 7))))


def part_roll(song: Song, tracks: list[Track], n_steps: int, cfg: RollConfig):
    """Tracks of one role merged into ``(roll bool [2, T, P], velocity uint8 [T, P])`` over ``n_steps``.

    The grid is the song's: a part that ends early is padded, so its steps line up with the song's.
    """
    out = np.zeros((2, n_steps, cfg.n_pitches), bool)
    velocity = np.zeros((n_steps, cfg.n_pitches), np.uint8)
    tracks = [t for t in tracks if t.n_notes and not t.is_drum]
    if not tracks:
        return out, velocity
    roll = song_to_roll(song.with_tracks(tracks), cfg)
    n = min(roll.n_steps, n_steps)
    out[0, :n] = roll.onset[:, :n].any(axis=0)
    out[1, :n] = roll.sustain[:, :n].any(axis=0)
    velocity[:n] = roll.velocity[:, :n].max(axis=0)
    return out, velocity


def chord_chroma(chords: list[Chord], n_steps: int, cfg: RollConfig) -> np.ndarray:
    """The chart as float32 ``[T, 12]``: 1 for each class of the chord sounding at each step."""
    chroma = np.zeros((n_steps, 12), np.float32)
    for chord in chords:
        a, b = (int(x) for x in to_steps([chord.start, chord.end], cfg))
        a, b = max(a, 0), min(b, n_steps)
        if b > a:
            chroma[a:b, list(chord_classes(chord))] = 1.0
    return chroma


def notes_chroma(sustain: np.ndarray, cfg: RollConfig) -> np.ndarray:
    """Pitch classes sounding per step in a ``[T, P]`` roll, as float32 ``[T, 12]``."""
    classes = (np.arange(cfg.n_pitches) + cfg.low_pitch) % 12
    chroma = np.zeros((sustain.shape[0], 12), np.float32)
    for pc in range(12):
        chroma[:, pc] = sustain[:, classes == pc].any(axis=1)
    return chroma


def bar_positions(bar_starts: np.ndarray) -> np.ndarray:
    """Step index within its bar, int16 ``[T]``."""
    lengths = np.diff(bar_starts)
    n = int(bar_starts[-1])
    return (np.arange(n) - np.repeat(bar_starts[:-1], lengths)).astype(np.int16)


def main_program(tracks: list[Track]) -> int | None:
    """GM program of the part with most notes (None when there is none)."""
    tracks = [t for t in tracks if t.n_notes]
    return max(tracks, key=lambda t: t.n_notes).program if tracks else None


def lead_programs(lead: LeadSheet) -> dict[str, int]:
    """Role -> GM program of the source's main part of that role (absent for a role it lacks)."""
    return {role: p for role in ("melody", *PITCHED_TARGETS, "drums")
            if (p := main_program(lead.part(role))) is not None}


def lead_voices(lead: LeadSheet) -> list[np.ndarray]:
    """Onset arrays read apart for swing: each pitched part, and each drum lane of each kit."""
    out = [t.start for role in ("melody", *PITCHED_TARGETS) for t in lead.part(role) if t.n_notes]
    for kit in lead.part("drums"):
        lanes = lane_of(kit.pitch)
        out.extend(kit.start[lanes == k] for k in range(len(LANES)))
    return [v for v in out if v.size]


def source_on_beat(lead: LeadSheet) -> float:
    """Share of the source's onsets (every track, drums too) on its quarter-note beats."""
    return on_beat_share(np.concatenate([t.start for t in lead.song.tracks if t.n_notes] or [np.zeros(0)]))


def source_swing(lead: LeadSheet) -> float:
    """The swing the source is played with: its 8th-pair ratio when its grid is reliable and the
    ratio is above :data:`~.feel.STRAIGHTEN_ABOVE`, else straight."""
    if source_on_beat(lead) < RELIABLE_ON_BEAT:
        return STRAIGHT
    ratio = swing_ratio(lead_voices(lead))
    return ratio if ratio is not None and ratio > STRAIGHTEN_ABOVE else STRAIGHT


def _straightened(tracks: list[Track], ratio: float) -> list[Track]:
    if ratio == STRAIGHT:
        return tracks
    return [t.replace_notes(apply_swing(t.start, STRAIGHT, ratio), apply_swing(t.end, STRAIGHT, ratio),
                            t.pitch, t.velocity) for t in tracks]


def encode(lead: LeadSheet, cfg: RollConfig = RollConfig(), *, straighten: bool = True) -> Arrangement:
    """A lead sheet as arrangement tensors (see :class:`Arrangement`).

    The chroma comes from ``lead.chords``; a song without a chart falls back to the pitch
    classes its bass and comping parts sound at each step. With ``straighten``, a swung source
    (:func:`source_swing`) is played straight before it is quantised: a 16th grid cannot hold a
    swung 8th (two thirds of a beat would round to its last 16th), and the feel is the genre's,
    put back when decoding.
    """
    song = lead.song
    swing = source_swing(lead) if straighten else STRAIGHT
    part = lambda role: _straightened(lead.part(role), swing)  # noqa: E731
    bar_starts = to_steps(bar_lines(song), cfg)
    n_steps = int(bar_starts[-1])
    melody, _ = part_roll(song, part("melody"), n_steps, cfg)
    rolls, velocity = {}, {}
    for role in PITCHED_TARGETS:
        rolls[role], velocity[role] = part_roll(song, part(role), n_steps, cfg)
    drums, drum_velocity, _ = tracks_to_lanes(part("drums"), n_steps, cfg)
    if lead.chords:
        chroma, source = chord_chroma(lead.chords, n_steps, cfg), "chords"
    else:
        chroma, source = notes_chroma(rolls["bass"][1] | rolls["comp"][1], cfg), "notes"
    return Arrangement(cfg, bar_starts, melody, chroma, bar_positions(bar_starts), drums, drum_velocity,
                       rolls["bass"], rolls["comp"], velocity, lead_programs(lead), source, swing)

