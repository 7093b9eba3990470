"""MMA (Musical MIDI Accompaniment) renders a lead sheet's chord chart in a named groove.

A reference point for the arrangement benchmark (``benchmarks/arrangement.py --methods mma``), and
possibly synthetic training supervision: MMA's grooves are fixed hand-written patterns, so it is
never the shipped converter and never evaluation data. Debian's ``mma`` package provides the
program (``./setup.sh --with-mma``). :func:`write_mma` is pure text; :func:`render` runs ``mma``
in a temporary folder and puts the source's melody tracks, note for note, over its accompaniment.

    python -m midistyle.reference.mma SONG.mid OUT.mid --groove JazzCombo [--groove 3=JazzWaltz]
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

from ..analysis.leadsheet import Chord, LeadSheet
from ..errors import RenderError
from ..representation.basics import pitch_class_name
from ..representation.roll import bar_lines
from ..representation.song import Song, Track

MMA_QUALITY = {
    "maj": "", "min": "m", "dim": "mb5", "aug": "aug", "sus2": "sus2", "sus4": "sus4", "7": "7",
    "maj7": "M7", "min7": "m7", "hdim7": "m7b5", "dim7": "dim7", "maj6": "6", "min6": "m6",
    "minmaj7": "mM7", "9": "9", "maj9": "M9", "min9": "m9",
}
"""Harte quality -> MMA's chord suffix (MMA's plain ``dim`` is a dim7; its triad is ``mb5``)."""

MISSING = "mma not found on PATH: run ./setup.sh --with-mma (or `sudo apt-get install mma`)"
_EPS = 1e-6


def chord_name(chord: Chord) -> str:
    """MMA's name for a chart chord, e.g. ``Bbm7``, ``F#m7b5``, ``C``; ValueError for an unknown quality."""
    if chord.quality not in MMA_QUALITY:
        raise ValueError(f"no MMA name for chord quality {chord.quality!r}; known: {', '.join(MMA_QUALITY)}")
    return pitch_class_name(chord.root) + MMA_QUALITY[chord.quality]


def pick_groove(grooves: Mapping[int, str], bar: float) -> tuple[int, str]:
    """The ``(beats, groove)`` for bars of ``bar`` quarters: a groove of exactly that many beats,
    else one whose bar holds a whole number of them (2/4 in a 4-beat groove), else one that
    splits them evenly. ValueError when none fits."""
    whole = [b for b in sorted(grooves) if abs(b - bar) < _EPS]
    holds = [b for b in sorted(grooves) if abs(b / bar - round(b / bar)) < _EPS]
    splits = [b for b in sorted(grooves, reverse=True) if abs(bar / b - round(bar / b)) < _EPS]
    for beats in whole + holds + splits:
        return beats, grooves[beats]
    raise ValueError(f"no groove fits {bar:g}-quarter bars (grooves for {sorted(grooves)} beats)")


def mma_bars(lines, beats: int) -> list[tuple[float, float]]:
    """The song's bars (``lines``: bar lines in quarters) as MMA bars ``(start, length)`` of
    ``beats`` quarters: shorter song bars are grouped while they fill one exactly, longer ones
    cut; where a song bar does not fit what is left, the pending MMA bar ends short, so MMA's
    downbeats stay on the song's."""
    out: list[tuple[float, float]] = []
    start, filled = float(lines[0]), 0.0
    for a, b in zip(lines[:-1], lines[1:]):
        if filled and b - a > beats - filled + _EPS:
            out.append((start, filled))
            filled = 0.0
        t = float(a)
        while b - t > _EPS:
            if not filled:
                start = t
            take = min(beats - filled, b - t)
            filled, t = filled + take, t + take
            if filled > beats - _EPS:
                out.append((start, float(beats)))
                filled = 0.0
    if filled > _EPS:
        out.append((start, filled))
    return out


def _sounding(chords: list[Chord], q: float) -> Chord | None:
    for c in chords:
        if c.start - _EPS <= q < c.end - _EPS:
            return c
    return None


