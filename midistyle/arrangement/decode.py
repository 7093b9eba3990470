"""Arrangement tensors -> tracks (bass, comp, drums) merged with the source's melody into a Song.

The melody is the source's own notes (pitches and phrasing, unquantised); the tempo map, meters
and keys are the source's. The new parts get the GM programs and feel they are given, normally a
genre profile's (:mod:`midistyle.arrangement.profile`). Numpy only.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..analysis.leadsheet import LeadSheet
from ..config import RollConfig
from ..representation.drums import lanes_to_track
from ..representation.roll import roll_to_notes
from ..representation.song import Song, Track
from .encode import PITCHED_TARGETS
from .feel import STRAIGHT, apply_swing, humanise

DEFAULT_PROGRAMS = {"bass": 33, "comp": 0, "drums": 0}
"""GM programs when none are given: finger bass, piano, standard kit."""
DEFAULT_VELOCITY = {"bass": 90, "comp": 70}  # drums: lanes_to_notes' own default
TRACK_NAMES = {"bass": "Bass", "comp": "Comp", "drums": "Drums"}


def roll_track(roll: np.ndarray, cfg: RollConfig, name: str, program: int,
               velocity: np.ndarray | None = None, default_velocity: int = 80) -> Track:
    """A ``[2, T, P]`` (onset, sustain) roll -> one pitched track on the grid."""
    s, e, p, v = roll_to_notes(np.asarray(roll[0]) > 0, np.asarray(roll[1]) > 0, velocity, default_velocity)
    spb = cfg.steps_per_beat
    return Track(name, int(program), False, s / spb, e / spb, (p + cfg.low_pitch).astype(np.int16),
                 np.clip(v, 1, 127).astype(np.int16))


def swung(track: Track, ratio: float) -> Track:
    """The track with its note starts and ends played at swing ``ratio`` (0.5 leaves it as it is)."""
    if abs(ratio - STRAIGHT) < 1e-9 or not track.n_notes:
        return track
    start, end = apply_swing(track.start, ratio), apply_swing(track.end, ratio)
    return track.replace_notes(start, np.maximum(end, start + 1e-3), track.pitch, track.velocity)


def timed(track: Track, spread: float, rng: np.random.Generator, swing: float = STRAIGHT) -> Track:
    """The track played around its grid with a timing ``spread`` (beats; see
    :func:`~midistyle.arrangement.feel.humanise`), notes re-sorted by start; 0 leaves it as it is."""
    if spread <= 0 or not track.n_notes:
        return track
    start, end = humanise(track.start, track.end, track.pitch, spread, rng, swing)
    order = np.lexsort((track.pitch, start))
    return track.replace_notes(start[order], end[order], track.pitch[order], track.velocity[order])


def decode(lead: LeadSheet, parts: Mapping[str, np.ndarray], cfg: RollConfig = RollConfig(), *,
           programs: Mapping[str, int] | None = None, velocity: Mapping[str, np.ndarray] | None = None,
           swing: float = STRAIGHT, swing_melody: bool = False, keep: tuple[str, ...] = (),
           timing: Mapping[str, float] | None = None, timing_melody: bool = False, seed: int = 0) -> Song:
    """New parts around the source's melody, as a Song in the source's tempo map and meters.

    Parameters
    ----------
    lead : the source read as a lead sheet; its melody tracks (and the parts named in ``keep``)
        are kept note for note.
    parts : role -> tensor for the parts to write: ``bass`` and ``comp`` as ``[2, T, P]``
        (onset, sustain; > 0 counts as on), ``drums`` as ``[T, L]`` lanes. A role absent from
        ``parts`` and ``keep`` is left out (a genre without drums).
    programs : role -> GM program (a ``melody`` entry re-voices the melody); defaults
        :data:`DEFAULT_PROGRAMS`.
    velocity : role -> uint8 ``[T, P]`` (``[T, L]`` for drums) velocities at onsets; default a
        fixed velocity per role.
    swing : 8th-pair ratio the new parts are played at (0.5 straight, about 0.67 triplet swing).
    swing_melody : play the kept melody at ``swing`` too (its pitches and order unchanged).
    keep : roles of the source kept as they are instead of written from ``parts``.
    timing : role -> onset spread around the grid (median absolute offset, beats) each new part is
        played with, from a seeded draw (``seed``; each role draws apart, so one role's notes do
        not change another's); absent or 0: on the grid.
    timing_melody : play the kept melody with ``timing["melody"]`` too: only as much spread as it
        lacks (a performed melody already at the spread is left as it is), pitches and order kept.
    """
    programs = {**DEFAULT_PROGRAMS, **(programs or {})}
    velocity, timing = velocity or {}, timing or {}
    tracks: list[Track] = []
    rng = np.random.default_rng([seed, 0])
    for t in lead.part("melody"):
        if "melody" in programs:
            t = Track(t.name, int(programs["melody"]), False, t.start, t.end, t.pitch, t.velocity)
        if timing_melody:
            t = timed(t, float(timing.get("melody") or 0.0), rng, swing if swing_melody else STRAIGHT)
        tracks.append(swung(t, swing) if swing_melody else t)
    for role in (*PITCHED_TARGETS, "drums"):
        if role in keep:
            tracks.extend(lead.part(role))
            continue
        if role not in parts:
            continue
        if role == "drums":
            made = lanes_to_track(np.asarray(parts[role]) > 0, velocity.get(role), cfg,
                                  TRACK_NAMES[role], programs[role])
        else:
            made = roll_track(parts[role], cfg, TRACK_NAMES[role], programs[role], velocity.get(role),
                              DEFAULT_VELOCITY[role])
        if made.n_notes:
            rng = np.random.default_rng([seed, 1 + (*PITCHED_TARGETS, "drums").index(role)])
            tracks.append(swung(timed(made, float(timing.get(role) or 0.0), rng, swing), swing))
    return lead.song.with_tracks(tracks)
