"""Read MIDI and scores into :class:`Song`; write :class:`Song` back to MIDI.

MIDI is parsed with symusic (compiled, ~500x faster than pretty_midi) and its note pairing is
corrected to pretty_midi's; pretty_midi stays the type users pass in and get back. Scores
(MusicXML, kern, ABC, music21 corpus names) go through music21, imported only when needed.
"""
from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path

import numpy as np

from ..atomic import write_bytes
from ..errors import InputError, OutputError, one_line, printable
from .basics import START_SLACK, changes, check_tempo, key_fields, key_number
from .files import MIDI_SUFFIXES, SCORE_SUFFIXES
from .programs import borrowed_programs
from .song import Song, Track

MAX_TICKS_PER_QUARTER = 32_767
MAX_WRITE_TICK = 0x0FFFFFFF  # the largest MIDI delta time; later events come back at wrong times
_OVERFLOW = "malformed MIDI: event times overflow (a track runs past 2^31 ticks)"


def split_tune(source: str | os.PathLike) -> tuple[Path, int | None]:
    """``book.abc#3`` -> (Path('book.abc'), 3); other paths -> (path, None)."""
    text = os.fspath(source)
    if "#" in text and not Path(text).exists():
        base, _, num = text.rpartition("#")
        if num.isdigit():
            return Path(base), int(num)
    return Path(text), None


def read(source, *, tune: int | None = None, require_pitched: bool = True) -> Song:
    """Read a MIDI file, score file, ``corpus:NAME`` or a ``pretty_midi.PrettyMIDI`` into a Song.

    Parameters
    ----------
    source : path, ``"book.abc#3"``, ``"corpus:bach/bwv66.6"`` or pretty_midi.PrettyMIDI
    tune : which tune of an ABC book (its X: number, else 1-based position); default the first.
    require_pitched : also raise InputError when the piece has only drum notes (a piece with no
        notes at all always raises).

    Raises
    ------
    InputError
        Missing, unreadable, malformed or (with ``require_pitched``) empty input.
    """
    if not isinstance(source, (str, os.PathLike)):
        song = from_pretty_midi(source)
    else:
        text = os.fspath(source)
        if text.startswith("corpus:"):
            from .scores import read_corpus
            song = read_corpus(text[len("corpus:"):], tune=tune)
        else:
            path, book_tune = split_tune(text)
            if tune is not None and book_tune is not None and tune != book_tune:
                raise InputError(text, f"--tune {tune} and #{book_tune} name different tunes; give one")
            song = _read_path(path, tune if tune is not None else book_tune)
    if require_pitched:
        check_pitched(song)
    elif song.n_notes() == 0:
        raise InputError(song.source, "no notes")
    return song


def check_pitched(song: Song) -> None:
    """Raise InputError unless the song has pitched notes."""
    if song.n_notes() == 0:
        raise InputError(song.source, "no notes")
    if song.n_notes(drums=False) == 0:
        raise InputError(song.source, "only drum notes, nothing pitched to work on")


def _read_path(path: Path, tune: int | None) -> Song:
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix in SCORE_SUFFIXES:
        from .scores import read_score
        return read_score(path, tune=tune)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if suffix in MIDI_SUFFIXES or data[:4] == b"MThd":
        if tune is not None:
            raise InputError(path, f"tune {tune} asked for, but a MIDI file holds one piece "
                                   "(tunes are for ABC books and score collections)")
        return from_midi_bytes(data, source=str(path))
    raise InputError(path, f"unsupported file type '{suffix or path.name}' "
                           "(expected MIDI, MusicXML, kern or ABC)")


def from_midi_bytes(data: bytes, source: str = "<bytes>") -> Song:
    """Parse Standard MIDI File bytes into a Song."""
    import symusic

    if len(data) < 14 or data[:4] != b"MThd":
        raise InputError(source, "not a MIDI file (no MThd header)")
    fmt, ntrk, division = int.from_bytes(data[8:10], "big"), int.from_bytes(data[10:12], "big"), \
        int.from_bytes(data[12:14], "big")
    if division & 0x8000:
        raise InputError(source, "SMPTE time division is not supported")
    if division == 0:
        raise InputError(source, "malformed MIDI: 0 ticks per quarter note")
    if fmt > 2 or ntrk == 0:
        raise InputError(source, f"malformed MIDI header (format {fmt}, {ntrk} tracks)")
    try:
        score = symusic.Score.from_midi(data)
    except Exception as exc:  # symusic raises bare RuntimeError/ValueError on corrupt data
        raise InputError(source, f"malformed MIDI: {one_line(exc, limit=160, typed=False)}") from None
    return _from_symusic(score, source, data)


