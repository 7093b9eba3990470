"""Source folders for corpus-preparation tests, built with pretty_midi and ABC text in code."""
from __future__ import annotations

import io
from pathlib import Path

import pretty_midi

QPM = 120.0
SEC = 60.0 / QPM  # seconds per quarter


def midi_bytes(n_quarters: int, meter=(4, 4), pitches=(60, 64, 67, 72), program=0, drum=False,
               step=1.0, empty=False) -> bytes:
    """A one-track file with a note every ``step`` quarters for ``n_quarters`` quarters."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=QPM)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(meter[0], meter[1], 0.0))
    if not empty:
        inst = pretty_midi.Instrument(program=program, is_drum=drum)
        q, k = 0.0, 0
        while q < n_quarters - 1e-9:
            inst.notes.append(pretty_midi.Note(90, pitches[k % len(pitches)], q * SEC, (q + step) * SEC))
            q += step
            k += 1
        pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def abc_tune(number: int, title: str, notes: str) -> str:
    return f"X:{number}\nT:{title}\nM:4/4\nL:1/4\nK:C\n{notes}\n\n"


# 8 bars of 4/4 each: 2 phrases of 4 bars; the fourth tune repeats the first under another X:
ABC_BOOK = "% a book of three tunes\n\n" + "".join([
    abc_tune(1, "One", "CDEF|GABc|cBAG|FEDC|CEGc|cGEC|DFAd|c4|"),
    abc_tune(2, "Two", "EFGA|Bcde|edcB|AGFE|EGce|ecGE|FAdf|e4|"),
    abc_tune(7, "Seven", "GABc|defg|gfed|cBAG|GBdg|gdBG|Acfa|g4|"),
    abc_tune(9, "One", "CDEF|GABc|cBAG|FEDC|CEGc|cGEC|DFAd|c4|"),  # tune 1 again: a duplicate
])

# file name -> (genre folder, bytes); the expected outcome is in EXPECTED below
GOOD = {
    "four.mid": lambda: midi_bytes(32, (4, 4)),                 # 8 bars -> 2 phrases of 64 steps
    "waltz.mid": lambda: midi_bytes(24, (3, 4)),                # 8 bars -> 2 phrases of 48 steps
    "jig.mid": lambda: midi_bytes(24, (6, 8), step=0.5),        # 8 bars of 3 quarters -> 2 phrases
    "short.mid": lambda: midi_bytes(20, (4, 4)),                # 5 bars -> 1 phrase, last bar dropped
    "tiny.mid": lambda: midi_bytes(6, (4, 4)),                  # 2 bars -> 1 padded phrase
    "pop909.mid": lambda: midi_bytes(32, (1, 4), pitches=(62, 65)),  # 32 bars of 1/4 -> 8 of 4/4 -> 2
    "slow38.mid": lambda: midi_bytes(24, (3, 8), step=0.5, pitches=(55, 59)),  # 16 of 3/8 -> 8 of 6/8
}
BAD = {
    "notes.mid": (b"these are my notes, not a MIDI file\n", "not a MIDI file (no MThd header)"),
    "truncated.mid": (None, "malformed MIDI"),
    "empty.mid": (lambda: midi_bytes(0, empty=True), "no notes"),
    "drums.mid": (lambda: midi_bytes(16, drum=True), "only drum notes, nothing pitched to work on"),
}


def make_sources(root: Path) -> dict[str, list[Path]]:
    """Two genres: ``band`` (good, bad and a duplicate MIDI file) and ``tunes`` (an ABC book)."""
    band, sub, tunes = root / "band", root / "band" / "copies", root / "tunes"
    for d in (band, sub, tunes):
        d.mkdir(parents=True, exist_ok=True)
    for name, make in GOOD.items():
        (band / name).write_bytes(make())
    (sub / "four-copy.mid").write_bytes((band / "four.mid").read_bytes())
    for name, (data, _) in BAD.items():
        if name == "truncated.mid":
            data = (band / "four.mid").read_bytes()[:60]
        elif callable(data):
            data = data()
        (band / name).write_bytes(data)
    (band / "README.txt").write_text("not music: ignored\n")
    (tunes / "book.abc").write_text(ABC_BOOK)
    return {"band": [band], "tunes": [tunes]}
