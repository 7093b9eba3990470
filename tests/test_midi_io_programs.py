"""Programs set in a separate set-up track (as in 10cc's "Dreadlock Holiday" on freemidi)."""
from __future__ import annotations

import io

import mido
import numpy as np

from midistyle.representation import read
from midistyle.representation.midi_io import from_midi_bytes, to_midi_bytes
from midistyle.representation.programs import scan

SETUP = {0: 33, 1: 25, 2: 0, 3: 48, 4: 56, 5: 65, 6: 73, 7: 81}  # channels 1-8: bass, guitar, piano...


def _track(events, name=None):
    """A mido track from ``(abs tick, message)`` pairs."""
    tr = mido.MidiTrack()
    if name:
        tr.append(mido.MetaMessage("track_name", name=name, time=0))
    last = 0
    for t, msg in sorted(events, key=lambda e: e[0]):
        tr.append(msg.copy(time=t - last))
        last = t
    return tr


def _notes(ch, pitch, ticks, length=240):
    ev = []
    for t in ticks:
        ev.append((t, mido.Message("note_on", channel=ch, note=pitch, velocity=90)))
        ev.append((t + length, mido.Message("note_off", channel=ch, note=pitch)))
    return ev


def setup_track_file() -> bytes:
    """Track 1 sets the programs of channels 1-8 (and moves channel 6 to a trumpet at bar 3);
    the notes sit in the other tracks, one per channel; one track sets its own program; drums."""
    mf = mido.MidiFile(ticks_per_beat=480)
    setup = [(0, mido.MetaMessage("set_tempo", tempo=500000))]
    setup += [(0, mido.Message("program_change", channel=ch, program=p)) for ch, p in SETUP.items()]
    setup.append((3840, mido.Message("program_change", channel=5, program=56)))  # bar 3: trumpet
    mf.tracks.append(_track(setup, "setup"))
    for ch in range(8):
        mf.tracks.append(_track(_notes(ch, 40 + 3 * ch, range(0, 7680, 960)), f"part{ch + 1}"))
    own = [(0, mido.Message("program_change", channel=8, program=19))] + _notes(8, 70, [0, 960])
    mf.tracks.append(_track(own, "organ"))
    mf.tracks.append(_track(_notes(9, 36, [0, 480, 960]), "drums"))
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


def _programs(song):
    return sorted((t.name, t.program, t.is_drum, t.n_notes) for t in song.tracks)


def test_programs_from_a_setup_track_reach_the_parts():
    song = from_midi_bytes(setup_track_file(), source="dreadlock.mid")
    got = _programs(song)
    expected = [(f"part{ch + 1}", p, False, 8) for ch, p in SETUP.items() if ch != 5]
    expected += [("part6", 65, False, 4), ("part6", 56, False, 4)]  # split where the set-up track moves it
    expected += [("organ", 19, False, 2), ("drums", 0, True, 3)]
    assert got == sorted(expected)
    # the parts play what they did: same notes, only the programs changed
    assert song.n_notes() == 8 * 8 + 2 + 3
    by_name = {(t.name, t.program): t for t in song.tracks}
    np.testing.assert_allclose(by_name[("part6", 56)].start, [8.0, 10.0, 12.0, 14.0])


def test_programs_survive_a_round_trip(tmp_path):
    song = from_midi_bytes(setup_track_file(), source="dreadlock.mid")
    path = tmp_path / "out.mid"
    path.write_bytes(to_midi_bytes(song))
    assert _programs(read(path)) == _programs(song)


def test_a_track_that_sets_its_own_program_keeps_it():
    """Only notes whose own track never set their channel's program borrow one."""
    mf = mido.MidiFile(ticks_per_beat=480)
    mf.tracks.append(_track([(0, mido.Message("program_change", channel=0, program=33))], "setup"))
    mine = [(0, mido.Message("program_change", channel=0, program=0))] + _notes(0, 60, [0, 480])
    mf.tracks.append(_track(mine, "piano"))
    mf.tracks.append(_track(_notes(1, 64, [0]), "unset, no set-up for its channel"))
    buf = io.BytesIO()
    mf.save(file=buf)
    assert [(t.name, t.program) for t in from_midi_bytes(buf.getvalue()).tracks] == [
        ("piano", 0), ("unset, no set-up for its channel", 0)]


def test_scan_matches_mido():
    data = setup_track_file()
    chunks = scan(data)
    mf = mido.MidiFile(file=io.BytesIO(data))
    assert len(chunks) == len(mf.tracks)
    for (progs, keys), tr in zip(chunks, mf.tracks):
        tick, want = 0, []
        for msg in tr:
            tick += msg.time
            if msg.type == "program_change":
                want.append((tick, msg.channel, msg.program))
        assert progs == want
        assert {ch for ch, _ in keys} == {m.channel for m in tr if m.type == "note_on" and m.velocity}
