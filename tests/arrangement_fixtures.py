"""Lead sheets built in code for the arrangement tests (no analysis needed: roles and chords given)."""
from __future__ import annotations

import numpy as np

from midistyle.analysis.leadsheet import Chord, LeadSheet
from midistyle.representation import Song, Track

from tests.midi_fixtures import song

# a I-vi-IV-V in C, one chord per 4/4 bar, then two 3/4 bars of C
CHART = [(0, "maj", 0.0, 4.0), (9, "min", 4.0, 8.0), (5, "maj", 8.0, 12.0), (7, "7", 12.0, 16.0),
         (0, "maj", 16.0, 22.0)]
_TRIADS = {0: (60, 64, 67), 9: (57, 60, 64), 5: (53, 57, 60), 7: (55, 59, 62, 65)}


def band_song(swing: float = 0.5, bass_program: int = 33, ride: bool = False,
              comp_program: int = 0, seed: int = 0) -> Song:
    """A four-piece band on the 16th grid: melody (flute, with an off-grid grace note), bass,
    comp (block chords), drums (canonical GM pitches). 4 bars of 4/4 then 2 bars of 3/4, two
    tempi. ``swing`` plays the 8th off-beats of bass and cymbal late (0.5: straight)."""
    rng = np.random.default_rng(seed)
    off = lambda q: np.floor(q) + swing if q % 1 == 0.5 else q  # noqa: E731
    melody = [(0.0, 0.5, 72, 90), (0.5, 1.0, 74, 85), (1.0, 2.0, 76, 95), (2.0, 2.25, 77, 80),
              (2.25, 3.0, 76, 82), (3.0, 4.0, 74, 88), (4.0, 6.0, 72, 90), (6.5, 8.0, 69, 84),
              (8.0, 9.0, 69, 80), (9.0, 11.0, 72, 86), (11.97, 12.0, 74, 60), (12.0, 15.0, 71, 92),
              (16.0, 19.0, 72, 90), (19.0, 22.0, 67, 85)]
    bass, comp, drums = [], [], []
    for root, _, a, b in CHART:
        pitch = 36 + root
        for q in np.arange(a, b, 1.0):
            bass.append((q, off(q + 0.5), pitch, int(rng.integers(70, 110))))
            if (q - a) % 2 == 1:
                bass.append((off(q + 0.5), q + 1.0, pitch + 7, 75))
        for q in np.arange(a, b, 2.0):
            comp.extend((q, min(q + 2.0, b), p, 64) for p in _TRIADS.get(root, (60, 64, 67)))
    cymbal = 51 if ride else 42
    for q in np.arange(0.0, 22.0, 0.5):
        drums.append((off(q), off(q) + 0.25, cymbal, 70 if q % 1 else 90))
        if q % 1 == 0:
            drums.append((q, q + 0.25, 36 if int(q) % 2 == 0 else 38, 100))
    return song([("Flute", 73, False, melody), ("Bass", bass_program, False, bass),
                 ("Piano", comp_program, False, comp), ("Drums", 0, True, drums)],
                tempos=((0.0, 100.0), (8.0, 110.0)), sigs=((0.0, 4, 4), (16.0, 3, 4)), keys=((0.0, 0),))


def lead_sheet(s: Song, chords: bool = True) -> LeadSheet:
    """The fixture read as a lead sheet: tracks in melody, bass, comp, drums order."""
    roles = ["melody", "bass", "comp", "drums"]
    parts = {role: [t] for role, t in zip(roles, s.tracks)}
    chart = [Chord(a, b, root, q) for root, q, a, b in CHART] if chords else []
    return LeadSheet(s, parts, roles, chart, 0)


def notes(track: Track) -> list[tuple]:
    return [(round(a, 6), round(b, 6), p, v) for a, b, p, v in track.notes()]
