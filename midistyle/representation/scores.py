"""Scores through music21 (MusicXML, kern, ABC books, the music21 corpus) -> :class:`Song`.

Imported only when a score is read, so the MIDI path never pays for music21.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ..errors import InputError
from .midi_io import key_number
from .song import Song, Track


def _parse(path_or_name, source: str, corpus: bool = False):
    import music21

    try:
        if corpus:
            return music21.corpus.parse(path_or_name)
        return music21.converter.parse(str(path_or_name), forceSource=True)
    except Exception as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise InputError(source, f"cannot parse score: {reason}") from None


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
    """Read one piece (or tune ``tune`` of an ABC book) from a score file."""
    score, source = _pick(_parse(path, str(path)), tune, str(path))
    return score_to_song(score, source)


def read_corpus(name: str, tune: int | None = None) -> Song:
    """Read a work from music21's bundled corpus, e.g. ``bach/bwv66.6``."""
    score, source = _pick(_parse(name, f"corpus:{name}", corpus=True), tune, f"corpus:{name}")
    return score_to_song(score, source)


def read_all(path: str | Path) -> list[Song]:
    """Every piece in a score file (each tune of an ABC book); unusable tunes are skipped."""
    out = []
    for i, sc in enumerate(tunes(_parse(path, str(path))), start=1):
        try:
            out.append(score_to_song(sc, f"{path}#{i}"))
        except InputError:
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
    keys = []
    for ks in parts[0].flatten().getElementsByClass(music21.key.KeySignature):
        mode = getattr(ks, "mode", "major")
        keys.append((float(ks.offset), key_number(int(ks.sharps), int(mode == "minor"))))
    return Song(tracks, tempos, sigs, keys, resolution=480, source=source)


def _part_tracks(part, n: int, music21) -> list[Track]:
    inst = part.getInstrument(returnDefault=True)
    program = inst.midiProgram if inst is not None and inst.midiProgram is not None else 0
    name = part.partName or (inst.instrumentName if inst is not None else None) or f"Part {n + 1}"
    notes = []
    try:
        flat = part.stripTies().flatten()
    except Exception:
        flat = part.flatten()
    for el in flat.notes:
        ql = float(el.duration.quarterLength)
        if ql <= 0 or el.duration.isGrace:
            continue
        start = float(el.offset)
        vel = el.volume.velocity if el.volume is not None and el.volume.velocity else 90
        pitches = el.pitches if hasattr(el, "pitches") else ()
        for p in pitches:
            notes.append((start, start + ql, int(p.midi), int(vel)))
    if not notes:
        return []
    return [Track.from_notes(str(name), int(program), False, notes)]


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


def list_tunes(path: str | Path) -> list[tuple[int, str]]:
    """(number, title) of each tune in a score file."""
    out = []
    for i, sc in enumerate(tunes(_parse(path, str(path))), start=1):
        md = sc.metadata
        num = int(md.number) if md is not None and str(md.number or "").isdigit() else i
        out.append((num, (md.title if md is not None else None) or ""))
    return out


__all__ = ["read_score", "read_corpus", "read_all", "score_to_song", "list_tunes"]
