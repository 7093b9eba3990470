"""Musical features of a piece's pitched notes, in the beat frame of its own meter.

What the style judge sees. Drums, tempo, instrument programs, velocities and the absolute key
are not used: a transfer keeps them from its source, so none of them may decide a verdict. The
features come in groups (:data:`FEATURE_GROUPS`):

- ``sonority``: share of beats whose sounding pitch classes (each sounding for at least half
  the beat) spell a rest, a single note, a dyad, a triad type, a seventh type or a larger set,
  and how often the sonority changes from beat to beat;
- ``onset``: where distinct onset times fall inside the beat (on the beat, 8th, 16th, triplet,
  other), syncopation, the share of on-beat onsets that are downbeats, beats with an onset;
- ``polyphony``: notes sounding at once, silence, chord size, onset density, note durations in beats;
- ``lines``: melodic intervals of the top line and of the bass line (repeats, steps, thirds,
  fourths/fifths, leaps, wide leaps, mean size, share rising);
- ``register``: pitch height, spread and range, top and bass line height, their distance;
- ``pitch_classes``: distinct pitch classes per beat and per 4 beats, pitch classes used, key
  clarity (Krumhansl-Kessler correlation of the best key, its margin, and locally), minor mode;
- ``key_profile``: the piece's duration-weighted pitch-class profile with its own tonic as degree 1.

Pure functions on numpy arrays; a 5-minute song takes milliseconds after reading.
"""
from __future__ import annotations

import os

import numpy as np

from ..representation.song import Song
from .frame import CELLS, Notes, beat_notes, grid
from ..analysis.harmony import SONORITIES, key_correlations, masks, sonority_table

_ONSETS = ("on", "8th", "16th", "triplet", "other")
_POSITIONS = np.array([0.0, 0.5, 0.25, 0.75, 1 / 3, 2 / 3, 1.0])
_POSITION_CLASS = np.array([0, 1, 2, 2, 3, 3, 0])
_TOL = 1 / 24  # beats: half the gap between a 16th and a triplet position
_INTERVALS = ("repeat", "step", "third", "fourth_fifth", "leap", "wide")
_INTERVAL_EDGES = np.array([0.5, 2.5, 4.5, 7.5, 12.5])
_DEGREES = ("1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7")
_DURATIONS = ("16th", "8th", "quarter", "half", "long")
_DURATION_EDGES = np.log2([0.25, 0.5, 1.0, 2.0]) + 1e-6
PC_THRESHOLD = 0.5  # a pitch class belongs to a beat's sonority when it sounds for half the beat

FEATURE_GROUPS: dict[str, list[str]] = {
    "sonority": [f"son_{s}" for s in SONORITIES] + ["son_change"],
    "onset": [f"onset_{o}" for o in _ONSETS] + ["syncopation", "downbeat_share", "beat_coverage"],
    "polyphony": ["poly_mean", "poly_1", "poly_2", "poly_3", "poly_4plus", "silence", "chord_size",
                  "density"] + [f"dur_{d}" for d in _DURATIONS] + ["dur_log_mean", "dur_log_std"],
    "lines": [f"{line}_{i}" for line in ("top", "bass") for i in _INTERVALS + ("abs_mean", "up")],
    "register": ["pitch_mean", "pitch_std", "pitch_range", "top_mean", "bass_mean", "span_mean"],
    "pitch_classes": ["pcs_per_beat", "pcs_per_4beats", "pcs_used", "key_clarity", "key_margin",
                      "local_key_clarity", "minor"],
    "key_profile": [f"degree_{d}" for d in _DEGREES],
}
FEATURE_NAMES: list[str] = [name for names in FEATURE_GROUPS.values() for name in names]
SEGMENT_BEATS = 32


