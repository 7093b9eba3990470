"""Generate the example files in this folder (all composed here, no third-party material).

    python examples/make_examples.py
"""
from __future__ import annotations

from pathlib import Path

from midistyle.representation import Song, Track, write_midi

HERE = Path(__file__).parent
PROGRESSION = [(60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)]  # C G Am F
MELODY = [0, 1, 2, 1, 0, 2, 1, 0]  # chord-tone indices walked through each bar


def band() -> Song:
    """16 bars of 4/4 pop at 100 qpm: lead, piano chords, bass, drums."""
    lead, piano, bass, drums = [], [], [], []
    for bar in range(16):
        q0 = bar * 4.0
        chord = PROGRESSION[bar % 4]
        for beat in range(4):
            piano.append((q0 + beat, q0 + beat + 0.9, chord[0], 70))
            piano.extend((q0 + beat, q0 + beat + 0.9, p, 62) for p in chord[1:])
        bass += [(q0, q0 + 1.5, chord[0] - 24, 95), (q0 + 1.5, q0 + 2, chord[0] - 24, 80),
                 (q0 + 2, q0 + 4, chord[2] - 24, 90)]
        for step in range(8):
            q = q0 + step * 0.5
            drums.append((q, q + 0.25, 42, 70))
            if step in (0, 4):
                drums.append((q, q + 0.25, 36, 110))
            if step in (2, 6):
                drums.append((q, q + 0.25, 38, 100))
        if bar % 4 != 3:
            for i, idx in enumerate(MELODY):
                q = q0 + i * 0.5
                lead.append((q, q + 0.45, chord[idx] + 12 + (2 if i == 3 else 0), 96))
        else:
            lead.append((q0, q0 + 4.0, chord[0] + 12, 96))  # held note over the whole bar
    tracks = [Track.from_notes("Lead", 73, False, lead), Track.from_notes("Piano", 0, False, piano),
              Track.from_notes("Bass", 33, False, bass), Track.from_notes("Drums", 0, True, drums)]
    return Song(tracks, [(0.0, 100.0)], [(0.0, 4, 4)], [(0.0, 0)], source="band")


def waltz_march() -> Song:
    """8 bars of 3/4 waltz at 150 qpm, then 8 bars of 4/4 march at 112 qpm, melody + chords."""
    melody, chords = [], []
    q = 0.0
    for bar in range(16):
        waltz = bar < 8
        chord = PROGRESSION[bar % 4]
        beats = 3 if waltz else 4
        chords.append((q, q + 1, chord[0] - 12, 80))
        for b in range(1, beats):
            chords.extend((q + b, q + b + 0.8, p, 60) for p in chord)
        for b in range(beats):
            p = chord[(bar + b) % 3] + 12
            if waltz and b == 0:
                melody.append((q, q + 2, p, 90))
            elif not (waltz and b == 1):
                melody.append((q + b, q + b + 0.5, p, 85))
                melody.append((q + b + 0.5, q + b + 1, p + 2, 80))
        q += beats
    tracks = [Track.from_notes("Melody", 40, False, melody), Track.from_notes("Accompaniment", 0, False, chords)]
    return Song(tracks, [(0.0, 150.0), (24.0, 112.0)], [(0.0, 3, 4), (24.0, 4, 4)], [(0.0, 0)],
                source="waltz_march")


ABC_BOOK = """X:1
T:Midistyle Reel
M:4/4
L:1/8
K:D
|:A|dfaf dfaf|gbag fdd2|efge cdec|dfed cAAB|
dfaf dfaf|gbag fdd2|efge cAce|d2f2 d3:|

X:2
T:Midistyle Jig
M:6/8
L:1/8
K:G
|:D|GBd gdB|cec BGB|AGA BAG|FAF DED|
GBd gdB|cec BGB|ABc dcA|BGG G2:|
"""


def main() -> None:
    write_midi(band(), HERE / "band.mid")
    write_midi(waltz_march(), HERE / "waltz_march.mid")
    (HERE / "tunes.abc").write_text(ABC_BOOK)
    print("wrote band.mid, waltz_march.mid, tunes.abc")


if __name__ == "__main__":
    main()
