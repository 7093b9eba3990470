"""Scores through music21 (MusicXML, kern, ABC books, the music21 corpus) -> :class:`Song`.

Imported only when a score is read, so the MIDI path never pays for music21.
"""
from __future__ import annotations

import contextlib
import io
import re
import signal
import threading
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path

from ..errors import InputError, one_line, printable
from . import abc
from .basics import changes, check_tempo, key_number
from .song import Song, Track


MAX_METER = 64  # music21 builds meters in time that explodes with the numerator: 9999/1 never ends
MAX_MXL_BYTES = 256 << 20  # declared unpacked size of an .mxl (a zip bomb is refused unopened)
_FIELDS = (  # (what, regex giving (numerator, denominator) text, numerator limit, denominator limit)
    ("meter", re.compile(rb"(?m)(?:^|\[)[ \t]*M:[ \t]*([^\n\r\]%/]*)/?([^\n\r\]%]*)"), MAX_METER, 128),  # ABC
    ("meter", re.compile(rb"\*M(?!M)([0-9+]+)/([0-9+]+)"), MAX_METER, 128),  # kern
    ("meter", re.compile(rb"<beats>([^<]*)</beats>()"), MAX_METER, 128),  # MusicXML
    ("meter", re.compile(rb"<beat-type>()([^<]*)</beat-type>"), MAX_METER, 128),
    ("unit note length", re.compile(rb"(?m)(?:^|\[)[ \t]*L:[ \t]*([^\n\r\]%/]*)/?([^\n\r\]%]*)"), 4, 512),
)


def check_score_bytes(data: bytes, source: str) -> None:
    """Refuse, before music21 sees them, inputs known to make it hang or blow up.

    Meters over :data:`MAX_METER` beats (music21 needs minutes to hours to build one), ABC unit
    note lengths over four whole notes, and .mxl archives that are not zips or unpack to more than
    :data:`MAX_MXL_BYTES`. Raises InputError.
    """
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                infos = z.infolist()
                if sum(i.file_size for i in infos) > MAX_MXL_BYTES:
                    raise InputError(source, f"compressed score unpacks to over {MAX_MXL_BYTES >> 20} MB")
                data = b"".join(z.read(i) for i in infos if i.filename.lower().endswith((".xml", ".musicxml")))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, OSError,
                EOFError, ValueError) as exc:
            raise InputError(source, f"not a readable .mxl archive ({one_line(exc, limit=160, typed=False)})") from None
    for what, pattern, num_limit, den_limit in _FIELDS:
        for num, den in pattern.findall(data):
            if _too_big(num, num_limit) or _too_big(den, den_limit):
                spec = (num + (b"/" + den if den else b"")).decode("latin-1").strip()[:40]
                raise InputError(source, f"absurd {what} {spec!r} (limit {num_limit}/{den_limit})")


def _too_big(text: bytes, limit: int) -> bool:
    """Do the integers in ``text`` (``3+2`` adds up) exceed ``limit``?"""
    nums = re.findall(rb"\d+", text)
    return any(len(x.lstrip(b"0")) > 6 for x in nums) or sum(map(int, nums)) > limit


SCORE_SECONDS = 120.0  # a music21 parse running longer is stopped (main thread, POSIX only)


class _Deadline(BaseException):
    """Raised by the alarm; a BaseException so music21's ``except Exception`` cannot swallow it."""


@contextlib.contextmanager
def bounded(source: str, seconds: float | None = None):
    """Run a music21 parse/conversion with a time limit and its console warnings muted.

    music21 is pure Python and some corrupt scores make it loop for hours (a bar of a million
    quarters becomes a meter it partitions beat by beat); past ``seconds`` (default
    :data:`SCORE_SECONDS`) an InputError is raised instead. The limit needs SIGALRM, so it
    applies in the main thread when no other interval timer is running; elsewhere none.
    """
    seconds = SCORE_SECONDS if seconds is None else seconds
    armed = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
             and signal.getitimer(signal.ITIMER_REAL)[0] == 0)

    def on_alarm(signum, frame):
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, on_alarm) if armed else None
    try:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, seconds)
        with contextlib.redirect_stderr(io.StringIO()):  # humdrum/abc parsers print warnings
            yield
    except _Deadline:
        raise InputError(source, f"gave up after {seconds:g} s parsing the score "
                                 "(absurd note lengths or bars?)") from None
    except InputError:
        raise
    except Exception as exc:  # music21 raises anything from anywhere on corrupt scores
        raise InputError(source, f"cannot parse score: {one_line(exc, limit=160, typed=False)}") from None
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _parse(path_or_name, source: str, corpus: bool = False):
    import music21

    if not corpus:
        try:
            check_score_bytes(Path(path_or_name).read_bytes(), source)
        except OSError as exc:
            raise InputError(source, f"cannot read: {exc.strerror or exc}") from None
    try:
        if corpus:
            return music21.corpus.parse(path_or_name)
        return music21.converter.parse(str(path_or_name), forceSource=True)
    except Exception as exc:
        raise InputError(source, f"cannot parse score: {one_line(exc, limit=160, typed=False)}") from None


