"""Which part each track plays (melody, bass, comp, drums), and a single piano split by note.

Pure functions on :class:`~midistyle.representation.song.Song` / ``Track``; times in quarters.
GM programs and track names are evidence, never the only rule: register, polyphony and how
much of the song a track covers decide too.
"""
from __future__ import annotations

import re

import numpy as np

from ..representation.song import Song, Track

SPLIT = "split"
"""Role of a polyphonic track whose notes are split into melody, bass and comp (one piano)."""

BASS_PROGRAMS = range(32, 40)
# Voices, brass, reeds, pipes, synth leads, solo strings: lines more often than chords.
LEAD_PROGRAMS = frozenset([40, 41, 52, 53, 54, 56, 57, 59, 60, *range(64, 88)])
PAD_PROGRAMS = frozenset([*range(48, 52), *range(88, 96)])  # ensembles and pads: sustained comp
_MELODY_NAME = re.compile(r"melod|vocal|voice|vox|lead|sing|solo|\bmel\b", re.I)
_BASS_NAME = re.compile(r"bass|\bbs\b", re.I)

ONSET_TOL = 0.08  # quarters: notes starting this close are struck together (a human chord)
MIN_MELODY_DUR = 0.1  # quarters: shorter top notes are ornaments or chord rolls, not the line
BASS_MAX_PITCH = 55  # G3: a lowest note above this is the chord's bottom, not a bass note


def track_roles(song: Song) -> list[str]:
    """The role of each track of ``song.tracks``: one of ``ROLES`` or ``"split"``.

    Drums are drum tracks. Bass: the lowest low monophonic-ish line, or a GM bass program /
    a track named bass in a low register. Melody: one line, the highest busy monophonic-ish
    track (names and lead programs weigh in). When no track is such a line, the highest busy
    polyphonic track (a piano playing everything) is ``"split"``: :func:`split_voices` takes its
    melody, bass and inner voices apart. Every other pitched track is comp.
    """
    roles = ["drums" if t.is_drum else "comp" for t in song.tracks]
    length = max(song.end, 1e-9)
    stats = {i: _stats(t, length) for i, t in enumerate(song.tracks) if not t.is_drum and t.n_notes}
    if not stats:
        return roles
    low_first = sorted(stats, key=lambda i: stats[i]["median"])
    for i in low_first:
        s, t = stats[i], song.tracks[i]
        named = t.program in BASS_PROGRAMS or bool(_BASS_NAME.search(t.name))
        lowest = i == low_first[0] and len(stats) > 1
        if (named and s["median"] < 60) or (lowest and s["median"] < 50 and s["poly"] < 0.5):
            roles[i] = "bass"
    rest = [i for i in stats if roles[i] == "comp"]
    if not rest:
        return roles
    lines = [i for i in rest if _is_line(stats[i], song.tracks[i])]
    if lines:
        best = max(lines, key=lambda i: _melody_score(stats[i], song.tracks[i]))
        roles[best] = "melody"
        return roles
    busy = [i for i in rest if stats[i]["cover"] >= 0.2] or rest
    roles[max(busy, key=lambda i: stats[i]["mean"])] = SPLIT
    return roles


def _is_line(stats: dict, track: Track) -> bool:
    """Is this track a melodic line: mostly one note at a time and present for a fair share?"""
    named = bool(_MELODY_NAME.search(track.name))
    return (stats["poly"] < 0.3 or (named and stats["poly"] < 0.6)) and (stats["cover"] >= 0.15 or named)


def _melody_score(stats: dict, track: Track) -> float:
    score = stats["mean"] / 12 + stats["cover"]
    score += 2.0 * bool(_MELODY_NAME.search(track.name))
    score += 0.5 * (track.program in LEAD_PROGRAMS) - 0.5 * (track.program in PAD_PROGRAMS)
    return score


def _stats(track: Track, length: float) -> dict:
    """Median/mean pitch (duration-weighted mean), share of sounding time with 2+ notes, coverage."""
    dur = track.end - track.start
    times = np.concatenate([track.start, track.end])
    delta = np.concatenate([np.ones(track.n_notes), -np.ones(track.n_notes)])
    order = np.lexsort((delta, times))  # ends before starts at the same time
    times, count = times[order], np.cumsum(delta[order])
    span = np.diff(times)
    sounding = span[count[:-1] >= 1].sum()
    poly = span[count[:-1] >= 2].sum() / max(sounding, 1e-9)
    return {"median": float(np.median(track.pitch)),
            "mean": float(np.average(track.pitch, weights=np.maximum(dur, 1e-6))),
            "poly": float(poly), "cover": float(sounding / length)}


