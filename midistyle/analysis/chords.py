"""Chords and key from notes: duration- and bass-weighted chroma per beat, templates, smoothing.

Pure numpy (music21 is only a yardstick in ``benchmarks/leadsheet.py``). Each segment (a beat by
default) gets a chroma vector (how long each pitch class sounds, duration-weighted) and a bass
chroma (the lowest sounding note). Every root x quality is scored by the cosine of its template
with the chroma and the share of it the chord's tones explain, less the share of its tones
that do not sound, plus a bonus when the bass is the root (or another chord tone: inversions keep
their root), a prior per quality, and a bonus for chords inside the song's key. A Viterbi pass
with a penalty per change picks the chart; equal neighbours merge.
The weights were tuned on POP909 songs 001-100 (``benchmarks/leadsheet.py`` scores 101-909).
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ..representation.song import Song, Track
from .harmony import key_correlations
from .leadsheet import Chord

QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "sus2": (0, 2, 7), "sus4": (0, 5, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10), "hdim7": (0, 3, 6, 10), "dim7": (0, 3, 6, 9), "maj6": (0, 4, 7, 9),
}
"""Harte quality -> intervals above the root (semitones)."""

_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the leading tone (V is major)


@dataclasses.dataclass(frozen=True)
class ChordWeights:
    """Scoring weights. Defaults: one sweep of ``benchmarks/leadsheet_tune.py`` on 40 POP909 songs
    of 001-100 (root+majmin 0.812 -> 0.841), then change cost, dim/aug/sus2/min7/maj6 priors
    set back so that clean textbook chords read right (tests), at a cost under 0.002."""

    explained: float = 0.2  # share of the segment's chroma the chord's tones account for
    missing: float = 0.3  # share of the chord's tones that do not sound (under a tenth of the loudest)
    bass_root: float = 0.3  # the bass plays the root
    bass_tone: float = 0.08  # the bass plays another chord tone (an inversion)
    in_key: float = 0.02  # every chord tone is in the key's scale (tuning found it worth < 0.001)
    change: float = 0.35  # cost of changing chord between segments
    context: float = 0.2  # weight of the neighbouring segments' chroma (arpeggios spread a chord)
    prior: tuple[tuple[str, float], ...] = (
        ("maj", 0.0), ("min", 0.0), ("dim", -0.2), ("aug", -0.2), ("sus2", -0.3), ("sus4", -0.25),
        ("7", -0.06), ("maj7", -0.06), ("min7", -0.06), ("hdim7", -0.12), ("dim7", -0.2), ("maj6", -0.1))


def segment_chroma(song: Song, step: float = 1.0, tracks: list[Track] | None = None):
    """Chroma and bass chroma per segment of ``step`` quarters over the song's non-drum notes.

    Returns ``(edges [n+1], chroma [n, 12], bass [n, 12])``: ``chroma`` sums each pitch class's
    sounding time in the segment; ``bass`` puts the overlap of the lowest note that sounds for at
    least a quarter of the segment (else the lowest at all) on its pitch class.
    """
    tracks = song.pitched if tracks is None else [t for t in tracks if not t.is_drum]
    start = np.concatenate([t.start for t in tracks] or [np.zeros(0)])
    end = np.concatenate([t.end for t in tracks] or [np.zeros(0)])
    pitch = np.concatenate([t.pitch for t in tracks] or [np.zeros(0, np.int16)]).astype(int)
    n = max(int(np.ceil(song.end / step - 1e-9)), 1)
    edges = np.arange(n + 1) * step
    chroma, bass = np.zeros((n, 12)), np.zeros((n, 12))
    if start.size == 0:
        return edges, chroma, bass
    first = np.clip((start / step).astype(int), 0, n - 1)
    last = np.clip(np.ceil(end / step - 1e-9).astype(int) - 1, first, n - 1)
    count = last - first + 1
    note = np.repeat(np.arange(start.size), count)
    seg = np.repeat(first, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    overlap = np.minimum(end[note], edges[seg + 1]) - np.maximum(start[note], edges[seg])
    ok = overlap > 1e-9
    note, seg, overlap = note[ok], seg[ok], overlap[ok]
    np.add.at(chroma, (seg, pitch[note] % 12), overlap)
    # lowest note per segment, among notes covering a quarter of it (else any note)
    key = np.where(overlap >= step / 4, pitch[note], pitch[note] + 128)
    low = np.full(n, 10_000)
    np.minimum.at(low, seg, key)
    hit = key == low[seg]
    np.add.at(bass, (seg[hit], pitch[note[hit]] % 12), overlap[hit])
    return edges, chroma, bass


def estimate_key(chroma: np.ndarray) -> int:
    """Krumhansl-Schmuckler key (Krumhansl-Kessler profiles, shared with the style judge) from a
    chroma, summed over segments: pretty_midi key number (0-11 major, 12-23 minor; C major if silent)."""
    return int(np.argmax(key_correlations(np.asarray(chroma, np.float64).reshape(-1, 12).sum(axis=0))))


@functools.lru_cache(maxsize=25)  # 24 keys and None: built once, not on every chord_scores call
def _templates(key: int | None):
    """(labels [(root, quality)], templates [m, 12] unit-norm, tones [m, 12] 0/1, in_key [m]); read-only."""
    labels, tones = [], []
    for quality, intervals in QUALITIES.items():
        for root in range(12):
            t = np.zeros(12)
            t[[(root + i) % 12 for i in intervals]] = 1.0
            labels.append((root, quality))
            tones.append(t)
    tones = np.array(tones)
    in_key = np.zeros(len(labels))
    if key is not None:
        scale = np.zeros(12)
        tonic, minor = key % 12, key >= 12
        scale[[(tonic + i) % 12 for i in (_MINOR_SCALE if minor else _MAJOR_SCALE)]] = 1.0
        in_key = (tones @ scale == tones.sum(axis=1)).astype(float)
    templates = tones / np.linalg.norm(tones, axis=1, keepdims=True)
    for a in (templates, tones, in_key):
        a.setflags(write=False)
    return tuple(labels), templates, tones, in_key


def chord_scores(chroma: np.ndarray, bass: np.ndarray, key: int | None,
                 weights: ChordWeights = ChordWeights()):
    """Score of every (root, quality) per segment: ``(labels, scores [n, m])``."""
    labels, templates, tones, in_key = _templates(key)
    norm = np.linalg.norm(chroma, axis=1, keepdims=True)
    scores = (chroma / np.maximum(norm, 1e-12)) @ templates.T
    total = np.maximum(chroma.sum(axis=1, keepdims=True), 1e-12)
    scores += weights.explained * (chroma @ tones.T) / total
    silent_pc = (chroma < 0.1 * chroma.max(axis=1, keepdims=True)).astype(float)
    scores -= weights.missing * (silent_pc @ tones.T) / tones.sum(axis=1)[None, :]
    bass_pc = np.where(bass.any(axis=1), bass.argmax(axis=1), -1)
    roots = np.array([r for r, _ in labels])
    has_bass = bass_pc >= 0
    is_root = (bass_pc[:, None] == roots[None, :]) & has_bass[:, None]
    is_tone = tones[:, np.maximum(bass_pc, 0)].T.astype(bool) & has_bass[:, None]
    scores += weights.bass_root * is_root + weights.bass_tone * (is_tone & ~is_root)
    prior = dict(weights.prior)
    scores += np.array([prior.get(q, 0.0) for _, q in labels])[None, :] + weights.in_key * in_key[None, :]
    return labels, scores


def viterbi(scores: np.ndarray, silent: np.ndarray, change: float) -> np.ndarray:
    """Best path through ``scores [n, m]`` paying ``change`` per switch; silent segments -> -1.

    Each run of sounding segments is decoded on its own (a gap lets the next chord start free).
    """
    n, m = scores.shape
    path = np.full(n, -1)
    cuts = np.flatnonzero(np.diff(np.concatenate([[1], silent.astype(int), [1]])))
    for a, b in zip(cuts[::2], cuts[1::2]):  # runs [a, b) of sounding segments
        back = np.zeros((b - a, m), np.int64)
        total = scores[a].copy()
        for i in range(a + 1, b):
            best = int(total.argmax())
            stay = total >= total[best] - change
            back[i - a] = np.where(stay, np.arange(m), best)
            total = np.where(stay, total, total[best] - change) + scores[i]
        state = int(total.argmax())
        for i in range(b - 1, a - 1, -1):
            path[i] = state
            state = int(back[i - a, state])
    return path


def recognise_chords(song: Song, step: float = 1.0, key: int | None = None,
                     tracks: list[Track] | None = None,
                     weights: ChordWeights = ChordWeights()) -> list[Chord]:
    """The song's chord chart: chords per ``step`` quarters (a beat), smoothed and merged.

    Parameters
    ----------
    song : the song (drum tracks are ignored).
    step : segment length in quarters (1 = a beat in 4/4, 2 = half a bar).
    key : pretty_midi key number; estimated from the notes when None.
    tracks : the tracks to read (default every pitched track of ``song``).

    Returns
    -------
    list of :class:`Chord`, sorted and non-overlapping; segments with no notes have no chord.
    """
    return chords_and_key(song, step, key, tracks, weights)[0]


def chords_and_key(song: Song, step: float = 1.0, key: int | None = None,
                   tracks: list[Track] | None = None,
                   weights: ChordWeights = ChordWeights()) -> tuple[list[Chord], int]:
    """:func:`recognise_chords` and the key it used (estimated when ``key`` is None)."""
    edges, chroma, bass = segment_chroma(song, step, tracks)
    if key is None:
        key = estimate_key(chroma)
    labels, scores = chord_scores(smooth(chroma, weights.context), smooth(bass, weights.context), key, weights)
    silent = chroma.sum(axis=1) < 1e-9
    path = relabel(viterbi(scores, silent, weights.change), chroma, bass, key, weights)
    return merge(path, edges, labels), key


def smooth(x: np.ndarray, weight: float) -> np.ndarray:
    """``x`` plus ``weight`` times each row's two neighbours."""
    out = x.copy()
    out[1:] += weight * x[:-1]
    out[:-1] += weight * x[1:]
    return out


