"""Malformed and extreme inputs, generated in memory from a seed (no files from outside the tests).

``cases(seed)`` returns :class:`FuzzCase` objects (name, category, suffix, bytes) covering:
truncations and bit flips of valid files, wrong header and chunk lengths, running-status abuse,
zero tracks, unclosed notes, absurd tempi, huge tick values, non-UTF-8 names, type-2 files,
and garbage ABC, kern and MusicXML. ``long_silence()`` and ``many_notes()`` build the two
large files; ``representative(cases, k)`` picks ``k`` cases per category for slower checks.
"""
from __future__ import annotations

import dataclasses
import io
import random
import struct
import zipfile

from tests.midi_fixtures import overlapping_same_pitch_midi, rich_midi_bytes


@dataclasses.dataclass(frozen=True)
class FuzzCase:
    name: str       # unique, usable as a file stem
    category: str
    suffix: str     # ".mid", ".abc", ".krn", ".musicxml", ".xml", ".mxl"
    data: bytes

    @property
    def filename(self) -> str:
        return self.name + self.suffix


# ---------------------------------------------------------------- a tiny SMF writer
def vlq(n: int) -> bytes:
    """MIDI variable-length quantity (any size: callers may build over-long ones on purpose)."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def ev(delta: int, *data: int) -> bytes:
    return vlq(delta) + bytes(data)


def meta(delta: int, kind: int, payload: bytes, length: int | None = None) -> bytes:
    return vlq(delta) + bytes([0xFF, kind]) + vlq(len(payload) if length is None else length) + payload


def tempo(delta: int, mspq: int) -> bytes:
    return meta(delta, 0x51, (mspq & 0xFFFFFF).to_bytes(3, "big"))


def name(delta: int, text: bytes) -> bytes:
    return meta(delta, 0x03, text)


EOT = meta(0, 0x2F, b"")


def notes(pitches, step: int = 240, ch: int = 0, vel: int = 80) -> bytes:
    """Consecutive notes, each ``step`` ticks long (explicit status bytes)."""
    body = b""
    for p in pitches:
        body += ev(0, 0x90 | ch, p, vel) + ev(step, 0x80 | ch, p, 0)
    return body


def mtrk(body: bytes, length: int | None = None, end: bool = True) -> bytes:
    body = body + (EOT if end else b"")
    return b"MTrk" + struct.pack(">I", (len(body) if length is None else length) & 0xFFFFFFFF) + body


def smf(tracks: list[bytes], fmt: int = 1, division: int = 480, ntrks: int | None = None,
        header_len: int = 6, extra_header: bytes = b"") -> bytes:
    head = struct.pack(">HHH", fmt, len(tracks) if ntrks is None else ntrks, division) + extra_header
    return b"MThd" + struct.pack(">I", header_len & 0xFFFFFFFF) + head + b"".join(tracks)


def simple(body: bytes, **kw) -> bytes:
    """A type-1 file: a conductor track (tempo, 4/4) and one track with ``body``."""
    conductor = mtrk(tempo(0, 500_000) + meta(0, 0x58, bytes([4, 2, 24, 8])))
    return smf([conductor, mtrk(body)], **kw)


SCALE = notes([60, 62, 64, 65, 67, 69, 71, 72])


def running_status_file() -> bytes:
    """Type 0 with running status, controllers, pitch bend, sysex and a program change."""
    body = (tempo(0, 600_000) + name(0, b"Lead") + ev(0, 0xC0, 5) + ev(0, 0xB0, 7, 100)
            + ev(0, 0x90, 60, 80) + ev(240, 64, 80) + ev(240, 60, 0) + ev(0, 67, 90)
            + ev(240, 64, 0) + ev(0, 0xE0, 0, 0x50) + ev(240, 67, 0)
            + ev(0, 0xF0, 3, 0x7E, 0x7F, 0xF7) + ev(0, 0x90, 72, 70) + ev(480, 72, 0))
    return smf([mtrk(body)], fmt=0)


def seeds() -> dict[str, bytes]:
    """Valid MIDI files the mutations start from."""
    return {"rich": rich_midi_bytes(), "overlap": overlapping_same_pitch_midi(),
            "running": running_status_file(), "scale": simple(SCALE)}


# ---------------------------------------------------------------- extreme but well-formed files
def long_silence(hours: float = 10.0, division: int = 480) -> bytes:
    """``hours`` of silence at 120 qpm, then one note (deltas split to stay < 0x0FFFFFFF)."""
    ticks = int(hours * 3600 * 2 * division)
    body = b""
    while ticks > 0x0FFFFFFF:
        body += meta(0x0FFFFFFF, 0x01, b"")  # empty text event carrying the delta
        ticks -= 0x0FFFFFFF
    body += ev(ticks, 0x90, 60, 80) + ev(division, 0x80, 60, 0)
    return simple(body, division=division)


def many_notes(n: int = 200_000, division: int = 96) -> bytes:
    """``n`` notes as 8-note sixteenth chords in running status (about 4 bytes a note)."""
    chord = [48, 52, 55, 60, 64, 67, 72, 76]
    body = bytearray([0x00, 0x90, chord[0], 90])  # the one status byte; the rest is running status
    for i in range(0, n, len(chord)):
        played = chord[:min(len(chord), n - i)]
        for p in played[1 if i == 0 else 0:]:
            body += ev(0, p, 90)
        for j, p in enumerate(played):  # note-offs as velocity-0 note-ons, a sixteenth later
            body += ev(division // 4 if j == 0 else 0, p, 0)
    return simple(bytes(body), division=division)


# ---------------------------------------------------------------- MIDI mutations
def _truncations(rng: random.Random) -> list[FuzzCase]:
    out = []
    for label, data in seeds().items():
        offsets = set(range(0, min(len(data), 40)))  # every cut through the header and first events
        offsets |= set(rng.sample(range(len(data)), min(len(data), 45)))
        out += [FuzzCase(f"truncate-{label}-{k:05d}", "truncate", ".mid", data[:k]) for k in sorted(offsets)]
    return out


def _bit_flips(rng: random.Random, n: int) -> list[FuzzCase]:
    out, items = [], list(seeds().items())
    for i in range(n):
        label, data = items[i % len(items)]
        buf = bytearray(data)
        span = 22 if i % 4 == 0 else len(buf)  # a quarter aim at the headers
        for _ in range(rng.choice((1, 1, 2, 3, 8, 32))):
            k = rng.randrange(min(span, len(buf)))
            buf[k] ^= 1 << rng.randrange(8)
        out.append(FuzzCase(f"bitflip-{label}-{i:04d}", "bitflip", ".mid", bytes(buf)))
    return out


def _byte_edits(rng: random.Random, n: int) -> list[FuzzCase]:
    """Random bytes overwritten, inserted, deleted or duplicated blocks."""
    out, items = [], list(seeds().items())
    for i in range(n):
        label, data = items[i % len(items)]
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(14, len(buf))
            op = rng.randrange(4)
            if op == 0:
                buf[k] = rng.choice((0x00, 0x7F, 0x80, 0xF0, 0xF7, 0xFF, rng.randrange(256)))
            elif op == 1:
                buf[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif op == 2:
                del buf[k:k + rng.randint(1, 8)]
            else:
                j = rng.randrange(14, len(buf))
                buf[k:k] = buf[j:j + rng.randint(1, 32)]
        out.append(FuzzCase(f"edit-{label}-{i:04d}", "byte_edit", ".mid", bytes(buf)))
    return out


def _headers() -> list[FuzzCase]:
    t = mtrk(SCALE)
    c: dict[str, bytes] = {
        "len0": smf([t], header_len=0), "len5": smf([t], header_len=5), "len7": smf([t], header_len=7),
        "len8-padded": smf([t], header_len=8, extra_header=b"\0\0"),
        "len100": smf([t], header_len=100), "len-max": smf([t], header_len=0xFFFFFFFF),
        "ntrks-more": smf([t], ntrks=5), "ntrks-65535": smf([t], ntrks=0xFFFF),
        "ntrks-fewer": smf([t, t, t], ntrks=1), "format3": smf([t], fmt=3),
        "format65535": smf([t], fmt=0xFFFF), "format0-two-tracks": smf([t, t], fmt=0),
        "division0": smf([t], division=0), "division1": smf([t], division=1),
        "division-max": smf([t], division=0x7FFF), "smpte": smf([t], division=0xE728),
        "only-mthd": b"MThd", "mthd-short": b"MThd\0\0\0\6\0\1", "empty": b"",
        "riff-rmid": b"RIFF" + struct.pack("<I", 4 + 8 + len(smf([t]))) + b"RMIDdata"
                     + struct.pack("<I", len(smf([t]))) + smf([t]),
        "mthd-lowercase": b"mthd" + smf([t])[4:], "text-file": b"hello, not a MIDI file\n",
        "zeros": bytes(4096),
    }
    return [FuzzCase(f"header-{k}", "header", ".mid", v) for k, v in c.items()]


def _chunks() -> list[FuzzCase]:
    body = SCALE + EOT
    conductor = mtrk(tempo(0, 500_000))
    c: dict[str, bytes] = {
        "len0": smf([conductor, mtrk(SCALE, length=0)]),
        "len-short": smf([conductor, mtrk(SCALE, length=len(body) // 2)]),
        "len-past-eof": smf([conductor, mtrk(SCALE, length=len(body) + 500)]),
        "len-max": smf([conductor, mtrk(SCALE, length=0xFFFFFFFF)]),
        "len-2gb": smf([conductor, mtrk(SCALE, length=0x80000000)]),
        "no-eot": smf([conductor, mtrk(SCALE, end=False)]),
        "eot-midway": smf([conductor, mtrk(notes([60, 62]) + EOT + notes([64, 65]))]),
        "unknown-chunk": smf([conductor, b"XFIH" + struct.pack(">I", 6) + b"abcdef", mtrk(SCALE)], ntrks=3),
        "junk-after": smf([conductor, mtrk(SCALE)]) + b"\xde\xad\xbe\xef" * 50,
        "missing-mtrk-tag": smf([conductor, b"MTrx" + mtrk(SCALE)[4:]]),
        "tag-only": smf([conductor, b"MTrk"]),
        "meta-len-past-end": smf([conductor, mtrk(meta(0, 0x03, b"abc", length=0x0FFFFFFF))]),
        "meta-len-vlq-5bytes": smf([conductor, mtrk(b"\x00\xff\x03\xff\xff\xff\xff\x7f" + SCALE)]),
        "sysex-len-past-end": smf([conductor, mtrk(ev(0, 0xF0) + vlq(0x0FFFFFFF) + b"\x01\x02")]),
        "sysex-unterminated": smf([conductor, mtrk(ev(0, 0xF0, 5, 1, 2, 3, 4, 5) + SCALE)]),
        "escape-f7": smf([conductor, mtrk(ev(0, 0xF7, 2, 0x90, 60) + SCALE)]),
        "delta-vlq-unterminated": smf([conductor, mtrk(b"\xff\xff\xff\xff\xff\xff\xff\xff", end=False)]),
        "only-eot": smf([mtrk(b"")]),
    }
    return [FuzzCase(f"chunk-{k}", "chunk_length", ".mid", v) for k, v in c.items()]


def _running_status() -> list[FuzzCase]:
    c: dict[str, bytes] = {
        "no-status-at-start": simple(ev(0, 60, 80) + ev(240, 60, 0) + SCALE),
        "after-meta": simple(ev(0, 0x90, 60, 80) + name(0, b"x") + ev(240, 60, 0)),
        "after-sysex": simple(ev(0, 0x90, 60, 80) + ev(0, 0xF0, 1, 0xF7) + ev(240, 60, 0)),
        "odd-data-count": simple(ev(0, 0x90, 60, 80, 62) + ev(240, 0x80, 60, 0)),
        "program-then-notes": simple(ev(0, 0xC0, 5) + ev(0, 60) + ev(0, 61) + SCALE),
        "realtime-bytes": simple(ev(0, 0xF8) + ev(0, 0xFA) + ev(0, 0xFE) + SCALE),
        "system-common": simple(ev(0, 0xF1, 3) + ev(0, 0xF2, 1, 2) + ev(0, 0xF3, 1) + ev(0, 0xF6) + SCALE),
        "undefined-f4-f5": simple(ev(0, 0xF4) + ev(0, 0xF5) + ev(0, 0xF9) + ev(0, 0xFD) + SCALE),
        "status-mid-event": simple(ev(0, 0x90, 0x80, 0x90) + SCALE),
        "thousands": simple(ev(0, 0x90, 60, 80) + b"".join(ev(1, 60 + i % 12, (i * 7) % 128)
                                                            for i in range(5000))),
        "data-only-track": simple(bytes(range(0, 128)) * 4),
    }
    return [FuzzCase(f"running-{k}", "running_status", ".mid", v) for k, v in c.items()]


def _notes_and_meta(rng: random.Random) -> list[FuzzCase]:
    c: dict[str, tuple[str, bytes]] = {
        "zero-tracks": ("zero_tracks", smf([], ntrks=0)),
        "zero-tracks-with-chunk": ("zero_tracks", smf([mtrk(SCALE)], ntrks=0)),
        "one-track-none-there": ("zero_tracks", smf([], ntrks=1)),
        "empty-tracks": ("zero_tracks", smf([mtrk(b""), mtrk(b"")])),
        "meta-only": ("zero_tracks", simple(name(0, b"nothing here"))),
        "note-on-never-off": ("unclosed_notes", simple(ev(0, 0x90, 60, 80) + ev(480, 0x90, 64, 80))),
        "note-on-off-missing-one": ("unclosed_notes", simple(SCALE + ev(0, 0x90, 50, 90))),
        "note-off-without-on": ("unclosed_notes", simple(ev(0, 0x80, 60, 0) + ev(10, 0x80, 61, 0))),
        "vel0-only": ("unclosed_notes", simple(ev(0, 0x90, 60, 0) + ev(240, 0x90, 62, 0))),
        "same-pitch-many-on": ("unclosed_notes", simple(b"".join(ev(10, 0x90, 60, 90) for _ in range(500))
                                                      + ev(10, 0x80, 60, 0))),
        "zero-length-notes": ("unclosed_notes", simple(b"".join(ev(0, 0x90, p, 80) + ev(0, 0x80, p, 0)
                                                             for p in range(40, 90)))),
        "drums-only": ("unclosed_notes", simple(notes([36, 38, 42], ch=9))),
        "tempo-zero": ("tempo", simple(tempo(0, 0) + SCALE)),
        "tempo-one": ("tempo", simple(tempo(0, 1) + SCALE)),
        "tempo-max": ("tempo", simple(tempo(0, 0xFFFFFF) + SCALE)),
        "tempo-high-bit": ("tempo", simple(tempo(0, 0x800000) + SCALE)),
        "tempo-len0": ("tempo", simple(meta(0, 0x51, b"") + SCALE)),
        "tempo-len1": ("tempo", simple(meta(0, 0x51, b"\x07") + SCALE)),
        "tempo-len2": ("tempo", simple(meta(0, 0x51, b"\x07\xa1") + SCALE)),
        "tempo-len6": ("tempo", simple(meta(0, 0x51, b"\xff\xff\xff\xff\xff\xff") + SCALE)),
        "tempo-midway-zero": ("tempo", simple(SCALE + tempo(0, 0) + SCALE)),
        "tempo-thousands": ("tempo", simple(b"".join(tempo(1, 400_000 + i) for i in range(3000)) + SCALE)),
        "timesig-den-255": ("meta", simple(meta(0, 0x58, bytes([4, 255, 24, 8])) + SCALE)),
        "timesig-den-31": ("meta", simple(meta(0, 0x58, bytes([4, 31, 24, 8])) + SCALE)),
        "timesig-num0": ("meta", simple(meta(0, 0x58, bytes([0, 2, 24, 8])) + SCALE)),
        "timesig-num255-den0": ("meta", simple(meta(0, 0x58, bytes([255, 0, 24, 8])) + SCALE)),
        "timesig-len1": ("meta", simple(meta(0, 0x58, bytes([4])) + SCALE)),
        "timesig-every-tick": ("meta", simple(b"".join(meta(1, 0x58, bytes([1 + i % 7, i % 4, 24, 8]))
                                                      for i in range(2000)) + SCALE)),
        "keysig-absurd": ("meta", simple(meta(0, 0x59, bytes([100, 7])) + meta(0, 0x59, bytes([0x80, 1]))
                                         + SCALE)),
        "keysig-len0": ("meta", simple(meta(0, 0x59, b"") + SCALE)),
        "huge-meta-text": ("meta", simple(meta(0, 0x01, b"x" * 200_000) + SCALE)),
        "program-128-channel-15": ("meta", simple(ev(0, 0xCF, 0x7F) + notes([60, 64], ch=15))),
    }
    for i, d in enumerate((0x0FFFFFFF, 0x0FFFFFFF * 3, 0x0FFFFFFF * 9, 0x0FFFFFFF * 17)):
        body, left = b"", d
        while left > 0:
            body += meta(min(left, 0x0FFFFFFF), 0x01, b"")
            left -= 0x0FFFFFFF
        c[f"delta-{i}x"] = ("huge_ticks", simple(body + SCALE))
    c["note-held-max-delta"] = ("huge_ticks", simple(ev(0, 0x90, 60, 80) + ev(0x0FFFFFFF, 0x80, 60, 0)))
    c["note-held-past-int32"] = ("huge_ticks", simple(ev(0, 0x90, 60, 80) + b"".join(
        meta(0x0FFFFFFF, 0x01, b"") for _ in range(9)) + ev(0, 0x80, 60, 0)))
    c["tempo-at-max-tick"] = ("huge_ticks", simple(SCALE + tempo(0x0FFFFFFF, 400_000)))
    c["timesig-at-max-tick"] = ("huge_ticks", simple(SCALE + meta(0x0FFFFFFF, 0x58, bytes([3, 2, 24, 8]))))
    c["division1-long"] = ("huge_ticks", simple(b"".join(ev(0, 0x90, 60, 80) + ev(100_000, 0x80, 60, 0)
                                                        for _ in range(3)), division=1))
    c["type2"] = ("type2", smf([mtrk(tempo(0, 500_000) + SCALE), mtrk(notes([48, 50, 52])),
                                mtrk(tempo(0, 300_000) + notes([72, 74]))], fmt=2))
    c["type2-one-track"] = ("type2", smf([mtrk(SCALE)], fmt=2))
    c["type2-empty-tracks"] = ("type2", smf([mtrk(b""), mtrk(SCALE), mtrk(b"")], fmt=2))
    names = {
        "latin1": "Caf\u00e9 \u00e0 la cr\u00e8me, Fl\u00fbte".encode("latin-1", "replace"),
        "random": bytes(rng.randrange(256) for _ in range(64)),
        "invalid-utf8": b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc",
        "nul-and-escapes": b"a\0b\x1b[31mred\x1b[0m\nnew line\r",
        "utf16": "Fl\u00fbte".encode("utf-16"),
        "long": bytes(rng.randrange(32, 256) for _ in range(70_000)),
    }
    for k, raw in names.items():
        c[f"name-{k}"] = ("track_names", simple(name(0, raw) + meta(0, 0x04, raw) + meta(0, 0x05, raw) + SCALE))
    c["name-in-conductor"] = ("track_names", smf([mtrk(name(0, names["random"]) + tempo(0, 500_000)),
                                                  mtrk(name(0, names["latin1"]) + SCALE)]))
    return [FuzzCase(f"{cat}-{k}", cat, ".mid", v) for k, (cat, v) in c.items()]


def _structured_random(rng: random.Random, n: int) -> list[FuzzCase]:
    """Well-framed chunks whose events are random bytes (reach the event parser, not the framer)."""
    out = []
    for i in range(n):
        body = bytearray()
        for _ in range(rng.randint(1, 60)):
            body += vlq(rng.choice((0, 1, 10, 480, rng.randrange(1 << 28))))
            status = rng.choice((0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0, 0xFF, rng.randrange(256)))
            body += bytes([status | (rng.randrange(16) if status < 0xF0 else 0)])
            body += bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 2, 3, 5))))
        out.append(FuzzCase(f"random-events-{i:04d}", "random_events", ".mid",
                            smf([mtrk(tempo(0, 500_000)), mtrk(bytes(body))], fmt=rng.choice((0, 1, 2)))))
    return out


def _random_blobs(rng: random.Random, n: int) -> list[FuzzCase]:
    out = []
    for i in range(n):
        size = rng.choice((1, 13, 14, 22, 100, 1000))
        head = b"MThd\0\0\0\x06" if i % 2 else b""
        out.append(FuzzCase(f"blob-{i:04d}", "random_bytes", ".mid",
                            head + bytes(rng.randrange(256) for _ in range(size))))
    return out


# ---------------------------------------------------------------- scores
ABC = b"""X:1
T:Fuzz Reel
M:4/4
L:1/8
Q:1/4=120
K:D
|:DFAd fdAF|GBdg fdAF|EFGA BcdB|1 AFDF E2D2:|2 AFDF EDD2||
"""
ABC_BOOK = ABC + b"\nX:2\nT:Second\nM:3/4\nL:1/4\nK:G\nGAB|c2B|A3|]\n"
KERN = b"""**kern\t**kern
*M4/4\t*M4/4
=1\t=1
4c\t4e
4d\t4f
4e\t4g
4f\t4a
==\t==
*-\t*-
"""
MUSICXML = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 Partwise//EN"
  "http://www.musicxml.org/dtds/partwise.dtd">
<score-partwise version="3.1">
  <part-list><score-part id="P1"><part-name>Flute</part-name></score-part></part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>1</divisions><key><fifths>0</fifths></key>
        <time><beats>4</beats><beat-type>4</beat-type></time>
        <clef><sign>G</sign><line>2</line></clef></attributes>
      <note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
      <note><pitch><step>E</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
      <note><pitch><step>G</step><octave>4</octave></pitch><duration>2</duration><type>half</type></note>
    </measure>
  </part>
</score-partwise>
"""