def write_mma(lead: LeadSheet, grooves: Mapping[int, str], *, seed: int = 0) -> str:
    """The MMA file for ``lead``'s chord chart: tempo, groove and one chord token per beat.

    Parameters
    ----------
    lead : the song as a lead sheet; its first tempo and its bar lines set MMA's.
    grooves : beats per bar -> MMA groove name (``{4: "JazzCombo", 3: "JazzWaltz"}``); the song's
        most common bar length picks one (:func:`pick_groove`).
    seed : MMA's random seed (its grooves humanise timing and velocity).

    Each beat names the chord sounding in its middle, ``/`` when that is the chord before, ``z``
    (no chord; the drums play on) where none sounds. A short MMA bar (a 2/4 bar in 4/4) is
    followed by ``BeatAdjust`` so the next bar starts on the song's next downbeat.
    """
    lines = bar_lines(lead.song)
    lengths = collections.Counter(round(float(b - a), 6) for a, b in zip(lines[:-1], lines[1:]))
    bar = max(lengths, key=lambda n: (lengths[n], n))
    beats, groove = pick_groove(grooves, bar)
    tempo = lead.song.tempos[0][1] if lead.song.tempos else 120.0
    num, den = lead.song.time_signatures[0][1:] if lead.song.time_signatures else (4, 4)
    text = [f"// {Path(lead.song.source).name or 'song'}: {num}/{den}, bars of {bar:g} quarters "
            f"in {beats}-beat MMA bars (written by midistyle.reference.mma)",
            f"Tempo {tempo:.2f}", f"Time {beats}", f"Groove {groove}", f"RndSeed {seed}"]
    chords = sorted(lead.chords, key=lambda c: c.start)
    previous = None
    for n, (start, length) in enumerate(mma_bars(lines, beats), 1):
        tokens = []
        for i in range(math.ceil(length - _EPS)):
            chord = _sounding(chords, start + i + min(0.5, (length - i) / 2))
            token = chord_name(chord) if chord else "z"
            tokens.append("/" if token == previous else token)
            previous = token
        text.append(f"{n} {' '.join(tokens)}")
        if length < beats - _EPS:
            text.append(f"BeatAdjust {length - beats:g}")
    return "\n".join(text) + "\n"


def find_mma(exe: str = "mma") -> str:
    """The path of the ``mma`` program; RenderError (saying how to install it) when missing."""
    path = shutil.which(exe)
    if path is None:
        raise RenderError(MISSING)
    return path


def run_mma(text: str, folder: str | os.PathLike, *, exe: str = "mma", timeout: float = 300.0) -> Path:
    """Write ``text`` to ``folder``/song.mma, run ``mma`` on it, return the MIDI file it wrote."""
    program = find_mma(exe)
    src, out = Path(folder) / "song.mma", Path(folder) / "song.mid"
    src.write_text(text)
    try:
        done = subprocess.run([program, str(src), "-f", str(out)], capture_output=True, text=True,
                              cwd=folder, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"mma ran over {timeout:g} s") from None
    if done.returncode or not out.exists():
        said = [ln.strip() for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
        errors = [ln for ln in said if "error" in ln.lower()] or said or [f"exit status {done.returncode}"]
        raise RenderError(f"mma failed: {errors[-1]}")
    return out


def merge(lead: LeadSheet, accompaniment: Song) -> Song:
    """The source's melody tracks, note for note (an unnamed one named ``Melody``, so that a reader
    of roles can tell it from MMA's parts), over ``accompaniment``'s tracks (named ``MMA <name>``,
    notes starting after the song's last bar dropped), in the source's tempo map and meters."""
    end = float(bar_lines(lead.song)[-1])
    tracks = [t if t.name else dataclasses.replace(t, name="Melody") for t in lead.part("melody")]
    for t in accompaniment.tracks:
        keep = t.start < end - _EPS
        if keep.any():
            tracks.append(Track(f"MMA {t.name}", t.program, t.is_drum, t.start[keep],
                                t.end[keep], t.pitch[keep], t.velocity[keep]))
    return lead.song.with_tracks(tracks)


def render(lead: LeadSheet, grooves: Mapping[int, str], *, seed: int = 0, exe: str = "mma") -> Song:
    """``lead``'s chart rendered by MMA in ``grooves`` (see :func:`write_mma`), with the melody kept.

    Raises RenderError when ``mma`` is missing or fails, ValueError when no groove fits the meter.
    """
    from ..representation.midi_io import read

    text = write_mma(lead, grooves, seed=seed)
    with tempfile.TemporaryDirectory(prefix="midistyle-mma-") as tmp:
        made = read(run_mma(text, tmp, exe=exe), require_pitched=False)
    return merge(lead, made)


def _grooves(specs: list[str]) -> dict[int, str]:
    """``["JazzCombo", "3=JazzWaltz"]`` -> ``{4: "JazzCombo", 3: "JazzWaltz"}`` (no beats: 4)."""
    out = {}
    for spec in specs:
        beats, _, name = spec.rpartition("=")
        out[int(beats or 4)] = name
    return out


def main(argv=None) -> None:
    from ..analysis.leadsheet import read_lead_sheet
    from ..errors import MidistyleError
    from ..representation.midi_io import read, write_midi

    ap = argparse.ArgumentParser(description="Render a song's analysed chords with MMA under its melody.")
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--groove", action="append", required=True, help="NAME or BEATS=NAME (repeatable)")
    ap.add_argument("--mma-file", help="also write the MMA text here")
    ap.add_argument("--mma", default="mma", help="the mma program (default: mma on PATH)")
    args = ap.parse_args(argv)
    try:
        lead = read_lead_sheet(read(args.source))
        grooves = _grooves(args.groove)
        if args.mma_file:
            Path(args.mma_file).write_text(write_mma(lead, grooves))
        write_midi(render(lead, grooves, exe=args.mma), args.out)
    except (MidistyleError, ValueError) as exc:
        raise SystemExit(f"Error: {exc}") from None


if __name__ == "__main__":
    main()