def tunes(obj) -> list:
    """The scores inside a parsed object: an Opus's scores, else the object itself."""
    import music21

    if isinstance(obj, music21.stream.Opus):
        return list(obj.scores)
    return [obj]


def _pick(obj, tune: int | None, source: str):
    scores = tunes(obj)
    if not scores:
        raise InputError(source, "no tunes in this score file")
    if tune is None:
        return scores[0], source if len(scores) == 1 else f"{source}#1"
    for i, sc in enumerate(scores):  # X: number first
        if sc.metadata is not None and str(sc.metadata.number or "") == str(tune):
            return sc, f"{source}#{tune}"
    if 1 <= tune <= len(scores):
        return scores[tune - 1], f"{source}#{tune}"
    raise InputError(source, f"no tune {tune} (the book holds {len(scores)})")


def read_score(path: str | Path, tune: int | None = None) -> Song:
    """Read one piece (or tune ``tune`` of an ABC book) from a score file.

    An ABC book is split into tunes as text first, so only the chosen tune is parsed (and
    checked: one absurd tune does not make its book unreadable).
    """
    if Path(path).suffix.lower() == ".abc":
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
        book = abc.book_tunes(abc.decode(data))
        chosen = abc.pick(book, tune, str(path))
        label = tune if tune is not None else chosen.label
        return read_abc_text(chosen.text, str(path) if len(book) == 1 and tune is None else f"{path}#{label}")
    with bounded(str(path)):
        score, source = _pick(_parse(path, str(path)), tune, str(path))
        return score_to_song(score, source)


def read_abc_text(text: str, source: str) -> Song:
    """One ABC tune given as text -> Song (its first tune if the text holds several)."""
    import music21

    check_score_bytes(text.encode("utf-8"), source)
    with bounded(source), _no_beams(music21):
        scores = tunes(music21.converter.parseData(text, format="abc"))
        if not scores:
            raise InputError(source, "no tune in this ABC text")
        return score_to_song(scores[0], source)


@contextlib.contextmanager
def _no_beams(music21):
    """music21's ABC import spends over half its time beaming notes for display; we never draw
    them, and songs come out identical without it (checked on 400 tunes), so skip it here."""
    cls = music21.stream.Stream
    original = cls.makeBeams
    cls.makeBeams = lambda self, *args, **kwargs: None
    try:
        yield
    finally:
        cls.makeBeams = original


def read_corpus(name: str, tune: int | None = None) -> Song:
    """Read a work from music21's bundled corpus, e.g. ``bach/bwv66.6``."""
    with bounded(f"corpus:{name}"):
        score, source = _pick(_parse(name, f"corpus:{name}", corpus=True), tune, f"corpus:{name}")
        return score_to_song(score, source)


def read_all(path: str | Path) -> list[Song]:
    """Every piece in a score file (each tune of an ABC book); unusable tunes are skipped."""
    out = []
    with bounded(str(path)):
        for i, sc in enumerate(tunes(_parse(path, str(path))), start=1):
            try:
                out.append(score_to_song(sc, f"{path}#{i}"))
            except Exception:  # one bad tune does not sink the book
                continue
    return out


def score_to_song(score, source: str) -> Song:
    """A music21 Score (or Part/Stream) -> Song, with ties merged and pickups as short first bars."""
    import music21

    try:
        parts = list(score.parts) or [score]
    except AttributeError:
        parts = [score]
    tracks = []
    for n, part in enumerate(parts):
        tracks.extend(_part_tracks(part, n, music21))
    sigs = _time_signatures(parts[0], music21)
    tempos = [(0.0, 120.0)]
    try:
        marks = score.metronomeMarkBoundaries()
        found = [(float(a), float(mm.getQuarterBPM())) for a, _, mm in marks if mm.number is not None]
        if found:
            tempos = found if found[0][0] == 0 else [(0.0, found[0][1])] + found
    except Exception:
        pass
    for _, qpm in tempos:
        check_tempo(qpm, source)
    keys = []
    for ks in parts[0].flatten().getElementsByClass(music21.key.KeySignature):
        mode = getattr(ks, "mode", "major")
        keys.append((float(ks.offset), key_number(int(ks.sharps), int(mode == "minor"))))
    return Song(tracks, tempos, sigs, changes(keys, repeats=False), resolution=480, source=source)


def _part_tracks(part, n: int, music21) -> list[Track]:
    inst = part.getInstrument(returnDefault=True)
    name = getattr(part, "partName", None) or (inst.instrumentName if inst is not None else None) or f"Part {n + 1}"
    program = inst.midiProgram if inst is not None and inst.midiProgram is not None else _named_program(name, music21)
    notes = merge_ties(_sounding(part.flatten().notes))
    if not notes:
        return []
    return [Track.from_notes(printable(str(name), 128), int(program), False, notes)]


