"""Which part each track plays (melody, bass, comp, drums), and a single piano split by note.

Pure functions on :class:`~midistyle.representation.song.Song` / ``Track``; times in quarters.
GM programs and track names are evidence, never the only rule: register, polyphony and how
much of the song a track covers decide too.
"""
from __future__ import annotations

import re

import numpy as np

from ..representation.song import Song, Track
from .melody import ONSET_TOL, pick_melody

SPLIT = "split"
"""Role of a polyphonic track whose notes are split into melody, bass and comp (one piano)."""

BASS_PROGRAMS = range(32, 40)
# Voices, brass, reeds, pipes, synth leads, solo strings: lines more often than chords.
LEAD_PROGRAMS = frozenset([40, 41, 52, 53, 54, 56, 57, 59, 60, *range(64, 88)])
PAD_PROGRAMS = frozenset([*range(48, 52), *range(88, 96)])  # ensembles and pads: sustained comp
_MELODY_NAME = re.compile(r"melod|vocal|voice|vox|lead|sing|solo|\bmel\b", re.I)
_BASS_NAME = re.compile(r"bass|\bbs\b", re.I)

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
        # the lowest of three or more lines is the bass up to G3 (a quartet's cello); of two, only
        # when clearly low (a piano's left hand playing chords is not one)
        ceiling = BASS_MAX_PITCH if len(stats) >= 3 else 50
        if (named and s["median"] < 60) or (lowest and s["median"] < ceiling and s["poly"] < 0.5):
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

    Melody: at most one note per onset cluster, picked by the learned note picker
    (:func:`~midistyle.analysis.melody.pick_melody`: register, loudness, rhythm and context), which
    leaves out accompaniment and fills above the line or in its rests. Bass: the lowest note of an
    onset cluster when it is at most ``BASS_MAX_PITCH`` and lower than everything still sounding. ``bass=False`` leaves those in
    comp. Each part keeps the track's name (suffixed), program and drum flag; a part with no
    notes is an empty track. Notes are never cut or moved: the parts' notes add up to the track's.
    """
    n = track.n_notes
    order, clusters = onset_clusters(track)
    start, end, pitch = track.start[order], track.end[order], track.pitch[order].astype(int)
    velocity = track.velocity[order]
    label = np.full(n, 2, np.int8)  # 0 melody, 1 bass, 2 comp
    label[pick_melody(start, end, pitch, velocity, clusters)] = 0
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


def onset_clusters(track: Track) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Notes grouped by onset: ``(order, clusters)``. ``order`` sorts the track's notes by onset
    cluster, highest pitch first inside each (a human chord's notes come a few ticks apart, in any
    order); ``clusters`` are the index ranges into that order of notes struck within
    ``ONSET_TOL`` quarters of the cluster's first."""
    by_start = np.argsort(track.start, kind="stable")
    start = track.start[by_start]
    out, a = [], 0
    cluster = np.zeros(start.size, np.int64)
    for i in range(1, start.size + 1):
        if i == start.size or start[i] - start[a] > ONSET_TOL:
            out.append((a, i))
            cluster[a:i] = len(out) - 1
            a = i
    return by_start[np.lexsort((-track.pitch[by_start], cluster))], out


def _mark_bass(start, end, pitch, label, clusters) -> None:
    """Label as bass (1) the lowest non-melody note of each cluster that is low and under all that sounds."""
    for a, b in clusters:
        cand = [j for j in range(a, b) if label[j] != 0]
        if not cand:
            continue
        low = cand[-1]  # notes of a cluster run high to low
        if pitch[low] > BASS_MAX_PITCH:
            continue
        before = slice(max(0, a - 64), a)  # notes struck earlier, still sounding past this onset
        ringing = (end[before] > start[a] + ONSET_TOL) & (label[before] != 0)
        if ringing.any() and pitch[before][ringing].min() < pitch[low]:
            continue
        label[low] = 1
