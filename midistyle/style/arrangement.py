"""What a listener hears first: the arrangement features of a whole song. Pure numpy.

The style judge (:mod:`.features`) reads the pitched notes only. These features read what it
leaves out, in the beat frame of the song's own meter (:mod:`.frame`), in groups
(:data:`ARRANGEMENT_GROUPS`):

- ``drums``: drums present, hits and drummed beats per beat, backbeat (share of snare hits on
  beats 2 and 4 of a 4-beat bar, beat 2 of a 2-beat bar), swung hits (share of hi-hat and ride
  off-beats on the triplet position rather than the straight 8th), ride vs hi-hat, share of hits
  per drum lane (lanes of :mod:`midistyle.representation.drums`);
- ``feel``: share of pitched onsets on the straight 8th off-beat and on the triplet off-beat, the
  swung share of those two, the swing ratio (where the second 8th of a pair falls in the beat: 0.5
  straight, 2/3 triplet swing; :func:`midistyle.arrangement.feel.swing_ratio`, 0.5 when fewer than 8
  pairs), triple and compound meter;
- ``bass``: a bass-family track present, the bass line's beat-to-beat motion (steps of 1-2
  semitones = walking, repeated notes, leaps of a 4th or more) and its notes per beat;
- ``harmony``: share of sounding beats that spell a 7th chord, a triad, or a larger set;
- ``instruments``: share of pitched notes per General MIDI family, and of a few telling programs
  (distortion/overdrive guitar, acoustic guitar, acoustic bass, electric piano), programs used;
- ``polyphony``: pitched notes sounding at once, share of sounding time with 3 or more, silence.

Tempo and velocities are left out. A performance off its own grid must be put on estimated beats
first (:func:`midistyle.style.features.judged_song` with ``align="auto"``, as the arrangement
judge does).
"""
from __future__ import annotations

import numpy as np

from ..arrangement.feel import STRAIGHT, swing_ratio
from ..representation.drums import LANES, lane_of
from ..representation.song import Song
from .features import PC_THRESHOLD, beat_pitch_classes
from .frame import CELLS, Notes, grid, meter_beat, tagged_beat_notes
from ..analysis.harmony import SONORITIES, masks, sonority_table

FAMILIES = ("piano", "chromatic_perc", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed",
            "pipe", "synth_lead", "synth_pad", "synth_fx", "ethnic", "percussive", "sound_fx")
PROGRAMS = {"distortion_guitar": (29, 30), "acoustic_guitar": (24, 25), "acoustic_bass": (32,),
            "electric_piano": (4, 5)}
ZONE = 1 / 16  # beats either side of the straight (1/2) and the triplet (2/3) off-beat
_SEVENTHS = [SONORITIES.index(s) for s in ("dominant7", "major7", "minor7", "other7")]
_TRIADS = [SONORITIES.index(s) for s in ("major", "minor", "diminished", "augmented", "suspended")]
_LARGER = SONORITIES.index("larger")
_BASS_BELOW = 60  # without a bass track, the bass line is the lowest struck note below middle C under another note

ARRANGEMENT_GROUPS: dict[str, list[str]] = {
    "drums": ["drums", "drum_density", "drum_coverage", "backbeat", "swung_hits", "ride_share"]
             + [f"lane_{lane}" for lane in LANES],
    "feel": ["straight8", "triplet8", "swing_share", "swing_ratio", "meter_triple", "meter_compound"],
    "bass": ["bass_track", "bass_walk", "bass_repeat", "bass_leap", "bass_per_beat"],
    "harmony": ["seventh", "triad", "larger"],
    "instruments": [f"family_{f}" for f in FAMILIES] + list(PROGRAMS) + ["programs"],
    "polyphony": ["poly_mean", "poly_3plus", "silence"],
}
ARRANGEMENT_NAMES: list[str] = [n for names in ARRANGEMENT_GROUPS.values() for n in names]
MARKERS = ("swing_share", "bass_walk", "seventh", "drums", "backbeat", "swung_hits")  # the headline ones


