"""One piece -> Song -> roll -> fixed-size phrases cut at barlines (runs in the worker processes).

Everything that decides what ends up in a prepared corpus lives here and in the representation
package; :meth:`PhraseSpec.key` hashes exactly those files, so editing them retires old caches.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from ..config import RollConfig, to_dict
from ..errors import InputError
from ..representation import Song, bar_lines, read, song_to_roll
from ..representation.midi_io import check_pitched
from .units import Unit

PART_VERSION = 2  # 2: pieces may be beat-aligned and capped (Unit.tag names the part)
_CODE_FILES = ("representation/abc.py", "representation/basics.py", "representation/beats.py", "representation/midi_io.py",
               "representation/roll.py", "representation/scores.py", "representation/song.py", "data/phrases.py")
_ARRANGEMENT_FILES = ("representation/drums.py", "analysis/chords.py", "analysis/leadsheet.py", "analysis/roles.py",
                      "arrangement/encode.py", "arrangement/feel.py", "arrangement/planes.py")
CONTENTS = ("roll", "arrangement")


@dataclasses.dataclass(frozen=True)
class PhraseSpec:
    """How songs become phrases: the grid, ``phrase_bars`` bars per phrase, a start every ``hop`` bars,
    each stored as ``phrase_steps`` steps (zero-padded or cropped; the true length is kept)."""

    roll: RollConfig
    phrase_bars: int
    hop: int
    phrase_steps: int
    # what a phrase holds: "roll" (onset and sustain of all pitched tracks merged) or "arrangement"
    # (melody, bass, comp and a context plane of chords, drum lanes and bar grid, bit-packed:
    # midistyle.arrangement.planes; drum-only pieces are read too)
    content: str = "roll"

    def __post_init__(self) -> None:
        for name in ("phrase_bars", "hop", "phrase_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.content not in CONTENTS:
            raise ValueError(f"content must be one of {', '.join(CONTENTS)}, got {self.content!r}")

    def key(self) -> str:
        """Names the cache: changes with any setting and with the reading/cutting code."""
        settings = to_dict(self)
        if self.content == "roll":  # the key merged-roll caches had before there were contents
            del settings["content"]
        h = hashlib.sha1(json.dumps([settings, PART_VERSION], sort_keys=True).encode())
        root = Path(__file__).resolve().parents[1]
        for rel in _CODE_FILES + (_ARRANGEMENT_FILES if self.content == "arrangement" else ()):
            h.update((root / rel).read_bytes())
        h.update(_tracker_version().encode())
        return h.hexdigest()[:16]


def _tracker_version() -> str:
    """The beat tracker's version (another librosa may find other beats), without importing it."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return "librosa " + version("librosa")
    except PackageNotFoundError:
        return "no librosa"


@dataclasses.dataclass
class Phrases:
    """A piece cut into phrases: ``rolls`` uint8 ``[n, 2, phrase_steps, P]``; per phrase the start
    bar, the true length in steps and the meter there; ``info`` describes the piece."""

    rolls: np.ndarray
    bars: np.ndarray
    steps: np.ndarray
    meters: list[str]
    info: dict

    def __len__(self) -> int:
        return int(self.rolls.shape[0])


def regroup_short_meter(song: Song) -> tuple[Song, str]:
    """Re-bar a song whose main meter is shorter than 2 quarters (POP909's meaningless 1/4).

    Each stretch in a short meter gets bars of the smallest power of two of its bars that spans
    at least 3 quarters: 1/4, 2/8 and 1/8 become 4/4, 3/8 becomes 6/8. Longer meters stay, and a
    pickup stays one short bar (the next meter change cuts it short). Songs whose main meter is
    2 quarters or longer are returned unchanged. Returns the song and a note for the index: ``"meter"`` or
    ``"regrouped 1/4 as 4/4"``.
    """
    n, d = dominant_meter(song)
    if n * 4 / d >= 2:
        return song, "meter"
    sigs = [(q, *_grouped(num, den)) for q, (num, den) in _meter_changes(song)]
    new = _grouped(n, d)
    return dataclasses.replace(song, time_signatures=sigs), f"regrouped {n}/{d} as {new[0]}/{new[1]}"