def piece_features(source, *, tune: int | None = None) -> np.ndarray:
    """Features of one whole piece: float64 ``[len(FEATURE_NAMES)]``.

    Parameters
    ----------
    source : a path (MIDI, MusicXML, kern, ABC; ``book.abc#12`` for one tune of a book), a
        :class:`~midistyle.representation.files.Piece`, a :class:`~midistyle.representation.Song`
        or a ``pretty_midi.PrettyMIDI`` (a converted song in memory).
    tune : which tune of an ABC book, when ``source`` is its path.

    Raises
    ------
    InputError
        The file cannot be read or holds no pitched notes.
    """
    return song_features(as_song(source, tune=tune))


def segment_features(source, *, beats: int = SEGMENT_BEATS, min_notes: int = 8,
                     tune: int | None = None) -> np.ndarray:
    """Features of consecutive ``beats``-beat segments holding at least ``min_notes`` notes: ``[n, F]``."""
    return segment_rows(beat_notes(as_song(source, tune=tune)), beats, min_notes)


def segment_rows(notes: Notes, beats: int = SEGMENT_BEATS, min_notes: int = 8) -> np.ndarray:
    """:func:`segment_features` of notes already in the beat frame."""
    rows = []
    for b0 in range(0, max(1, notes.n_beats), beats):
        part = notes.window(b0, b0 + beats)
        if part.pitch.size >= min_notes:
            rows.append(note_features(part, beats))
    return np.array(rows, np.float64).reshape(-1, len(FEATURE_NAMES))


def as_song(source, *, tune: int | None = None) -> Song:
    """A Song from any input :func:`piece_features` takes (Songs pass through)."""
    if isinstance(source, Song):
        return source
    from ..representation.files import Piece
    from ..representation.midi_io import check_pitched, read

    if isinstance(source, Piece):
        source, tune = source.source, None
    if isinstance(source, (str, os.PathLike)):
        return read(source, tune=tune)
    song = read(source)  # pretty_midi.PrettyMIDI
    check_pitched(song)
    return song


def judged_song(song: Song, align: str = "off") -> Song:
    """The song the judge reads: with ``align="auto"``, a performance whose notes miss its own beat
    grid is re-timed to beats tracked from its notes (:func:`midistyle.representation.beats.align_beats`;
    quantised files are kept, and librosa is imported only when a file is tracked)."""
    if align == "off":
        return song
    from ..errors import InputError
    from ..representation.beats import align_beats

    try:
        return align_beats(song, mode=align).song
    except InputError:  # no rhythm to track: judged as written
        return song


def song_features(song: Song) -> np.ndarray:
    """Features of a Song's pitched notes (an empty vector of zeros when it has none)."""
    notes = beat_notes(song)
    if notes.pitch.size == 0:
        return np.zeros(len(FEATURE_NAMES))
    return note_features(notes)


def note_features(notes: Notes, n_beats: int | None = None) -> np.ndarray:
    """Features of notes already in the beat frame, over ``n_beats`` beats (default: until the last ends)."""
    n_beats = max(1, n_beats or notes.n_beats)
    sounding, onset = grid(notes)
    cells = n_beats * CELLS
    if sounding.shape[0] < cells:
        pad = cells - sounding.shape[0]
        sounding = np.pad(sounding, ((0, pad), (0, 0)))
        onset = np.pad(onset, ((0, pad), (0, 0)))
    sounding, onset = sounding[:cells], onset[:cells]
    pc_beat = beat_pitch_classes(sounding, n_beats)
    values: dict[str, float] = {}
    values.update(_sonority(pc_beat))
    values.update(_onsets(notes, n_beats))
    values.update(_polyphony(notes, sounding))
    values.update(_lines(sounding, onset))
    values.update(_register(notes, sounding))
    values.update(_pitch_classes(pc_beat))
    return np.array([values[name] for name in FEATURE_NAMES], np.float64)