def arrangement_features(song: Song) -> np.ndarray:
    """Arrangement features of a Song: float64 ``[len(ARRANGEMENT_NAMES)]`` (zeros when it has no notes)."""
    notes, owner = tagged_beat_notes(song, song.tracks)
    if notes.pitch.size == 0:
        return np.zeros(len(ARRANGEMENT_NAMES))
    drum = np.array([t.is_drum for t in song.tracks], bool)[owner]
    program = np.array([t.program for t in song.tracks], np.int64)[owner]
    n_beats = max(1, notes.n_beats)
    pitched = _subset(notes, ~drum)
    values: dict[str, float] = {}
    values.update(_drums(notes.start[drum], notes.pitch[drum], notes.downbeats, n_beats))
    values.update(_feel(pitched, owner[~drum], song))
    sounding = grid(pitched)[0][: n_beats * CELLS] if pitched.pitch.size else np.zeros((n_beats * CELLS, 128), bool)
    sounding = np.pad(sounding, ((0, n_beats * CELLS - sounding.shape[0]), (0, 0)))
    values.update(_bass(pitched, program[~drum], sounding, n_beats))
    values.update(_harmony(sounding, n_beats))
    values.update(_instruments(program[~drum], song))
    values.update(_polyphony(sounding))
    return np.array([values[n] for n in ARRANGEMENT_NAMES], np.float64)


def _subset(notes: Notes, keep: np.ndarray) -> Notes:
    return Notes(notes.start[keep], notes.end[keep], notes.pitch[keep], notes.downbeats)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


def _phase(times: np.ndarray) -> np.ndarray:
    return times - np.floor(times)