def _grouped(n: int, d: int) -> tuple[int, int]:
    length, k = n * 4 / d, 1
    if length >= 2:
        return n, d
    while k * length < 3 - 1e-9:
        k *= 2
    return (4, 4) if abs(k * length - 4) < 1e-9 else (n * k, d)


def _meter_changes(song: Song) -> list[tuple[float, tuple[int, int]]]:
    """Time signatures by position; of several at one position the last counts (as in bar_lines)."""
    return sorted({q: (n, d) for q, n, d in song.time_signatures}.items()) or [(0.0, (4, 4))]


def dominant_meter(song: Song) -> tuple[int, int]:
    """The meter that covers most of the song's length (the earliest one on ties)."""
    sigs = _meter_changes(song)
    end = max(song.end, sigs[-1][0])
    cover: dict[tuple[int, int], float] = {}
    for k, (q, meter) in enumerate(sigs):
        stop = sigs[k + 1][0] if k + 1 < len(sigs) else end
        cover[meter] = cover.get(meter, 0.0) + max(stop - q, 0.0)
    order = list(cover)
    return max(order, key=lambda m: (cover[m], -order.index(m)))


def cut_phrases(song: Song, spec: PhraseSpec) -> Phrases:
    """Roll ``song`` and cut it at barlines into phrases (see :class:`PhraseSpec`).

    Phrases start every ``hop`` bars (from the first full bar: a pickup bar is left out) and
    only whole ``phrase_bars`` windows are taken, except that a song shorter than
    ``phrase_bars`` gives one padded phrase. Phrases without an onset are dropped.

    Raises
    ------
    InputError
        Nothing to keep: no note inside the pitch range, or every phrase empty.
    """
    song, grid = regroup_short_meter(song)
    planes, bounds, sounding, extra = _planes(song, spec)
    n_bars = len(bounds) - 1
    lengths = np.diff(bounds)
    # a pickup (first bar shorter than the next) leads into the first phrase instead of shifting
    # every phrase one bar early; its few notes are left out
    first = 1 if n_bars > spec.phrase_bars and lengths[0] < lengths[1] else 0
    starts = range(first, n_bars - spec.phrase_bars + 1, spec.hop) if n_bars >= spec.phrase_bars else [0]
    bar_meter = _bar_meters(song, n_bars)
    width = spec.phrase_steps
    rolls, bars, steps, meters = [], [], [], []
    for s in starts:
        a, b = int(bounds[s]), int(bounds[min(s + spec.phrase_bars, n_bars)])
        w = min(b - a, width)
        if not sounding[a:a + w].any():
            continue
        out = np.zeros((planes.shape[0], width, planes.shape[2]), np.uint8)
        out[:, :w] = planes[:, a:a + w]
        rolls.append(out)
        bars.append(s)
        steps.append(b - a)
        meters.append(_main(bar_meter[s:s + spec.phrase_bars], lengths[s:s + spec.phrase_bars]))
    if not rolls:
        raise InputError(song.source, "every phrase is empty")
    info = piece_info(song, spec.roll)
    info.update(grid=grid, n_bars=n_bars)
    if spec.content == "arrangement":
        info["drum_notes"] = song.n_notes(drums=True)
        info.update(extra)
    return Phrases(np.stack(rolls), np.asarray(bars, np.int32), np.asarray(steps, np.int32), meters, info)


