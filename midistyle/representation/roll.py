"""Pure functions: :class:`Song` <-> bar-level piano roll on a quarter-note grid.

The roll has one slice per pitched track, ``[track, step, pitch]``, with an onset channel (a note
starts here), a sustain channel (a note sounds here, onset steps included) and velocities at onset
steps. Bars come from the song's time signatures (a change of meter starts a new bar, so a pickup
is written as a short first meter), so a bar is ``bar_starts[i]:bar_starts[i+1]`` steps long.
Drums are not in the roll; they travel with the song.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..config import RollConfig
from ..errors import InputError
from .song import Song, Track

MAX_QUARTERS = 50_000  # ~7 hours at 120 qpm: longer songs are refused, not silently huge
_EPS = 1e-6


@dataclasses.dataclass
class Roll:
    """Bar-level piano roll of a song's pitched tracks.

    ``onset``, ``sustain``: bool ``[n_tracks, T, P]``; ``velocity``: uint8 ``[n_tracks, T, P]``
    (non-zero at onset cells); ``bar_starts``: int64 ``[n_bars + 1]`` step indices (last = T);
    ``track_index``: for each slice, the index of its track in ``Song.tracks``.
    """

    cfg: RollConfig
    onset: np.ndarray
    sustain: np.ndarray
    velocity: np.ndarray
    bar_starts: np.ndarray
    track_index: list[int]

    @property
    def n_steps(self) -> int:
        return int(self.onset.shape[1])

    @property
    def n_bars(self) -> int:
        return int(len(self.bar_starts) - 1)

    def merged(self) -> np.ndarray:
        """Model input: float32 ``[2, T, P]`` (onset, sustain), all pitched tracks together."""
        return np.stack([self.onset.any(axis=0), self.sustain.any(axis=0)]).astype(np.float32)

    def bars(self) -> tuple[np.ndarray, np.ndarray]:
        """Merged roll cut at barlines: ``([n_bars, 2, S, P], mask [n_bars, S])``, S = longest bar."""
        merged = self.merged()
        lengths = np.diff(self.bar_starts)
        width = int(lengths.max(initial=0))
        out = np.zeros((self.n_bars, 2, width, self.cfg.n_pitches), np.float32)
        mask = np.zeros((self.n_bars, width), bool)
        for i, (a, n) in enumerate(zip(self.bar_starts[:-1], lengths)):
            out[i, :, :n] = merged[:, a:a + n]
            mask[i, :n] = True
        return out, mask


def bar_lines(song: Song) -> np.ndarray:
    """Quarter positions of every barline, from the first downbeat to the end of the last bar.

    Each time signature starts a bar; bars repeat at its length until the next one (a change
    mid-bar cuts that bar short). The last meter repeats until the song's last note has ended.
    """
    end = song.end
    sigs = sorted({q: (n, d) for q, n, d in song.time_signatures}.items())
    if end > 0:
        sigs = [s for s in sigs if s[0] < end - _EPS] or [(0.0, (4, 4))]
    if not sigs or sigs[0][0] > _EPS:
        sigs.insert(0, (0.0, sigs[0][1] if sigs else (4, 4)))
    lines: list[float] = []
    for k, (q, (num, den)) in enumerate(sigs):
        length = num * 4.0 / den
        stop = sigs[k + 1][0] if k + 1 < len(sigs) else max(end, q)
        count = max(1, math.ceil((stop - q) / length - _EPS)) if k + 1 == len(sigs) else \
            math.ceil((stop - q) / length - _EPS)
        lines.extend(q + i * length for i in range(count))
        if k + 1 == len(sigs):
            lines.append(q + count * length)
    return np.asarray(lines, dtype=np.float64)


def to_steps(quarters, cfg: RollConfig) -> np.ndarray:
    """Quarter positions -> nearest grid step (int64)."""
    return np.rint(np.asarray(quarters, np.float64) * cfg.steps_per_beat).astype(np.int64)


def song_to_roll(song: Song, cfg: RollConfig = RollConfig()) -> Roll:
    """Quantise a song's pitched tracks onto the grid. Raises InputError for songs that are too long."""
    if song.end > MAX_QUARTERS:
        raise InputError(song.source, f"too long: {song.end:.0f} beats (limit {MAX_QUARTERS})")
    bar_starts = to_steps(bar_lines(song), cfg)
    n_steps, n_pitch = int(bar_starts[-1]), cfg.n_pitches
    index = [i for i, t in enumerate(song.tracks) if not t.is_drum]
    shape = (len(index), n_steps, n_pitch)
    k, s, e, p, v = _quantised([song.tracks[i] for i in index], cfg, n_steps)
    base = (k * n_steps + s) * n_pitch + p  # flat index of each onset cell
    onset = np.zeros(shape, bool)
    onset.ravel()[base] = True
    velocity = np.zeros(shape, np.uint8)
    np.maximum.at(velocity.ravel(), base, v.astype(np.uint8))
    # Fill each note's sounding cells directly: cost ~ sounding cells, not the whole grid.
    lengths = e - s
    steps = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    sustain = np.zeros(shape, bool)
    sustain.ravel()[np.repeat(base, lengths) + steps * n_pitch] = True
    return Roll(cfg, onset, sustain, velocity, bar_starts, index)