def _zones(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """bool masks: onsets on the straight 8th off-beat, onsets on the triplet off-beat."""
    phase = _phase(times)
    return np.abs(phase - 0.5) <= ZONE, np.abs(phase - 2 / 3) <= ZONE


def _beat_in_bar(beats: np.ndarray, downbeats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each beat in its bar, length of its bar in beats) for integer beats."""
    if downbeats.size == 0:
        return beats % 4, np.full(beats.shape, 4)
    i = np.clip(np.searchsorted(downbeats, beats, side="right") - 1, 0, downbeats.size - 1)
    bar_len = np.diff(np.concatenate([downbeats, [downbeats[-1] + (np.diff(downbeats)[-1] if downbeats.size > 1 else 4)]]))
    return beats - downbeats[i], bar_len[i]


def _drums(start: np.ndarray, pitch: np.ndarray, downbeats: np.ndarray, n_beats: int) -> dict:
    lanes = lane_of(pitch)
    out = {f"lane_{lane}": 0.0 for lane in LANES}
    out.update(drums=float(start.size >= 8), drum_density=start.size / n_beats, drum_coverage=0.0,
               backbeat=0.0, swung_hits=0.0, ride_share=0.0)
    if not start.size:
        return out
    known = lanes >= 0
    for k, lane in enumerate(LANES):
        out[f"lane_{lane}"] = _ratio(np.sum(lanes == k), np.sum(known))
    beat = np.floor(start + 1 / 24).astype(np.int64)
    out["drum_coverage"] = np.unique(beat[beat < n_beats]).size / n_beats
    snare = start[lanes == LANES.index("snare")]
    on = np.abs(snare - np.rint(snare)) <= 1 / 24
    if snare.size:
        pos, bar_len = _beat_in_bar(np.rint(snare[on]).astype(np.int64), downbeats)
        back = (pos % 2 == 1) & (bar_len % 2 == 0)
        out["backbeat"] = _ratio(back.sum(), snare.size)
    cymbal = np.isin(lanes, [LANES.index("closed_hh"), LANES.index("open_hh"), LANES.index("ride")])
    straight, swung = _zones(start[cymbal])
    out["swung_hits"] = _ratio(swung.sum(), straight.sum() + swung.sum())
    out["ride_share"] = _ratio(np.sum(lanes == LANES.index("ride")), cymbal.sum())
    return out


def _onset_times(notes: Notes) -> np.ndarray:
    """Distinct onset times (notes within 1/96 beat are one onset)."""
    return np.unique(np.rint(notes.start * 96).astype(np.int64)) / 96.0


def _feel(notes: Notes, voice: np.ndarray, song: Song) -> dict:
    times = _onset_times(notes)
    straight, swung = _zones(times)
    ratio = swing_ratio([notes.start[voice == v] for v in np.unique(voice)])  # 8th pairs, voice by voice
    out = {"straight8": _ratio(straight.sum(), times.size), "triplet8": _ratio(swung.sum(), times.size),
           "swing_share": _ratio(swung.sum(), straight.sum() + swung.sum()),
           "swing_ratio": STRAIGHT if ratio is None else ratio}
    out.update(_meter(song))
    return out


def _meter(song: Song) -> dict:
    """Share of the song (in quarters) in a meter of 3 beats a bar, and in a compound meter."""
    sigs = sorted({float(q): (n, d) for q, n, d in song.time_signatures}.items()) or [(0.0, (4, 4))]
    end = max(song.end, sigs[-1][0] + 1e-9)
    triple = compound = total = 0.0
    for (q, (num, den)), nxt in zip(sigs, [s[0] for s in sigs[1:]] + [end]):
        span = max(0.0, min(nxt, end) - q)
        beat, per_bar = meter_beat(num, den)
        total += span
        triple += span * (per_bar == 3)
        compound += span * (abs(beat - 4.0 / max(1, den)) > 1e-9)  # a dotted beat
    return {"meter_triple": _ratio(triple, total), "meter_compound": _ratio(compound, total)}


def _bass(notes: Notes, program: np.ndarray, sounding: np.ndarray, n_beats: int) -> dict:
    """The bass line: the bass-family tracks' notes, else low notes struck under another sounding note."""
    is_bass = (program >= 32) & (program < 40)
    has_track = bool(is_bass.sum() >= 8)
    if has_track:
        cand = is_bass
    else:
        cell = np.clip(np.rint(notes.start * CELLS).astype(np.int64), 0, sounding.shape[0] - 1)
        top = 127 - np.argmax(sounding[:, ::-1], axis=1)  # highest sounding pitch per cell
        cand = (notes.pitch < _BASS_BELOW) & sounding[cell].any(axis=1) & (top[cell] > notes.pitch)
    start, pitch = notes.start[cand], notes.pitch[cand]
    out = {"bass_track": float(has_track), "bass_per_beat": _onset_times(Notes(start, start, pitch, notes.downbeats)).size / n_beats,
           "bass_walk": 0.0, "bass_repeat": 0.0, "bass_leap": 0.0}
    if start.size < 2:
        return out
    beat = np.floor(start + 1 / 24).astype(np.int64)
    lowest = np.full(n_beats, 999, np.int64)  # the lowest bass note struck in each beat
    np.minimum.at(lowest, np.clip(beat, 0, n_beats - 1), pitch)
    step = np.abs(np.diff(lowest))[(lowest[:-1] < 999) & (lowest[1:] < 999)]
    if step.size:
        out.update(bass_walk=float(np.mean((step >= 1) & (step <= 2))), bass_repeat=float(np.mean(step == 0)),
                   bass_leap=float(np.mean(step >= 5)))
    return out


def _harmony(sounding: np.ndarray, n_beats: int) -> dict:
    cls = sonority_table()[masks(beat_pitch_classes(sounding, n_beats), PC_THRESHOLD)]
    heard = cls[cls != 0]  # beats that are not rests
    if not heard.size:
        return {"seventh": 0.0, "triad": 0.0, "larger": 0.0}
    return {"seventh": float(np.isin(heard, _SEVENTHS).mean()), "triad": float(np.isin(heard, _TRIADS).mean()),
            "larger": float(np.mean(heard == _LARGER))}


def _instruments(program: np.ndarray, song: Song) -> dict:
    n = program.size
    fam = np.bincount(np.clip(program, 0, 127) // 8, minlength=16)
    out = {f"family_{f}": _ratio(fam[i], n) for i, f in enumerate(FAMILIES)}
    out.update({name: _ratio(np.isin(program, progs).sum(), n) for name, progs in PROGRAMS.items()})
    out["programs"] = float(len({t.program for t in song.pitched if t.n_notes}))
    return out


def _polyphony(sounding: np.ndarray) -> dict:
    count = sounding.sum(axis=1)
    on = count[count > 0]
    return {"poly_mean": float(on.mean()) if on.size else 0.0, "poly_3plus": float(np.mean(on >= 3)) if on.size else 0.0,
            "silence": float(np.mean(count == 0)) if count.size else 1.0}


__all__ = ["ARRANGEMENT_GROUPS", "ARRANGEMENT_NAMES", "FAMILIES", "MARKERS", "arrangement_features"]
