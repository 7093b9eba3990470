"""The beat frame of a song's own meter: quarter positions -> beat positions, downbeats, a fine grid.

A beat is the meter's beat: a quarter in 3/4 and 4/4, a half note in 2/2, an eighth in 3/8 and
5/8, a dotted quarter in the compound meters 6/8, 9/8 and 12/8 (numerator a multiple of 3 above
3, denominator 8 or shorter). Bars are ``numerator`` beats long (``numerator / 3`` in compound
meters); a 1-beat meter (1/4, as POP909 writes most of its songs) says nothing about bars, so its
beats are grouped in fours. Pure numpy; only pitched notes enter.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..representation.song import Song

CELLS = 12  # grid cells per beat: holds 8ths, 16ths and triplets exactly
MAX_BEATS = 8_000  # longer pieces are judged on their first MAX_BEATS beats (~1 hour at 120 bpm)


def meter_beat(numerator: int, denominator: int) -> tuple[float, int]:
    """(beat length in quarters, beats per bar) of a time signature."""
    num, den = max(1, int(numerator)), max(1, int(denominator))
    if den >= 8 and num % 3 == 0 and num > 3:
        return 12.0 / den, num // 3
    return 4.0 / den, (4 if num == 1 else num)


@dataclasses.dataclass(frozen=True)
class Notes:
    """Pitched notes in beats of the song's own meter, sorted by onset.

    ``start``/``end``: float64 beat positions (first beat of the piece = 0); ``pitch``: int64;
    ``downbeats``: sorted int64 beat indices that start a bar.
    """

    start: np.ndarray
    end: np.ndarray
    pitch: np.ndarray
    downbeats: np.ndarray

    @property
    def n_beats(self) -> int:
        return int(math.ceil(float(self.end.max()) - 1e-9)) if self.end.size else 0

    def window(self, b0: int, b1: int) -> "Notes":
        """Notes starting in beats ``[b0, b1)``, shifted to start at 0, ends cut at ``b1``."""
        keep = (self.start >= b0) & (self.start < b1)
        db = self.downbeats[(self.downbeats >= b0) & (self.downbeats < b1)] - b0
        return Notes(self.start[keep] - b0, np.minimum(self.end[keep], b1) - b0, self.pitch[keep], db)


def beat_notes(song: Song) -> Notes:
    """The song's pitched notes in its beat frame (drums, programs, velocities and tempo dropped)."""
    return tagged_beat_notes(song, song.pitched)[0]


def tagged_beat_notes(song: Song, tracks) -> tuple[Notes, np.ndarray]:
    """The notes of ``tracks`` (drums may be among them) in the song's beat frame, with the index
    into ``tracks`` of each note's track: ``(Notes, int64 [n])``. The frame (grid shift, first
    beat) is fitted on all of them together."""
    tracks = list(tracks)
    start = np.concatenate([t.start for t in tracks] or [np.zeros(0)]).astype(np.float64)
    end = np.concatenate([t.end for t in tracks] or [np.zeros(0)]).astype(np.float64)
    pitch = np.concatenate([t.pitch for t in tracks] or [np.zeros(0)]).astype(np.int64)
    owner = np.repeat(np.arange(len(tracks)), [t.n_notes for t in tracks]).astype(np.int64)
    if start.size == 0:
        return Notes(start, end, pitch, np.zeros(0, np.int64)), owner
    qs, bs, lengths, per_bar = _segments(song.time_signatures, float(end.max()))
    b_start, b_end = _to_beats(start, qs, bs, lengths), _to_beats(end, qs, bs, lengths)
    shift = grid_shift(b_start)
    b_start, b_end = b_start - shift, b_end - shift
    first = math.floor(float(b_start.min()) + 1e-9)
    b_start, b_end = b_start - first, b_end - first
    downbeats = []
    for k in range(len(qs)):
        stop = bs[k + 1] if k + 1 < len(qs) else float(b_end.max()) + per_bar[k]
        downbeats.append(np.arange(bs[k], stop - 1e-9, per_bar[k]))
    db = np.rint(np.concatenate(downbeats)).astype(np.int64) - first
    order = np.lexsort((pitch, b_start))
    b_start, b_end, pitch, owner = b_start[order], b_end[order], pitch[order], owner[order]
    cut = b_start < MAX_BEATS
    b_end = np.maximum(b_end, b_start + 1.0 / CELLS)  # zero-length notes still sound one cell
    notes = Notes(b_start[cut], np.minimum(b_end[cut], MAX_BEATS), pitch[cut],
                  np.unique(db[(db >= 0) & (db < MAX_BEATS)]))
    return notes, owner[cut]


