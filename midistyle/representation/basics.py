"""Leaf helpers of the representation: plausible tempi, key numbers and note and key names.

Every reader and writer uses these; they import nothing of the package but the errors, so the
readers (``midi_io`` for MIDI, ``scores`` for music21) do not import each other for them.
"""
from __future__ import annotations

from ..errors import InputError, printable

MIN_QPM, MAX_QPM = 1.0, 2000.0  # tempi outside are corrupt data, refused with the value named
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


def check_tempo(qpm: float, source: str) -> float:
    """``qpm`` if it is a plausible tempo, else InputError naming it."""
    if not MIN_QPM <= qpm <= MAX_QPM:
        raise InputError(source, f"absurd tempo {qpm:.4g} qpm (expected {MIN_QPM:g} to {MAX_QPM:g})")
    return qpm


def key_number(sharps: int, minor: int) -> int:
    """Sharps/flats count and mode -> pretty_midi key number (0-11 major, 12-23 minor)."""
    tonic = (sharps * 7) % 12
    return ((tonic + 9) % 12 + 12) if minor else tonic


def key_fields(number: int) -> tuple[int, int]:
    """pretty_midi key number -> (sharps in -5..6, tonality 0 major / 1 minor), the spelling with
    fewer accidentals (Db major, not C# major; C# minor, not Db minor)."""
    minor = number >= 12
    tonic = (number % 12 + (3 if minor else 0)) % 12  # relative major
    sharps = (tonic * 7) % 12
    return (sharps - 12 if sharps > 6 else sharps), int(minor)


START_SLACK = 1 / 16  # quarters: an event this close to the start is meant at the start


def changes(events: list[tuple], repeats: bool = True) -> list[tuple]:
    """Time-ordered ``(quarter, value...)`` events as changes: of several at one time the last
    counts (files repeat a meta event on every track); with ``repeats=False`` an event repeating
    the value in force is dropped too (a key restated changes nothing; a meter restated mid-bar
    starts a new bar, so meters keep it)."""
    out: list[tuple] = []
    for event in sorted(events, key=lambda e: e[0]):
        if out and abs(out[-1][0] - event[0]) < 1e-9:
            out[-1] = event
        elif repeats or not out or out[-1][1:] != event[1:]:
            out.append(event)
    return out


def note_name(pitch: int) -> str:
    """MIDI pitch as a name with octave, C4 = 60, black keys as sharps (C#4 = 61)."""
    return f"{_SHARP_NAMES[pitch % 12]}{pitch // 12 - 1}"


def pitch_class_name(pc: int) -> str:
    """A pitch class spelled as its major key's tonic is, with fewer accidentals: C, Db, D, Eb, E, F,
    F#, G, Ab, A, Bb, B (the roots of chord labels)."""
    sharps, _ = key_fields(pc % 12)
    return (_SHARP_NAMES if sharps > 0 else _FLAT_NAMES)[pc % 12]


def key_name(number: int) -> str:
    """pretty_midi key number as e.g. ``"C# minor"``, spelled as its key signature is (sharps or flats)."""
    sharps, minor = key_fields(number)
    tonic = (number % 12) if number < 24 else 0
    names = _SHARP_NAMES if sharps > 0 else _FLAT_NAMES
    return f"{names[tonic]} {'minor' if minor else 'major'}"


__all__ = ["MAX_QPM", "MIN_QPM", "START_SLACK", "changes", "check_tempo", "key_fields", "key_name", "key_number",
           "note_name", "pitch_class_name", "printable"]