def split_voices(track: Track, *, bass: bool = True) -> dict[str, Track]:
    """Split one polyphonic track by note: top line (melody), bass line (bass), inner voices (comp).

    Melody is a skyline with continuity: at each onset cluster the highest note, unless the
    current melody note is still sounding above it, or it is an ornament shorter than
    ``MIN_MELODY_DUR``. Bass: the lowest note of an onset cluster when it is at most
    ``BASS_MAX_PITCH`` and lower than everything still sounding. ``bass=False`` leaves those in
    comp. Each part keeps the track's name (suffixed), program and drum flag; a part with no
    notes is an empty track. Notes are never cut or moved: the parts' notes add up to the track's.
    """
    n = track.n_notes
    order = np.lexsort((-track.pitch, track.start))
    start, end, pitch = track.start[order], track.end[order], track.pitch[order].astype(int)
    label = np.full(n, 2, np.int8)  # 0 melody, 1 bass, 2 comp
    clusters = _clusters(start)
    mel_end, mel_pitch = -np.inf, -1
    for a, b in clusters:  # notes a..b-1 share an onset, highest first
        top = a
        while top < b and end[top] - start[top] < MIN_MELODY_DUR and b - a > 1:
            top += 1
        if top == b:
            continue
        held = mel_end > start[a] + ONSET_TOL and mel_pitch > pitch[top]
        if not held:
            label[top] = 0
            mel_end, mel_pitch = end[top], pitch[top]
    _register_filter(start, pitch, label)
    if bass:
        _mark_bass(start, end, pitch, label, clusters)
    parts = {}
    for code, role in enumerate(("melody", "bass", "comp")):
        keep = order[label == code]
        keep = keep[np.argsort(track.start[keep], kind="stable")]
        parts[role] = track.replace_notes(track.start[keep], track.end[keep], track.pitch[keep],
                                          track.velocity[keep])
        parts[role].name = f"{track.name} ({role})".strip()
    return parts


REGISTER_WINDOW = 4.0  # quarters each side: the melody's local register
REGISTER_PCT = 60
REGISTER_MARGIN = 7  # semitones: a top note further below the local register is accompaniment


def _register_filter(start, pitch, label) -> None:
    """Drop top-line notes well below the line's own register nearby (accompaniment in its rests)."""
    mel = np.flatnonzero(label == 0)
    if mel.size < 3:
        return
    t, p = start[mel], pitch[mel]
    lo = np.searchsorted(t, t - REGISTER_WINDOW)
    hi = np.searchsorted(t, t + REGISTER_WINDOW, side="right")
    idx = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    window = np.where(idx < hi[:, None], p[np.minimum(idx, p.size - 1)], np.nan)
    ref = np.nanpercentile(window, REGISTER_PCT, axis=1)
    label[mel[p < ref - REGISTER_MARGIN]] = 2


def _clusters(start: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges of notes (sorted by start) whose onsets chain within ``ONSET_TOL`` of the first."""
    out, a = [], 0
    for i in range(1, start.size + 1):
        if i == start.size or start[i] - start[a] > ONSET_TOL:
            out.append((a, i))
            a = i
    return out


def _mark_bass(start, end, pitch, label, clusters) -> None:
    """Label as bass (1) the lowest non-melody note of each cluster that is low and under all that sounds."""
    for a, b in clusters:
        cand = [j for j in range(a, b) if label[j] != 0]
        if not cand:
            continue
        low = max(cand, key=lambda j: -pitch[j])  # highest index among lowest: notes sorted high->low
        if pitch[low] > BASS_MAX_PITCH:
            continue
        before = slice(max(0, a - 64), a)  # notes struck earlier, still sounding past this onset
        ringing = (end[before] > start[a] + ONSET_TOL) & (label[before] != 0)
        if ringing.any() and pitch[before][ringing].min() < pitch[low]:
            continue
        label[low] = 1