def _quantised(tracks: list[Track], cfg: RollConfig, n_steps: int):
    """In-range notes of ``tracks`` as grid steps: (track slot, start, end, pitch column, velocity)."""
    if not tracks:
        z = np.zeros(0, np.int64)
        return z, z, z, z, z
    k = np.repeat(np.arange(len(tracks)), [t.n_notes for t in tracks])
    start, end, pitch, vel = (np.concatenate([getattr(t, f) for t in tracks])
                              for f in ("start", "end", "pitch", "velocity"))
    s = to_steps(start, cfg)
    keep = (pitch >= cfg.low_pitch) & (pitch <= cfg.high_pitch) & (s < n_steps)
    s = s[keep]
    e = np.minimum(np.maximum(to_steps(end[keep], cfg), s + 1), n_steps)
    p = pitch[keep].astype(np.int64) - cfg.low_pitch
    return k[keep], s, e, p, np.clip(vel[keep], 1, 127)


def roll_to_notes(onset: np.ndarray, sustain: np.ndarray, velocity: np.ndarray | None = None,
                  default_velocity: int = 80):
    """Decode one ``[T, P]`` roll into notes ``(start, end, pitch_column, velocity)`` in steps.

    A note starts at an onset, or where sustain begins without one; it lasts while sustain
    holds and no new onset of the same pitch arrives.
    """
    onset = np.asarray(onset, bool)
    sustain = np.asarray(sustain, bool) | onset
    n_steps, n_pitch = sustain.shape
    prev = np.zeros_like(sustain)
    prev[1:] = sustain[:-1]
    starts = onset | (sustain & ~prev)
    # Pitch-major with a False column as a sentinel, so runs never cross pitches.
    pad = np.zeros((n_pitch, n_steps + 1), bool)
    flat_sus = pad.copy()
    flat_sus[:, :n_steps] = sustain.T
    flat_start = pad
    flat_start[:, :n_steps] = starts.T
    flat_sus, flat_start = flat_sus.ravel(), flat_start.ravel()
    start_idx = np.flatnonzero(flat_start)
    boundary = np.flatnonzero(~flat_sus | flat_start)
    end_idx = boundary[np.searchsorted(boundary, start_idx, side="right")]
    pitch, s = np.divmod(start_idx, n_steps + 1)
    e = end_idx - pitch * (n_steps + 1)
    if velocity is None:
        v = np.full(s.shape, default_velocity, np.int64)
    else:
        v = np.asarray(velocity)[s, pitch].astype(np.int64)
        v[v <= 0] = default_velocity
    order = np.lexsort((pitch, s))
    return s[order], e[order], pitch[order], v[order]


def roll_to_song(roll: Roll, context: Song) -> Song:
    """Write a roll back into ``context``: its pitched tracks get the roll's notes.

    Tempo map, meters, keys, programs, names and drum tracks come from ``context`` unchanged.
    """
    spb = roll.cfg.steps_per_beat
    tracks = list(context.tracks)
    for k, i in enumerate(roll.track_index):
        s, e, p, v = roll_to_notes(roll.onset[k], roll.sustain[k], roll.velocity[k])
        tracks[i] = tracks[i].replace_notes(s / spb, e / spb, p + roll.cfg.low_pitch, v)
    return context.with_tracks(tracks)


def quantize(song: Song, cfg: RollConfig = RollConfig()) -> Song:
    """The song as the models see it: pitched notes snapped to the grid (drums kept as they are)."""
    return roll_to_song(song_to_roll(song, cfg), song)


GRID_CHOICES = (4, 12)  # 16th notes; 16ths and triplets (the shipped to_jazz model's grid)
_ON_GRID_TOL = 0.05  # a twentieth of a step counts as on the grid


def _off_grid(times: np.ndarray, spb: int) -> np.ndarray:
    return np.abs(times * spb - np.rint(times * spb)) > _ON_GRID_TOL


def fitting_grid(song: Song, choices=GRID_CHOICES, share: float = 0.05) -> int:
    """Steps per quarter to draw or read ``song`` at: the coarsest of ``choices`` that puts all but
    ``share`` of its pitched onsets on the grid, else the one that misses fewest (a converted jazz
    output written at 12 steps is not drawn as 16ths)."""
    pitched = song.pitched
    if not pitched:
        return choices[0]
    start = np.concatenate([t.start for t in pitched])
    missed = [int(_off_grid(start, spb).sum()) for spb in choices]
    for spb, n in zip(choices, missed):
        if n <= share * start.size:
            return spb
    return choices[int(np.argmin(missed))]


def grid_report(song: Song, cfg: RollConfig = RollConfig()) -> dict:
    """What quantising to ``cfg`` will lose, counted over pitched notes."""
    pitched = song.pitched
    if not pitched:
        return {"pitched_notes": 0, "off_grid_onsets": 0, "off_grid_offsets": 0,
                "out_of_range": 0, "shorter_than_step": 0, "merged": 0}
    start = np.concatenate([t.start for t in pitched])
    end = np.concatenate([t.end for t in pitched])
    pitch = np.concatenate([t.pitch for t in pitched])
    spb = cfg.steps_per_beat
    in_range = (pitch >= cfg.low_pitch) & (pitch <= cfg.high_pitch)
    roll = song_to_roll(song, cfg)
    kept = int(roll.onset.sum())
    return {
        "pitched_notes": int(start.size),
        "off_grid_onsets": int(_off_grid(start, spb).sum()),
        "off_grid_offsets": int(_off_grid(end, spb).sum()),
        "out_of_range": int((~in_range).sum()),
        "shorter_than_step": int(((end - start) * spb < 0.5).sum()),
        "merged": int(in_range.sum()) - kept,
    }