def grid_shift(beats: np.ndarray) -> float:
    """A constant offset (at most an 8th of a beat) that brings the onsets onto the beat grid.

    Files recorded by hand against a click (POP909) can sit a few ticks late throughout: every
    onset would read as "other". The offset is the one that puts most onsets within
    1/48 beat of an on-beat or 8th position; 0 unless it wins by 5 points of the onsets.
    """
    if beats.size == 0:
        return 0.0
    shifts = np.arange(-12, 13) / 96.0
    phase = (beats[None, :] - shifts[:, None]) * 2.0  # in 8ths
    score = (np.abs(phase - np.rint(phase)) <= 1.0 / 24).mean(axis=1)  # within 1/48 beat
    plateau = np.flatnonzero(score >= score.max() - 1e-12)
    best = int(plateau[len(plateau) // 2])  # the middle of the best shifts
    return float(shifts[best]) if score[best] > score[12] + 0.05 else 0.0


def _segments(time_signatures, end: float):
    """Meter segments: start quarters, start beats (whole beats), beat lengths, beats per bar."""
    sigs = sorted({float(q): (n, d) for q, n, d in time_signatures}.items())
    sigs = [s for s in sigs if s[0] < end - 1e-9] or [(0.0, (4, 4))]
    if sigs[0][0] > 1e-9:
        sigs.insert(0, (0.0, sigs[0][1]))
    qs, bs, lengths, per_bar = [], [], [], []
    for q, (num, den) in sigs:
        length, bar = meter_beat(num, den)
        if qs:  # a meter change mid-beat starts the new meter on the next whole beat
            b = math.ceil(bs[-1] + (q - qs[-1]) / lengths[-1] - 1e-6)
        else:
            b = 0
        qs.append(q), bs.append(float(b)), lengths.append(length), per_bar.append(bar)
    return np.array(qs), np.array(bs), np.array(lengths), per_bar


def _to_beats(q: np.ndarray, qs, bs, lengths) -> np.ndarray:
    i = np.clip(np.searchsorted(qs, q, side="right") - 1, 0, len(qs) - 1)
    return bs[i] + (q - qs[i]) / lengths[i]


def grid(notes: Notes) -> tuple[np.ndarray, np.ndarray]:
    """(sounding, onset): bool ``[n_beats * CELLS, 128]`` on the fine grid."""
    n = max(1, notes.n_beats) * CELLS
    a = np.clip(np.rint(notes.start * CELLS).astype(np.int64), 0, n - 1)
    b = np.clip(np.maximum(a + 1, np.rint(notes.end * CELLS).astype(np.int64)), 1, n)
    delta = np.zeros((n + 1, 128), np.int32)
    np.add.at(delta, (a, notes.pitch), 1)
    np.add.at(delta, (b, notes.pitch), -1)
    sounding = np.cumsum(delta[:-1], axis=0) > 0
    onset = np.zeros((n, 128), bool)
    onset[a, notes.pitch] = True
    return sounding, onset


__all__ = ["CELLS", "MAX_BEATS", "Notes", "beat_notes", "grid", "meter_beat", "tagged_beat_notes"]