def relabel(path: np.ndarray, chroma: np.ndarray, bass: np.ndarray, key: int | None,
            weights: ChordWeights) -> np.ndarray:
    """Label each run of the decoded path from its summed chroma (a 7th played on one beat of
    four still makes the bar a 7th chord); segmentation stays as decoded."""
    cuts = np.flatnonzero(np.diff(path)) + 1
    starts = np.concatenate([[0], cuts])
    run_chroma = np.add.reduceat(chroma, starts, axis=0)
    run_bass = np.add.reduceat(bass, starts, axis=0)
    _, scores = chord_scores(run_chroma, run_bass, key, weights)
    best = np.where(path[starts] >= 0, scores.argmax(axis=1), -1)
    return np.repeat(best, np.diff(np.concatenate([starts, [path.size]])))


def merge(path: np.ndarray, edges: np.ndarray, labels: list[tuple[int, str]]) -> list[Chord]:
    """Runs of one label -> Chords (``-1`` is no chord)."""
    out: list[Chord] = []
    for i, s in enumerate(path.tolist()):
        if s < 0:
            continue
        root, quality = labels[s]
        if out and out[-1].end == edges[i] and (out[-1].root, out[-1].quality) == (root, quality):
            out[-1] = dataclasses.replace(out[-1], end=float(edges[i + 1]))
        else:
            out.append(Chord(float(edges[i]), float(edges[i + 1]), root, quality))
    return out
