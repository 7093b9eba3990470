"""Pure functions: drum notes <-> lanes on the roll grid (onset + velocity per step and lane).

A drum kit is not a pitch axis: General MIDI and the Roland TD-11 map (Groove MIDI) spell one
instrument with several note numbers (snare head 38, rim 40, cross-stick 37; hi-hat bow 42, edge
22, pedal 44), and hand percussion adds dozens more. :data:`LANES` folds them into a few lanes a
model can learn, and each lane is written back with one canonical GM pitch
(:data:`LANE_PITCH`). Note numbers that fit no lane (effects, whistles) are dropped and counted.
The grid is the pitched roll's (:func:`~midistyle.representation.roll.bar_lines`,
:func:`~midistyle.representation.roll.to_steps`), so lanes line up step for step with rolls.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..config import RollConfig
from .roll import bar_lines, to_steps
from .song import Song, Track

LANES = ("kick", "snare", "closed_hh", "open_hh", "tom_low", "tom_high", "crash", "ride")
"""Drum lanes, in tensor order."""

LANE_PITCH = (36, 38, 42, 46, 45, 48, 49, 51)
"""The GM note each lane is written back as (bass drum 1, acoustic snare, closed hi-hat, open
hi-hat, low tom, hi-mid tom, crash 1, ride 1)."""

_FOLD = {
    "kick": (35, 36),
    # snare head/rim, cross-stick, clap, and the short dry hand sounds that play its part
    "snare": (37, 38, 39, 40, 75, 76, 77),
    # closed and pedal hi-hat (TD-11 edge 22), and the shakers that keep the same time
    "closed_hh": (22, 42, 44, 54, 69, 70, 82),
    # open hi-hat (TD-11 edge 26)
    "open_hh": (26, 46),
    # floor and low toms (TD-11 tom 3 rim 58), low congas, low timbale, low bongo
    "tom_low": (41, 43, 45, 58, 61, 64, 66),
    # mid and high toms (TD-11 tom rims 47, 50), high congas, high bongo, high timbale, agogos
    "tom_high": (47, 48, 50, 60, 62, 63, 65, 67, 68),
    # crashes, splash and china (TD-11 crash edges 55, 57 and crash 2 on 52)
    "crash": (49, 52, 55, 57),
    # ride bow, bell and edge (TD-11 59, 53); cowbell and triangle keep the ride's part
    "ride": (51, 53, 56, 59, 80, 81),
}

PITCH_LANE = np.full(128, -1, np.int64)
"""Note number -> lane index, -1 where the note fits no lane."""
for _lane, _pitches in enumerate(_FOLD[name] for name in LANES):
    PITCH_LANE[list(_pitches)] = _lane
del _lane, _pitches


@dataclasses.dataclass
class DrumRoll:
    """A song's drums on the grid.

    ``onset``: bool ``[T, L]`` (a hit starts in this step); ``velocity``: uint8 ``[T, L]`` (the
    loudest hit of the step, 0 where none); ``bar_starts``: int64 ``[n_bars + 1]`` step indices;
    ``dropped``: drum notes that fit no lane or fall outside the grid.
    """

    cfg: RollConfig
    onset: np.ndarray
    velocity: np.ndarray
    bar_starts: np.ndarray
    dropped: int = 0

    @property
    def n_steps(self) -> int:
        return int(self.onset.shape[0])


def lane_of(pitch) -> np.ndarray:
    """Lane index of each note number (-1: no lane)."""
    return PITCH_LANE[np.clip(np.asarray(pitch, np.int64), 0, 127)]


def tracks_to_lanes(tracks: list[Track], n_steps: int, cfg: RollConfig = RollConfig()):
    """Drum notes of ``tracks`` -> ``(onset [T, L] bool, velocity [T, L] uint8, dropped)``.

    Several hits in one step and lane become one onset with the loudest velocity.
    """
    onset = np.zeros((n_steps, len(LANES)), bool)
    velocity = np.zeros((n_steps, len(LANES)), np.uint8)
    drums = [t for t in tracks if t.n_notes]
    if not drums:
        return onset, velocity, 0
    start = np.concatenate([t.start for t in drums])
    pitch = np.concatenate([t.pitch for t in drums])
    vel = np.clip(np.concatenate([t.velocity for t in drums]), 1, 127).astype(np.uint8)
    step, lane = to_steps(start, cfg), lane_of(pitch)
    keep = (lane >= 0) & (step >= 0) & (step < n_steps)
    flat = step[keep] * len(LANES) + lane[keep]
    onset.ravel()[flat] = True
    np.maximum.at(velocity.ravel(), flat, vel[keep])
    return onset, velocity, int((~keep).sum())


def song_to_drums(song: Song, cfg: RollConfig = RollConfig()) -> DrumRoll:
    """The song's drum tracks as lanes over its whole bar grid (all zeros when it has none)."""
    bar_starts = to_steps(bar_lines(song), cfg)
    onset, velocity, dropped = tracks_to_lanes(song.drums, int(bar_starts[-1]), cfg)
    return DrumRoll(cfg, onset, velocity, bar_starts, dropped)


def lanes_to_notes(onset: np.ndarray, velocity: np.ndarray | None = None, cfg: RollConfig = RollConfig(),
                   default_velocity: int = 90, length_steps: int = 1):
    """Lanes -> drum notes ``(start_q, end_q, pitch, velocity)`` arrays, sorted by time then pitch.

    Each onset is one hit of its lane's canonical pitch, ``length_steps`` steps long.
    """
    onset = np.asarray(onset, bool)
    step, lane = np.nonzero(onset)
    if velocity is None:
        vel = np.full(step.shape, default_velocity, np.int64)
    else:
        vel = np.asarray(velocity)[step, lane].astype(np.int64)
        vel[vel <= 0] = default_velocity
    pitch = np.asarray(LANE_PITCH, np.int64)[lane]
    order = np.lexsort((pitch, step))
    step, pitch, vel = step[order], pitch[order], np.clip(vel[order], 1, 127)
    spb = cfg.steps_per_beat
    return step / spb, (step + length_steps) / spb, pitch, vel


def lanes_to_track(onset: np.ndarray, velocity: np.ndarray | None = None, cfg: RollConfig = RollConfig(),
                   name: str = "Drums", program: int = 0) -> Track:
    """Lanes -> one GM drum track (channel 10; ``program`` picks the kit)."""
    start, end, pitch, vel = lanes_to_notes(onset, velocity, cfg)
    return Track(name, int(program), True, start, end, pitch.astype(np.int16), vel.astype(np.int16))


def fold_song_drums(song: Song, cfg: RollConfig = RollConfig()) -> Song:
    """The song with its drum tracks replaced by one canonical-lane drum track on the grid."""
    drums = song_to_drums(song, cfg)
    kit = next((t.program for t in song.drums), 0)
    pitched = song.pitched
    track = lanes_to_track(drums.onset, drums.velocity, cfg, program=kit)
    return song.with_tracks(pitched + ([track] if track.n_notes else []))