def _planes(song: Song, spec: PhraseSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """What phrases are cut from: ``(planes [C, T, width], bar_starts, steps with an onset [T],
    extra index info)``; an arrangement's extra info is its song's measurements for the genre
    profile (:func:`midistyle.arrangement.profile.song_stats`), so a profile comes from the index.

    ``"roll"``: the merged onset and sustain of the pitched tracks. ``"arrangement"``: the song read
    as a lead sheet, encoded and bit-packed (:mod:`midistyle.arrangement.planes`). InputError when
    nothing sounds.
    """
    if spec.content == "arrangement":
        from ..analysis.leadsheet import read_lead_sheet
        from ..arrangement.encode import encode
        from ..arrangement.planes import has_notes, pack, to_planes
        from ..arrangement.profile import song_stats

        lead = read_lead_sheet(song)
        arr = encode(lead, spec.roll)
        planes = to_planes(arr)
        sounding = has_notes(planes)
        if not sounding.any():
            lo, hi = spec.roll.low_pitch, spec.roll.high_pitch
            raise InputError(song.source, f"no notes in the pitch range {lo}-{hi} and no drum hits")
        return pack(planes), arr.bar_starts, sounding, {"arrangement": song_stats(lead, spec.roll)}
    roll = song_to_roll(song, spec.roll)
    onset, sustain = roll.onset.any(axis=0), roll.sustain.any(axis=0)
    if not onset.any():
        lo, hi = spec.roll.low_pitch, spec.roll.high_pitch
        raise InputError(song.source, f"no notes in the pitch range {lo}-{hi}")
    return np.stack([onset, sustain]), roll.bar_starts, onset.any(axis=1), {}


def _bar_meters(song: Song, n_bars: int) -> list[str]:
    """The meter in force at each bar's start."""
    sigs = _meter_changes(song)
    at = np.array([q for q, _ in sigs])
    k = np.maximum(np.searchsorted(at, bar_lines(song)[:n_bars] + 1e-6, side="right") - 1, 0)
    return [f"{sigs[i][1][0]}/{sigs[i][1][1]}" for i in k]


def _main(meters: list[str], lengths: np.ndarray) -> str:
    """The meter that fills most steps of a phrase (a pickup bar does not name it)."""
    steps: dict[str, int] = {}
    for m, n in zip(meters, lengths):
        steps[m] = steps.get(m, 0) + int(n)
    return max(steps, key=lambda m: (steps[m], -list(steps).index(m)))


def piece_info(song: Song, cfg: RollConfig) -> dict:
    """What the index says about a piece besides its phrases (meter, tempo, size, grid fit)."""
    starts = np.concatenate([t.start for t in song.pitched]) if song.pitched else np.zeros(0)
    off = np.abs(starts * cfg.steps_per_beat - np.rint(starts * cfg.steps_per_beat)) > 0.05
    n, d = dominant_meter(song)
    return {"meter": f"{n}/{d}", "qpm": round(float(song.tempos[0][1]), 2),
            "tracks": len(song.pitched), "notes": int(starts.size),
            "off_grid": round(float(off.mean()) if off.size else 0.0, 4)}


def align(song: Song, mode: str, spb: int) -> tuple[Song, dict]:
    """The song on its estimated beats per ``mode`` (see :func:`~midistyle.representation.beats.align_beats`)
    and what the index records about it. NoRhythmError (an InputError) under ``"on"`` skips the piece."""
    from ..representation.beats import align_beats

    if mode == "off":
        return song, {"align": "off"}
    al = align_beats(song, mode, spb)
    info = {"align": "aligned" if al.changed else "kept", "align_reason": al.reason,
            "on_grid_before": round(al.on_grid_before, 4), "on_grid_after": round(al.on_grid_after, 4)}
    if al.beats.size:
        info.update(beat_qpm=round(al.qpm, 2), beat_meter=al.meter)
    return al.song, info


def cap(phrases: Phrases, most: int | None) -> Phrases:
    """At most ``most`` phrases, evenly spread over the piece (first and last kept), so that one long
    performance does not outweigh many short pieces."""
    n = len(phrases)
    if most is None or n <= most:
        return phrases
    keep = np.unique(np.rint(np.linspace(0, n - 1, most)).astype(np.int64))
    info = dict(phrases.info, capped_from=n)
    return Phrases(phrases.rolls[keep], phrases.bars[keep], phrases.steps[keep],
                   [phrases.meters[i] for i in keep], info)


def piece_phrases(unit: Unit, spec: PhraseSpec) -> Phrases:
    """A unit read, aligned to its beats per ``unit.align``, cut into phrases and capped per ``unit.max_phrases``."""
    song, info = align(load_song(unit, pitched=spec.content == "roll"), unit.align, spec.roll.steps_per_beat)
    phrases = cut_phrases(song, spec)
    phrases.info.update(info)
    return cap(phrases, unit.max_phrases)


def load_song(unit: Unit, pitched: bool = True) -> Song:
    """Read a unit: a MIDI or score file through :func:`read`, a book tune from its own text.
    ``pitched``: refuse a piece of drums only (a merged roll has nothing to learn from it)."""
    if unit.kind != "abc":
        return read(unit.path, require_pitched=pitched)
    from ..representation.scores import read_abc_text

    song = read_abc_text(unit.text, unit.source)
    if pitched:
        check_pitched(song)
    return song

