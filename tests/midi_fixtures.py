"""Small MIDI fixtures built in code (no files from outside the tests)."""
from __future__ import annotations

import io

import mido
import numpy as np

from midistyle.representation import Song, Track, to_midi_bytes


def song(tracks, tempos=((0.0, 120.0),), sigs=((0.0, 4, 4),), keys=(), resolution=480) -> Song:
    """A Song from ``tracks``: list of (name, program, is_drum, [(start_q, end_q, pitch, vel), ...])."""
    return Song([Track.from_notes(n, p, d, notes) for n, p, d, notes in tracks], list(tempos),
                list(sigs), list(keys), resolution=resolution, source="<fixture>")


def rich_song() -> Song:
    """4/4 -> 3/4 -> 6/8 with a 1-beat pickup, tempo changes, repeated and tied notes, drums."""
    # Bars: pickup 1/4 at 0; 4/4 bars at 1, 5; 3/4 at 9, 12; 6/8 at 15, 18 (3 quarters each).
    piano = [
        (0.0, 1.0, 67, 70),                          # pickup
        (1.0, 1.5, 60, 80), (1.5, 2.0, 60, 81),      # repeated note: two onsets, same pitch
        (2.0, 7.0, 64, 90),                          # tied over the barline at 5
        (9.0, 12.5, 72, 100),                        # crosses 3/4 barline at 12
        (15.25, 16.0, 48, 60), (18.0, 21.0, 50, 65),
    ]
    bass = [(1.0, 3.0, 36, 90), (5.0, 9.0, 38, 91), (12.0, 15.0, 40, 92), (15.0, 21.0, 43, 93)]
    drums = [(q, q + 0.25, 36 + (i % 3), 100) for i, q in enumerate(np.arange(1.0, 21.0, 1.0))]
    return song(
        [("Piano", 0, False, piano), ("Bass", 33, False, bass), ("Drums", 0, True, drums)],
        tempos=((0.0, 90.0), (5.0, 120.0), (15.0, 70.0)),
        sigs=((0.0, 1, 4), (1.0, 4, 4), (9.0, 3, 4), (15.0, 6, 8)),
        keys=((0.0, 7), (9.0, 21)),
    )


def rich_midi_bytes() -> bytes:
    return to_midi_bytes(rich_song())


def overlapping_same_pitch_midi() -> bytes:
    """One pitch struck twice while sounding (two voices on one note), written with mido."""
    mf = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    events = [  # (abs tick, msg)
        (0, mido.Message("note_on", note=60, velocity=80)),
        (240, mido.Message("note_on", note=60, velocity=70)),
        (480, mido.Message("note_off", note=60)),
        (1440, mido.Message("note_off", note=60)),
        (1920, mido.Message("note_on", note=64, velocity=90)),
        (2400, mido.Message("note_off", note=64)),
    ]
    last = 0
    for t, msg in events:
        tr.append(msg.copy(time=t - last))
        last = t
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


def performance(n_beats=72, qpm0=96.0, qpm1=132.0, lead=1.7, seed=0, jitter=0.01, meter=4):
    """Notes played at a tempo drifting from ``qpm0`` to ``qpm1``, after ``lead`` seconds of silence,
    written under a wrong flat 120 qpm map. Returns (song, true beat times, true downbeat times)."""
    rng = np.random.default_rng(seed)
    qpm = np.linspace(qpm0, qpm1, n_beats)
    beats = lead + np.concatenate([[0.0], np.cumsum(60.0 / qpm[:-1])])
    melody, bass = [], []
    for i, t in enumerate(beats):
        ibi = 60.0 / qpm[i]
        down = i % meter == 0
        bass.append((t, t + 0.9 * ibi, 40 if down else 47, 100 if down else 70))
        melody.append((t + rng.normal(0, jitter), t + 0.4 * ibi, 64 + int(rng.integers(0, 8)), 80))
        if rng.random() < 0.6:  # a swung eighth
            x = t + ibi * 2 / 3 + rng.normal(0, jitter)
            melody.append((x, x + 0.3 * ibi, 67 + int(rng.integers(0, 8)), 60))
    at_120 = lambda notes: [(a * 2, b * 2, p, v) for a, b, p, v in notes]  # noqa: E731  seconds -> quarters
    played = song([("right", 0, False, at_120(melody)), ("left", 0, False, at_120(bass))])
    return played, beats, beats[::meter]


def swung_line() -> Song:
    """Swung 8ths: every beat split long-short at 2/3 (the triplet feel), 8 bars of 4/4."""
    notes = []
    for beat in range(32):
        notes += [(beat, beat + 2 / 3, 60 + beat % 7, 90), (beat + 2 / 3, beat + 1, 62 + beat % 5, 70)]
    return song([("Sax", 65, False, notes)])


def ii_v_i() -> Song:
    """Dm7 | G7 | Cmaj7 | Cmaj7 as whole-bar block chords, 2 choruses."""
    chords = [(50, 53, 57, 60), (55, 59, 62, 65), (48, 52, 55, 59), (48, 52, 55, 59)]
    notes = [(4 * bar, 4 * bar + 4, p, 80) for bar in range(8) for p in chords[bar % 4]]
    return song([("Piano", 0, False, notes)])


def waltz(sig=(3, 4)) -> Song:
    """Oom-pah-pah: bass on beat 1, a chord on beats 2 and 3, 8 bars."""
    notes = []
    for bar in range(8):
        q = 3 * bar
        notes.append((q, q + 1, 43, 90))
        notes += [(q + b, q + b + 1, p, 60) for b in (1, 2) for p in (59, 62, 67)]
    return song([("Piano", 0, False, notes)], sigs=((0.0, *sig),))
