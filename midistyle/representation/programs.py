"""Programs set in another track: resolve them per channel and time, as a sequencer plays them.

Some multi-track files set the programs of channels 1-8 in one set-up track and play the notes
from other tracks (10cc's "Dreadlock Holiday" on freemidi). symusic (like pretty_midi) keeps a
program per track, so those parts all read as piano. A sequencer keeps one program per channel,
whichever track changed it last. :func:`borrowed_programs` finds, for the notes whose own track
never set their channel's program, the program in effect on that channel at each note.
"""
from __future__ import annotations

import re

import numpy as np

_PROGRAM_BYTE = re.compile(rb"[\xc0-\xcf]")  # a program-change status byte (or a byte that looks like one)
DRUM_CHANNEL = 9


def borrowed_programs(data: bytes, score, note_times: list[np.ndarray]) -> list[np.ndarray | None]:
    """For each of ``score.tracks``: the program of each of its notes (``note_times``, ticks) where
    some take their channel's program from another track, else None (symusic's program stands).

    Cheap checks first: a file with one track, with no track left at symusic's default program 0,
    or without a byte that could be a program change costs no scan.
    """
    plain = [None] * len(note_times)
    if int.from_bytes(data[10:12], "big") < 2 or not _PROGRAM_BYTE.search(data, 14):
        return plain
    if not any(t.program == 0 and not t.is_drum and n.size for t, n in zip(score.tracks, note_times)):
        return plain
    chunks = scan(data)
    keys = [(k, ch, prog) for k, (_, notes) in enumerate(chunks) for ch, prog in sorted(notes)]
    with_notes = [j for j, n in enumerate(note_times) if n.size]
    if len(keys) != len(with_notes):  # not the split symusic made: leave its programs alone
        return plain
    for (k, ch, prog), j in zip(keys, with_notes):
        tr = score.tracks[j]
        if int(tr.program) != prog or bool(tr.is_drum) != (ch == DRUM_CHANNEL):
            return plain
    changes: dict[int, list[tuple[int, int, int]]] = {}  # channel -> [(tick, chunk, program)]
    for k, (progs, _) in enumerate(chunks):
        for tick, ch, prog in progs:
            changes.setdefault(ch, []).append((tick, k, prog))
    out = list(plain)
    for (k, ch, prog), j in zip(keys, with_notes):
        if prog != 0 or ch == DRUM_CHANNEL or ch not in changes:
            continue
        own = [t for t, kk, _ in changes[ch] if kk == k]
        others = sorted((t, p) for t, kk, p in changes[ch] if kk != k)
        if not others:
            continue
        times = note_times[j].astype(np.int64)
        unset = times < (min(own) if own else np.iinfo(np.int64).max)  # before its own track sets one
        at = np.array([t for t, _ in others], np.int64)
        i = np.searchsorted(at, times, side="right") - 1
        borrowed = np.where(i >= 0, np.array([p for _, p in others], np.int64)[np.maximum(i, 0)], 0)
        programs = np.where(unset, borrowed, 0)
        if programs.any():
            out[j] = programs
    return out


def scan(data: bytes) -> list[tuple[list[tuple[int, int, int]], set[tuple[int, int]]]]:
    """Per track chunk: its program changes ``[(tick, channel, program)]`` and the ``(channel,
    program in effect in this chunk)`` pairs its notes sound under (the split symusic makes)."""
    out = []
    n = len(data)
    pos = 8 + int.from_bytes(data[4:8], "big")
    while pos + 8 <= n:
        length = int.from_bytes(data[pos + 4:pos + 8], "big")
        start, end = pos + 8, min(pos + 8 + length, n)
        pos = start + length
        if data[start - 8:start - 4] != b"MTrk":
            continue
        progs: list[tuple[int, int, int]] = []
        keys: set[tuple[int, int]] = set()
        current = [0] * 16
        i, tick, running = start, 0, 0
        while i < end:
            b = data[i]  # the delta time; one byte for most events
            i += 1
            if b >= 0x80:
                i, delta = _varlen(data, i - 1, end)
                tick += delta
            else:
                tick += b
            if i >= end:
                break
            status = data[i]
            if status >= 0x80:
                i += 1
                if status < 0xF0:  # meta and sysex events do not change the running status
                    running = status
            else:
                status = running
            kind = status & 0xF0
            if kind == 0x90:
                if i + 1 < end and data[i + 1]:
                    keys.add((status & 15, current[status & 15]))
                i += 2
            elif kind == 0x80 or kind == 0xB0 or kind == 0xA0 or kind == 0xE0:
                i += 2
            elif kind == 0xC0:
                if i < end:
                    current[status & 15] = data[i] & 127
                    progs.append((tick, status & 15, data[i] & 127))
                i += 1
            elif kind == 0xD0:
                i += 1
            elif status == 0xFF:
                i, size = _varlen(data, i + 1, end)
                i += size
            elif status == 0xF0 or status == 0xF7:
                i, size = _varlen(data, i, end)
                i += size
            else:  # no running status, or a system message that has no place in a file: corrupt
                break
        out.append((progs, keys))
    return out


def _varlen(data: bytes, i: int, end: int) -> tuple[int, int]:
    value = 0
    while i < end:
        b = data[i]
        i += 1
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            break
    return i, value