def beat_pitch_classes(sounding: np.ndarray, n_beats: int) -> np.ndarray:
    """Share of each beat each pitch class sounds: bool ``[n_beats * CELLS, 128]`` -> ``[n_beats, 12]``."""
    return _fold(sounding.reshape(n_beats, CELLS, 128).sum(axis=1)) / CELLS


def _fold(per_pitch: np.ndarray) -> np.ndarray:
    """``[..., 128]`` -> ``[..., 12]`` summed by pitch class."""
    padded = np.concatenate([per_pitch, np.zeros(per_pitch.shape[:-1] + (4,), per_pitch.dtype)], axis=-1)
    return padded.reshape(per_pitch.shape[:-1] + (11, 12)).sum(axis=-2)


def _share(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts, dtype=np.float64)


def _sonority(pc_beat: np.ndarray) -> dict:
    m = masks(pc_beat, PC_THRESHOLD)
    cls = sonority_table()[m]
    shares = _share(np.bincount(cls, minlength=len(SONORITIES)).astype(np.float64))
    out = {f"son_{s}": float(v) for s, v in zip(SONORITIES, shares)}
    out["son_change"] = float(np.mean(m[1:] != m[:-1])) if m.size > 1 else 0.0
    return out


def _onset_times(notes: Notes) -> tuple[np.ndarray, np.ndarray]:
    """Distinct onset times (notes within 1/96 beat are one onset) and the latest end of each one's notes."""
    keys = np.rint(notes.start * 96).astype(np.int64)  # notes are sorted by start
    uniq, first = np.unique(keys, return_index=True)
    return uniq / 96.0, np.maximum.reduceat(notes.end, first)


def _onsets(notes: Notes, n_beats: int) -> dict:
    times, ends = _onset_times(notes)
    phase = times - np.floor(times)
    dist = np.abs(phase[:, None] - _POSITIONS[None, :])
    cls = np.where(dist.min(axis=1) <= _TOL, _POSITION_CLASS[dist.argmin(axis=1)], 4)
    out = {f"onset_{o}": float(v) for o, v in zip(_ONSETS, _share(np.bincount(cls, minlength=5).astype(float)))}
    # syncopated: an off-beat onset whose note is still sounding at the next beat, which has no onset
    next_beat = np.floor(times) + 1.0
    j = np.clip(np.searchsorted(times, next_beat - _TOL), 0, times.size - 1)
    struck = np.abs(times[j] - next_beat) <= _TOL
    sync = (cls != 0) & (ends > next_beat + _TOL) & ~struck
    out["syncopation"] = float(sync.mean())
    beat_idx = np.rint(times[cls == 0]).astype(np.int64)
    out["downbeat_share"] = float(np.isin(beat_idx, notes.downbeats).mean()) if beat_idx.size else 0.0
    out["beat_coverage"] = float(np.unique(beat_idx[beat_idx < n_beats]).size / n_beats)
    return out


def _polyphony(notes: Notes, sounding: np.ndarray) -> dict:
    count = sounding.sum(axis=1)
    on = count[count > 0]
    bins = np.bincount(np.minimum(on, 4), minlength=5)[1:].astype(np.float64)
    poly = _share(bins)
    keys = np.rint(notes.start * 96).astype(np.int64)
    n_onsets = np.unique(keys).size
    dur = np.log2(np.maximum(notes.end - notes.start, 1.0 / CELLS))
    dur_bins = _share(np.bincount(np.searchsorted(_DURATION_EDGES, dur), minlength=5).astype(np.float64))
    out = {"poly_mean": float(on.mean()) if on.size else 0.0, "silence": float(np.mean(count == 0)),
           "chord_size": notes.pitch.size / max(1, n_onsets),
           "density": float(np.log2(n_onsets / max(1.0, count.size / CELLS))),
           "dur_log_mean": float(dur.mean()), "dur_log_std": float(dur.std())}
    out.update({f"poly_{k}": float(v) for k, v in zip(("1", "2", "3", "4plus"), poly)})
    out.update({f"dur_{d}": float(v) for d, v in zip(_DURATIONS, dur_bins)})
    return out