def _named_program(name, music21) -> int:
    """The GM program music21 knows for an instrument name ("Violin" 40, "Violoncello" 42), else 0
    (piano). Kern parts name their instrument (``*Ivioln``) but carry no program."""
    try:
        program = music21.instrument.fromString(str(name)).midiProgram
    except Exception:  # music21.instrument.InstrumentException: not an instrument name
        return 0
    return int(program) if program is not None else 0


def _sounding(elements):
    """(start, end, pitch, velocity, tie type or None, diatonic step) of every pitch of every timed
    note and chord, grace notes left out."""
    out = []
    for el in elements:
        dur = el.duration
        ql = dur.quarterLength
        if ql <= 0 or dur.isGrace:
            continue
        start = el.offset
        vel = el.volume.velocity if el.volume is not None and el.volume.velocity else 90
        for m in (el.notes if el.isChord else (el,)):  # a chord's ties are its members' ties
            pitch = getattr(m, "pitch", None)
            if pitch is None:  # unpitched percussion
                continue
            tie = m.tie.type if m.tie is not None else None
            out.append((start, start + ql, int(pitch.midi), int(vel), tie, pitch.diatonicNoteNum))
    return out


TIE_TOLERANCE = 1e-6  # quarters; music21 offsets are exact fractions, so only float noise


def merge_ties(notes) -> list[tuple[float, float, int, int]]:
    """Tied notes -> single notes (start, end, pitch, velocity). Pure.

    ``notes`` are (start, end, pitch, velocity, tie type, diatonic step). A note tied onward
    (start/continue) absorbs the note that begins where it ends with the same pitch or, failing
    that, a note marked as the tie's end with the same written step and octave: an accidental the
    encoder did not carry across the tie (ABC's ``=F-|F`` under an F# key) is forgiven and the
    first pitch sounds. A "tie" to
    another letter (ABC slurs written as ties) is no tie. Matching is per pitch, so a chord with
    one tied member and ties between voices come out right.

    One linear pass, the job ``Stream.stripTies`` does in a deep copy of the score (about 95% of
    music21 read time on large scores).
    """
    out: list[list] = []
    tied: list[int] = []  # indices in ``out`` of notes tied onward, not yet continued
    continues = ("stop", "continue")
    # at one onset, a note marked as a continuation comes first: it is the one a tie reaches
    for start, end, pitch, vel, tie, step in sorted(notes, key=lambda x: (x[0], x[2], x[4] not in continues)):
        start, end = float(start), float(end)
        tied = [i for i in tied if out[i][1] > start - TIE_TOLERANCE]
        ending = [i for i in tied if out[i][1] <= start + TIE_TOLERANCE]
        target = next((i for i in ending if out[i][2] == pitch), None)
        if target is None and tie in continues:
            target = next((i for i in ending if out[i][4] == step), None)
        if target is None:
            out.append([start, end, pitch, vel, step])
            target = len(out) - 1
        else:
            tied.remove(target)
            out[target][1] = max(out[target][1], end)
        if tie in ("start", "continue"):
            tied.append(target)
    return [(s, e, p, v) for s, e, p, v, _ in out]


def _time_signatures(part, music21) -> list[tuple[float, int, int]]:
    """Meters bar by bar from the measures; a bar shorter than its meter (a pickup) gets its own."""
    sigs: list[tuple[float, int, int]] = []
    current = None
    measures = list(part.getElementsByClass(music21.stream.Measure))
    for i, m in enumerate(measures):
        ts = m.timeSignature or (m.getContextByClass(music21.meter.TimeSignature) if current is None else None)
        if ts is not None:
            current = (int(ts.numerator), int(ts.denominator))
        meter = current or (4, 4)
        length = Fraction(meter[0] * 4, meter[1])
        actual = Fraction(m.duration.quarterLength).limit_denominator(64)
        is_pickup = i == 0 and 0 < actual < length
        if is_pickup:
            eff = _meter_for(actual, meter[1])
        else:
            eff = meter
        if not sigs or sigs[-1][1:] != eff:
            sigs.append((float(m.offset), *eff))
    if not sigs:
        ts = part.flatten().getElementsByClass(music21.meter.TimeSignature)
        sigs = [(float(t.offset), int(t.numerator), int(t.denominator)) for t in ts]
    if not sigs or sigs[0][0] > 0:
        sigs.insert(0, (0.0, 4, 4))
    return sigs


def _meter_for(length: Fraction, denominator: int) -> tuple[int, int]:
    """A meter of exactly ``length`` quarters, preferring the piece's own denominator."""
    for den in sorted({denominator, 4, 8, 16, 32, 64}):
        num = length * den / 4
        if num.denominator == 1 and num >= 1:
            return int(num), den
    return max(1, round(float(length))), 4


__all__ = ["read_score", "read_corpus", "read_all", "score_to_song", "read_abc_text"]