def _random_text(rng: random.Random, size: int) -> bytes:
    alphabet = "abcdefgABCDEFGz|:[]()^_=,'/0123456789 \n\t<>!\"#%&*-.XTMLKQ\u00e9\u266d"
    return "".join(rng.choice(alphabet) for _ in range(size)).encode("utf-8")


def _mxl(xml: bytes, with_container: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if with_container:
            z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container><rootfiles>'
                       '<rootfile full-path="score.xml"/></rootfiles></container>')
        z.writestr("score.xml", xml)
    return buf.getvalue()


def _scores(rng: random.Random) -> list[FuzzCase]:
    out: list[FuzzCase] = []

    def add(cat, key, suffix, data):
        out.append(FuzzCase(f"{cat}-{key}", cat, suffix, data))

    junk = bytes(rng.randrange(256) for _ in range(2048))
    for cat, suffix, good in (("abc", ".abc", ABC_BOOK), ("kern", ".krn", KERN), ("musicxml", ".musicxml", MUSICXML)):
        add(cat, "valid", suffix, good)
        add(cat, "empty", suffix, b"")
        add(cat, "binary", suffix, junk)
        add(cat, "midi-bytes", suffix, rich_midi_bytes())
        add(cat, "nul-bytes", suffix, bytes(512))
        add(cat, "latin1", suffix, good.decode("utf-8").replace("Flute", "Fl\u00fbte").encode("latin-1", "replace")
            + b"\xe9\xff")
        for i in range(5):
            add(cat, f"random-text-{i}", suffix, _random_text(rng, rng.choice((10, 200, 3000))))
        for i, k in enumerate(sorted(rng.sample(range(1, len(good)), 8))):
            add(cat, f"truncated-{i}", suffix, good[:k])
        for i in range(4):
            buf = bytearray(good)
            for _ in range(rng.randint(1, 6)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            add(cat, f"mutated-{i}", suffix, bytes(buf))
    # ABC-specific absurdities
    for key, line in (("L-zero", b"L:1/0"), ("M-zero", b"M:0/0"), ("Q-zero", b"Q:1/4=0"),
                      ("Q-huge", b"Q:1/4=99999999"), ("M-huge", b"M:9999/1"), ("L-huge", b"L:99999/1")):
        add("abc", key, ".abc", ABC.replace(ABC.splitlines()[2] if key[0] == "M" else
                                            ABC.splitlines()[3] if key[0] == "L" else ABC.splitlines()[4], line))
    add("abc", "header-only", ".abc", b"X:1\nT:Nothing\nK:C\n")
    add("abc", "note-with-huge-length", ".abc", b"X:1\nL:1/8\nM:4/4\nK:C\nC999999999|\n")
    add("abc", "deep-tuplets", ".abc", b"X:1\nL:1/8\nK:C\n" + b"(3" * 500 + b"CDE|\n")
    add("kern", "no-spines", ".krn", b"!! only a comment\n")
    add("kern", "bad-duration", ".krn", b"**kern\n0c\n-1d\n99999999e\n*-\n")
    add("kern", "spine-split-unclosed", ".krn", b"**kern\n*^\n4c\t4d\n*v\n")
    # XML-specific
    add("musicxml", "not-musicxml", ".xml", b"<?xml version='1.0'?><html><body>hi</body></html>")
    add("musicxml", "no-parts", ".musicxml", b"<?xml version='1.0'?><score-partwise version='3.1'>"
        b"<part-list/></score-partwise>")
    add("musicxml", "divisions-zero", ".musicxml", MUSICXML.replace(b"<divisions>1", b"<divisions>0"))
    add("musicxml", "duration-huge", ".musicxml", MUSICXML.replace(b"<duration>2<", b"<duration>999999999<"))
    add("musicxml", "beat-type-zero", ".musicxml", MUSICXML.replace(b"<beat-type>4", b"<beat-type>0"))
    add("musicxml", "octave-absurd", ".musicxml", MUSICXML.replace(b"<octave>4</octave></pitch><duration>1",
                                                                    b"<octave>99</octave></pitch><duration>1", 1))
    add("musicxml", "entity-expansion", ".musicxml",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i else b"&lol;") * 10) for i in range(9))
        + b']><score-partwise><part-list><score-part id="P1"><part-name>&lol8;</part-name></score-part>'
          b'</part-list></score-partwise>')
    add("musicxml", "mxl-valid", ".mxl", _mxl(MUSICXML))
    add("musicxml", "mxl-no-container", ".mxl", _mxl(MUSICXML, with_container=False))
    add("musicxml", "mxl-garbage-inside", ".mxl", _mxl(junk))
    add("musicxml", "mxl-not-zip", ".mxl", junk)
    add("musicxml", "mxl-truncated-zip", ".mxl", _mxl(MUSICXML)[:200])
    return out