def _line(sounding: np.ndarray, onset: np.ndarray, top: bool) -> tuple[np.ndarray, np.ndarray]:
    """(pitch per sounding cell, pitches of the line's new notes in order) for the top or bass line."""
    any_on = sounding.any(axis=1)
    pitch = 127 - np.argmax(sounding[:, ::-1], axis=1) if top else np.argmax(sounding, axis=1)
    rows = np.flatnonzero(any_on)
    struck = onset[rows, pitch[rows]]
    return pitch[rows], pitch[rows][struck]


def _lines(sounding: np.ndarray, onset: np.ndarray) -> dict:
    out = {}
    for name, top in (("top", True), ("bass", False)):
        _, events = _line(sounding, onset, top)
        moves = np.diff(events.astype(np.int64))
        size = np.abs(moves)
        shares = _share(np.bincount(np.searchsorted(_INTERVAL_EDGES, size), minlength=6).astype(np.float64))
        out.update({f"{name}_{i}": float(v) for i, v in zip(_INTERVALS, shares)})
        out[f"{name}_abs_mean"] = float(size.mean()) if size.size else 0.0
        out[f"{name}_up"] = float(np.mean(moves[moves != 0] > 0)) if np.any(moves) else 0.5
    return out


def _register(notes: Notes, sounding: np.ndarray) -> dict:
    p = notes.pitch.astype(np.float64)
    any_on = sounding.any(axis=1)
    top = (127 - np.argmax(sounding[:, ::-1], axis=1))[any_on]
    bass = np.argmax(sounding, axis=1)[any_on]
    lo, hi = np.percentile(p, [5, 95])
    span = (top - bass)[top > bass]
    return {"pitch_mean": float(p.mean()), "pitch_std": float(p.std()), "pitch_range": float(hi - lo),
            "top_mean": float(top.mean()), "bass_mean": float(bass.mean()),
            "span_mean": float(span.mean()) if span.size else 0.0}


def _pitch_classes(pc_beat: np.ndarray) -> dict:
    present = pc_beat >= PC_THRESHOLD
    n_per_beat = present.sum(axis=1)
    four = pc_beat[: pc_beat.shape[0] // 4 * 4].reshape(-1, 4, 12).sum(axis=1) if pc_beat.shape[0] >= 4 \
        else pc_beat.sum(axis=0, keepdims=True)
    n_per_four = (four >= PC_THRESHOLD).sum(axis=1)
    hist = pc_beat.sum(axis=0)
    share = _share(hist)
    corr = key_correlations(hist)
    order = np.argsort(corr)[::-1]
    best = int(order[0])
    eight = pc_beat[: pc_beat.shape[0] // 8 * 8].reshape(-1, 8, 12).sum(axis=1)
    eight = eight[(eight > 0).sum(axis=1) >= 3]
    local = float(key_correlations(eight).max(axis=1).mean()) if eight.shape[0] else float(corr[best])
    out = {"pcs_per_beat": float(n_per_beat[n_per_beat > 0].mean()) if np.any(n_per_beat) else 0.0,
           "pcs_per_4beats": float(n_per_four[n_per_four > 0].mean()) if np.any(n_per_four) else 0.0,
           "pcs_used": float(np.sum(share >= 0.02)), "key_clarity": float(corr[best]),
           "key_margin": float(corr[best] - corr[order[1]]), "local_key_clarity": local,
           "minor": float(best >= 12)}
    profile = np.roll(share, -(best % 12))
    out.update({f"degree_{d}": float(v) for d, v in zip(_DEGREES, profile)})
    return out


__all__ = ["FEATURE_GROUPS", "FEATURE_NAMES", "SEGMENT_BEATS", "as_song", "beat_pitch_classes", "judged_song", "note_features", "piece_features",
           "segment_features", "segment_rows", "song_features"]