def _from_symusic(score, source: str, data: bytes = b"") -> Song:
    tpq = int(score.ticks_per_quarter)
    # All tracks at once: per-call numpy overhead dominates on small files.
    arrays = [tr.notes.numpy() for tr in score.tracks]
    counts = np.array([a["time"].size for a in arrays], np.int64)
    tracks = []
    if counts.sum():
        start = np.concatenate([a["time"] for a in arrays]).astype(np.int64)
        dur = np.concatenate([a["duration"] for a in arrays]).astype(np.int64)
        pitch = np.concatenate([a["pitch"] for a in arrays]).astype(np.int64)
        vel = np.concatenate([a["velocity"] for a in arrays]).astype(np.int16)
        if start.min() < 0:  # symusic sums deltas in int32 and wraps
            raise InputError(source, _OVERFLOW)
        tid = np.repeat(np.arange(counts.size), counts)
        end = _pretty_midi_offsets(start, start + dur, tid * 128 + pitch)
        borrowed = borrowed_programs(data, score, [a["time"] for a in arrays]) if data else [None] * counts.size
        prog = None
        if any(p is not None for p in borrowed):  # a set-up track chose some tracks' programs
            prog = np.concatenate([np.full(c, int(tr.program) & 127, np.int64) if p is None else p
                                   for c, tr, p in zip(counts, score.tracks, borrowed)])
        ok = (pitch >= 0) & (vel > 0) & (dur > 0)  # pretty_midi drops zero-length notes
        if not ok.all():
            start, end, pitch, vel, tid = start[ok], end[ok], pitch[ok], vel[ok], tid[ok]
            prog = None if prog is None else prog[ok]
        start_q, end_q, pitch16 = start / tpq, end / tpq, pitch.astype(np.int16)
        edges = np.searchsorted(tid, np.arange(counts.size + 1)).tolist()
        for j, tr in enumerate(score.tracks):
            a, b = edges[j], edges[j + 1]
            if b <= a:
                continue
            name = printable(str(tr.name), 128)
            if borrowed[j] is None:
                tracks.append(Track(name, int(tr.program) & 127, bool(tr.is_drum),
                                    start_q[a:b], end_q[a:b], pitch16[a:b], vel[a:b]))
                continue
            part = prog[a:b]  # one track per program, as a sequencer would switch sounds
            for p in dict.fromkeys(part.tolist()):
                m = part == p
                tracks.append(Track(name, int(p), bool(tr.is_drum), start_q[a:b][m], end_q[a:b][m],
                                    pitch16[a:b][m], vel[a:b][m]))
    tempos = _tempos(score.tempos.numpy(), tpq, source)
    ts = score.time_signatures.numpy()
    if ts["time"].size and ts["time"].min() < 0:
        raise InputError(source, _OVERFLOW)
    sigs = [(int(t) / tpq, int(n), int(d)) for t, n, d in zip(ts["time"], ts["numerator"], ts["denominator"])
            if n > 0 and d > 0 and (d & (d - 1)) == 0]
    sigs = changes(sigs)
    if sigs and sigs[0][0] < START_SLACK:  # a meter a tick or two in is the file's first meter
        sigs[0] = (0.0, *sigs[0][1:])
    if not sigs or sigs[0][0] > 0:
        sigs.insert(0, (0.0, 4, 4))
    keys = changes([(int(k.time) / tpq, key_number(int(k.key), int(k.tonality)))
                    for k in score.key_signatures if -7 <= k.key <= 7 and k.time >= 0], repeats=False)
    song = Song(tracks, tempos, sigs, keys, resolution=min(max(tpq, 24), 960), source=source)
    if song.end > 0 and not math.isfinite(song.end):
        raise InputError(source, "malformed MIDI: note times overflow")
    return song