# ---------------------------------------------------------------- public
def cases(seed: int = 0) -> list[FuzzCase]:
    """All fuzz cases for ``seed`` (same seed, same bytes)."""
    rng = random.Random(seed)
    out = (_truncations(rng) + _bit_flips(rng, 320) + _byte_edits(rng, 160) + _headers() + _chunks()
           + _running_status() + _notes_and_meta(rng) + _structured_random(rng, 120)
           + _random_blobs(rng, 40) + _scores(rng))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise AssertionError("duplicate fuzz case names")
    return out


def representative(all_cases: list[FuzzCase], per_category: int = 2, seed: int = 0) -> list[FuzzCase]:
    """``per_category`` cases of each category (seeded pick), for the slower end-to-end checks."""
    rng = random.Random(seed)
    by_cat: dict[str, list[FuzzCase]] = {}
    for c in all_cases:
        by_cat.setdefault(c.category, []).append(c)
    return [c for cat in sorted(by_cat) for c in rng.sample(by_cat[cat], min(per_category, len(by_cat[cat])))]


def song_problems(song) -> list[str]:
    """What is wrong with a Song that ``read()`` returned (empty list: a valid Song)."""
    import math

    import numpy as np

    bad = []
    if song.n_notes(drums=False) == 0:
        bad.append("no pitched notes")
    for i, t in enumerate(song.tracks):
        n = t.n_notes
        if not all(a.shape == (n,) for a in (t.start, t.end, t.pitch, t.velocity)):
            bad.append(f"track {i}: ragged note arrays")
            continue
        if n and not (np.isfinite(t.start).all() and np.isfinite(t.end).all() and t.start.min() >= 0):
            bad.append(f"track {i}: times not finite or negative")
        if n and not (t.end > t.start).all():
            bad.append(f"track {i}: a note ends before it starts")
        if n and not (0 <= t.pitch.min() <= t.pitch.max() <= 127 and 1 <= t.velocity.min() <= t.velocity.max() <= 127):
            bad.append(f"track {i}: pitch or velocity out of MIDI range")
        if not 0 <= t.program <= 127:
            bad.append(f"track {i}: program {t.program}")
        if not isinstance(t.name, str) or len(t.name) > 128 or \
                any(ord(c) < 32 or 127 <= ord(c) < 160 for c in t.name):
            bad.append(f"track {i}: name has control characters or is too long")
    times = [q for q, _ in song.tempos]
    if not song.tempos or times[0] != 0 or times != sorted(times) or not all(math.isfinite(q) for q in times):
        bad.append(f"tempo map {song.tempos[:3]}")
    if not all(1.0 <= qpm <= 2000.0 for _, qpm in song.tempos):
        bad.append("absurd tempo kept")
    sigs = song.time_signatures
    if not sigs or sigs[0][0] != 0 or any(q < 0 or n < 1 or d < 1 or d & (d - 1) for q, n, d in sigs):
        bad.append(f"time signatures {sigs[:3]}")
    if any(q < 0 or not 0 <= k <= 23 for q, k in song.key_signatures):
        bad.append("key signatures")
    if not song.resolution > 0 or not math.isfinite(song.end):
        bad.append("resolution or end")
    return bad