def _pretty_midi_offsets(start: np.ndarray, end: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Re-pair note-offs as pretty_midi does: a note ends at the first note-off of its key after it.

    ``pitch`` is any integer key (track * 128 + pitch when several tracks are paired at once).

    symusic pairs a pitch struck twice while sounding first-in-first-out; pretty_midi (and so
    every user's reference) closes all sounding notes of that pitch at the next note-off.
    """
    if start.size < 2:
        return end
    big = int(max(end.max(), start.max())) + 2
    offs = np.sort(pitch * big + end)
    keys = pitch * big + start
    i = np.searchsorted(offs, keys, side="right")
    found = i < offs.size
    cand = np.where(found, offs[np.minimum(i, offs.size - 1)], -1)
    same = found & (cand // big == pitch)
    return np.where(same, cand - pitch * big, end)


def _tempos(arr: dict, tpq: int, source: str) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for t, mspq in zip(arr["time"], arr["mspq"]):
        if t < 0:
            raise InputError(source, _OVERFLOW)
        if mspq <= 0:
            raise InputError(source, f"invalid tempo ({int(mspq)} microseconds per quarter)")
        qpm = check_tempo(60_000_000.0 / float(mspq), source)
        q = int(t) / tpq
        if out and abs(out[-1][0] - q) < 1e-9:
            out[-1] = (q, qpm)
        else:
            out.append((q, qpm))
    if out and out[0][0] < START_SLACK:
        out[0] = (0.0, out[0][1])
    if not out or out[0][0] > 0:
        out.insert(0, (0.0, 120.0))
    return out


def from_pretty_midi(pm) -> Song:
    """Convert a pretty_midi.PrettyMIDI object into a Song."""
    buf = io.BytesIO()
    try:
        pm.write(buf)
    except Exception as exc:
        raise InputError("<PrettyMIDI>", f"cannot serialise: {one_line(exc, limit=160, typed=False)}") from None
    return from_midi_bytes(buf.getvalue(), source="<PrettyMIDI>")


def to_midi_bytes(song: Song) -> bytes:
    """Serialise a Song as a Standard MIDI File (type 1)."""
    import symusic

    tpq = int(song.resolution)
    last = max([song.end] + [t[0] for t in (*song.tempos, *song.time_signatures, *song.key_signatures)])
    if not last * tpq < MAX_WRITE_TICK:  # symusic writes longer deltas wrapped, silently
        raise InputError(song.source, f"too long to write as MIDI: {last:.0f} quarters at {tpq} ticks "
                                      f"per quarter (limit {MAX_WRITE_TICK} ticks)")
    score = symusic.Score(tpq)
    for q, qpm in song.tempos:
        score.tempos.append(symusic.Tempo(_tick(q, tpq), float(qpm)))
    for q, num, den in song.time_signatures:
        score.time_signatures.append(symusic.TimeSignature(_tick(q, tpq), int(num), int(den)))
    for q, number in song.key_signatures:
        sharps, minor = key_fields(int(number))
        score.key_signatures.append(symusic.KeySignature(_tick(q, tpq), sharps, minor))
    for tr in song.tracks:
        track = symusic.Track(tr.name, int(tr.program), bool(tr.is_drum))
        if tr.n_notes:
            start = np.rint(tr.start * tpq).astype(np.int32)
            dur = np.maximum(np.rint(tr.end * tpq).astype(np.int32) - start, 1)
            track.notes = symusic.Note.from_numpy(
                start, dur, np.clip(tr.pitch, 0, 127).astype(np.int8),
                np.clip(tr.velocity, 1, 127).astype(np.int8))
        score.tracks.append(track)
    return bytes(score.dumps_midi())


def _tick(q: float, tpq: int) -> int:
    return int(round(q * tpq))


def quiet_pretty_midi():
    """Import pretty_midi without the line pyfluidsynth prints to stdout when CI is set."""
    import contextlib

    with contextlib.redirect_stdout(io.StringIO()):
        import pretty_midi
    return pretty_midi


def gm_name(program: int, is_drum: bool) -> str:
    """General MIDI instrument name of ``program`` (``"drums"`` for a drum track)."""
    if is_drum:
        return "drums"
    return quiet_pretty_midi().program_to_instrument_name(int(program))


def to_pretty_midi(song: Song):
    """The Song as a pretty_midi.PrettyMIDI object."""
    pretty_midi = quiet_pretty_midi()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return pretty_midi.PrettyMIDI(io.BytesIO(to_midi_bytes(song)))


def write_midi(song: Song, path: str | os.PathLike) -> Path:
    """Write the Song to ``path`` atomically (never a half-written file).

    Raises OutputError when the file cannot be written (its folder is a file, no space...).
    """
    data = to_midi_bytes(song)
    try:
        write_bytes(path, data)
    except OSError as exc:
        raise OutputError(path, f"cannot write: {exc.strerror or exc}") from None
    return Path(path)
