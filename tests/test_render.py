"""MIDI -> WAV rendering: files that open, bounded lengths, audible levels, atomic failure."""
from __future__ import annotations

import ctypes.util
import sys
import wave
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest

from midistyle import render as R
from midistyle.errors import InputError, OutputError, RenderError

needs_synth = pytest.mark.skipif(
    not R.fluidsynth_available(),
    reason="libfluidsynth cannot be loaded: run ./setup.sh or `sudo apt-get install libfluidsynth3`",
)
RATE = 22050  # half rate keeps the suite quick; the code path is the same


# ---------------------------------------------------------------- fixtures built in code
def melody(program: int = 0, seconds_per_note: float = 0.4) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=program, name="lead")
    for i, pitch in enumerate([60, 62, 64, 65, 67, 65, 64, 62]):
        t = i * seconds_per_note
        inst.notes.append(pretty_midi.Note(90, pitch, t, t + seconds_per_note * 0.9))
    pm.instruments.append(inst)
    return pm


def band() -> pretty_midi.PrettyMIDI:
    """Piano chords, bass, strings and a drum kit over 2 s."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano, bass = pretty_midi.Instrument(0), pretty_midi.Instrument(33)
    strings, drums = pretty_midi.Instrument(48), pretty_midi.Instrument(0, is_drum=True)
    for beat in range(4):
        t = beat * 0.5
        piano.notes += [pretty_midi.Note(80, p, t, t + 0.45) for p in (60, 64, 67)]
        bass.notes.append(pretty_midi.Note(90, 36, t, t + 0.45))
        drums.notes.append(pretty_midi.Note(100, 36 if beat % 2 == 0 else 38, t, t + 0.1))
    strings.notes.append(pretty_midi.Note(60, 72, 0.0, 2.0))
    pm.instruments += [piano, bass, strings, drums]
    return pm


def drums_only() -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(0, is_drum=True)
    for i in range(8):
        kit.notes.append(pretty_midi.Note(100, (36, 42, 38, 42)[i % 4], i * 0.25, i * 0.25 + 0.05))
    pm.instruments.append(kit)
    return pm


def write_without_program_change(path: Path) -> None:
    """A type-0 file with notes only: no program change, no bank select."""
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    for pitch in (60, 64, 67, 72):
        track.append(mido.Message("note_on", note=pitch, velocity=90, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(track)
    mid.save(path)


def read_wav(path: Path) -> tuple[int, int, np.ndarray]:
    """(rate, channels, samples as float in [-1, 1) shaped (frames, channels))."""
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        assert wav.getsampwidth() == 2
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return rate, channels, data.reshape(-1, channels).astype(np.float64) / 32768


def dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12)


def song_end(pm: pretty_midi.PrettyMIDI) -> float:
    return max(n.end for inst in pm.instruments for n in inst.notes)


def assert_rendered(path: Path, end: float, tail: float = 1.0) -> np.ndarray:
    rate, channels, x = read_wav(path)
    assert (rate, channels) == (RATE, 2)
    duration = len(x) / rate
    assert end < duration <= end + tail + 0.1
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-1.0, abs=0.1)  # normalised peak
    assert -30 < dbfs(x) < -3  # audible, not clipped flat
    return x


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- rendering
@needs_synth
def test_piano_melody_renders_at_expected_length_and_level(tmp_path):
    pm = melody()
    out = R.render(pm, tmp_path / "melody.wav", rate=RATE)
    assert out == tmp_path / "melody.wav"
    x = assert_rendered(out, song_end(pm))
    # the first note sounds from the start; the tail after release is quieter than the song
    first = x[: RATE // 4]
    last = x[-RATE // 4:]
    assert dbfs(first) > -30
    assert dbfs(last) < dbfs(first) - 10


@needs_synth
def test_file_without_program_change_is_not_silent(tmp_path):
    src = tmp_path / "noprog.mid"
    write_without_program_change(src)
    out = R.render(src, tmp_path / "noprog.wav", rate=RATE)
    assert_rendered(out, 4 * 0.25)  # 4 eighth notes at the default 120 bpm


@needs_synth
def test_multi_instrument_with_drums(tmp_path):
    pm = band()
    out = R.render(pm, tmp_path / "band.wav", rate=RATE, tail=0.5)
    assert_rendered(out, 2.0, tail=0.5)


@needs_synth
def test_drums_only_is_not_silent(tmp_path):
    pm = drums_only()
    out = R.render(pm, tmp_path / "drums.wav", rate=RATE)
    x = assert_rendered(out, song_end(pm))
    assert dbfs(x[: int(0.1 * RATE)]) > -30  # the kick at t=0 is heard


@needs_synth
def test_very_long_last_note_bounds_the_length(tmp_path):
    pm = melody(program=19)  # church organ: sustains as long as the key is held
    pm.instruments[0].notes.append(pretty_midi.Note(80, 48, 3.0, 15.0))
    out = R.render(pm, tmp_path / "long.wav", rate=RATE)
    x = assert_rendered(out, 15.0)
    assert dbfs(x[int(13.5 * RATE): int(14.5 * RATE)]) > -30  # still held near its end


@needs_synth
def test_unclosed_note_in_file_still_ends(tmp_path):
    src = tmp_path / "unclosed.mid"
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([
        mido.Message("note_on", note=60, velocity=90, time=0),
        mido.Message("note_on", note=67, velocity=90, time=0),  # never closed
        mido.Message("note_off", note=60, velocity=0, time=480),
        mido.MetaMessage("end_of_track", time=0),
    ])
    mid.tracks.append(track)
    mid.save(src)
    out = R.render(src, tmp_path / "unclosed.wav", rate=RATE)
    rate, _, x = read_wav(out)
    assert len(x) / rate <= 0.5 + 1.0 + 0.1


@needs_synth
def test_overlapping_same_pitch_sounds_until_the_last_note_off(tmp_path):
    pm = pretty_midi.PrettyMIDI()
    organ = pretty_midi.Instrument(19)
    organ.notes += [pretty_midi.Note(90, 60, 0.0, 2.0), pretty_midi.Note(90, 60, 1.0, 3.0)]
    pm.instruments.append(organ)
    out = R.render(pm, tmp_path / "overlap.wav", rate=RATE)
    _, _, x = read_wav(out)
    held = dbfs(x[int(0.5 * RATE): int(1.5 * RATE)])
    assert dbfs(x[int(2.2 * RATE): int(2.9 * RATE)]) > held - 6  # not cut at the first note-off
    assert dbfs(x[int(3.6 * RATE):]) < held - 20  # released at 3 s


@needs_synth
def test_zero_length_notes_are_skipped(tmp_path):
    pm = melody()
    pm.instruments[0].notes.append(pretty_midi.Note(90, 72, 10.0, 10.0))  # would extend the song
    out = R.render(pm, tmp_path / "zero.wav", rate=RATE)
    assert_rendered(out, song_end(melody()))


@needs_synth
def test_more_than_16_instruments(tmp_path):
    pm = pretty_midi.PrettyMIDI()
    for i in range(22):
        inst = pretty_midi.Instrument(program=i * 5 % 128, is_drum=i in (3, 17))
        inst.notes.append(pretty_midi.Note(70, 40 + i, i * 0.1, i * 0.1 + 0.3))
        pm.instruments.append(inst)
    channels = R.assign_channels(pm.instruments)
    assert channels[3] == 9 and channels[17] % 16 == 9
    melodic = [c for c, inst in zip(channels, pm.instruments) if not inst.is_drum]
    assert len(set(melodic)) == len(melodic) and all(c % 16 != 9 for c in melodic)
    out = R.render(pm, tmp_path / "many.wav", rate=RATE)
    assert_rendered(out, song_end(pm))


def test_channels_are_shared_by_program_past_256_instruments():
    instruments = [pretty_midi.Instrument(program=i % 128) for i in range(300)]
    channels = R.assign_channels(instruments)
    by_program = {}
    for inst, chan in zip(instruments, channels):
        assert by_program.setdefault(inst.program, chan) == chan
        assert chan % 16 != 9


@needs_synth
def test_render_compare_is_a_then_gap_then_b(tmp_path):
    a, b = melody(), band()
    out = R.render_compare(a, b, tmp_path / "ab.wav", gap=0.5, rate=RATE, tail=0.5)
    rate, channels, x = read_wav(out)
    len_a, len_b = round((song_end(a) + 0.5) * RATE), round((song_end(b) + 0.5) * RATE)
    assert (rate, channels) == (RATE, 2)
    assert abs(len(x) - (len_a + round(0.5 * RATE) + len_b)) <= 2
    assert np.all(x[len_a: len_a + round(0.5 * RATE)] == 0)  # the gap is silent
    assert dbfs(x[:len_a]) > -30 and dbfs(x[-len_b:]) > -30
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-1.0, abs=0.1)


# ---------------------------------------------------------------- errors leave nothing behind
@needs_synth
def test_empty_midi_raises_and_leaves_no_file(tmp_path):
    pm = pretty_midi.PrettyMIDI()
    pm.instruments.append(pretty_midi.Instrument(0))
    with pytest.raises(RenderError, match="no notes"):
        R.render(pm, tmp_path / "empty.wav")
    src = tmp_path / "empty.mid"
    pretty_midi.PrettyMIDI().write(str(src))
    with pytest.raises(RenderError, match="no notes"):
        R.render(src, tmp_path / "empty.wav")
    assert leftovers(tmp_path) == ["empty.mid"]


@needs_synth
def test_synth_failure_mid_render_leaves_nothing(tmp_path, monkeypatch):
    module, write_float = R.load_fluidsynth()
    calls = []

    def flaky(*args):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("synth died")
        return write_float(*args)

    monkeypatch.setattr(R, "_fluid", (module, flaky))
    monkeypatch.setattr(R, "_BLOCK_FRAMES", 1024)
    with pytest.raises(RuntimeError, match="synth died"):
        R.render(melody(), tmp_path / "out.wav", rate=RATE)
    assert leftovers(tmp_path) == []


@needs_synth
def test_write_failure_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.wav"
    target.write_bytes(b"old")
    real = wave.Wave_write.writeframes
    calls = []

    def flaky(self, data):
        calls.append(1)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(wave.Wave_write, "writeframes", flaky)
    monkeypatch.setattr(R, "_WRITE_CHUNK_FRAMES", 4096)
    with pytest.raises(OutputError, match="No space left"):
        R.render(melody(), target, rate=RATE)
    assert len(calls) > 1  # it failed part-way through the data
    assert leftovers(tmp_path) == ["out.wav"]
    assert target.read_bytes() == b"old"


def test_missing_soundfont_path_raises(tmp_path):
    missing = tmp_path / "nope.sf2"
    with pytest.raises(RenderError, match="nope.sf2"):
        R.render(melody(), tmp_path / "out.wav", soundfont=missing)
    assert leftovers(tmp_path) == []


def test_file_that_is_not_a_soundfont_raises(tmp_path):
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    with pytest.raises(RenderError, match="not a SoundFont"):
        R.render(melody(), tmp_path / "out.wav", soundfont=junk)
    assert leftovers(tmp_path) == ["junk.sf2"]


def test_bad_midi_paths_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        R.render(tmp_path / "missing.mid", tmp_path / "out.wav")
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"MThd this is not midi")
    with pytest.raises(InputError) as info:
        R.render(junk, tmp_path / "out.wav")
    assert info.value.path == str(junk)
    assert leftovers(tmp_path) == ["junk.mid"]


def test_missing_libfluidsynth_is_one_actionable_line(monkeypatch):
    monkeypatch.setattr(R, "_fluid", None)
    monkeypatch.delitem(sys.modules, "fluidsynth", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.delenv("HOMEBREW_PREFIX", raising=False)
    with pytest.raises(RenderError) as info:
        R.load_fluidsynth()
    message = str(info.value)
    assert "libfluidsynth3" in message and "setup.sh" in message and "\n" not in message
    assert not R.fluidsynth_available()


# ---------------------------------------------------------------- soundfont lookup
def test_soundfont_lookup_order(tmp_path, monkeypatch):
    explicit, from_env, local = (tmp_path / n for n in ("explicit.sf2", "env.sf2", "local"))
    explicit.write_bytes(b"x")
    from_env.write_bytes(b"x")
    local.mkdir()
    (local / "b.sf3").write_bytes(b"x")
    (local / "a.sf2").write_bytes(b"x")
    monkeypatch.setattr(R, "REPO_SOUNDFONTS", local)
    monkeypatch.setenv(R.SOUNDFONT_ENV, str(from_env))
    assert R.find_soundfont(explicit) == explicit
    assert R.find_soundfont() == from_env
    monkeypatch.setenv(R.SOUNDFONT_ENV, str(tmp_path / "gone.sf2"))
    with pytest.raises(RenderError, match="gone.sf2"):
        R.find_soundfont()
    monkeypatch.delenv(R.SOUNDFONT_ENV)
    assert R.find_soundfont() == local / "a.sf2"
    monkeypatch.setattr(R, "REPO_SOUNDFONTS", tmp_path / "absent")
    system = tmp_path / "TimGM6mb.sf2"
    system.write_bytes(b"x")
    monkeypatch.setattr(R, "SYSTEM_SOUNDFONTS", (tmp_path / "FluidR3_GM.sf2", system))
    assert R.find_soundfont() == system
    monkeypatch.setattr(R, "SYSTEM_SOUNDFONTS", ())
    assert R.find_soundfont() == R.BUNDLED_SOUNDFONT
    monkeypatch.setattr(R, "BUNDLED_SOUNDFONT", tmp_path / "none.sf2")
    with pytest.raises(RenderError, match="setup.sh"):
        R.find_soundfont()


def test_bundled_soundfont_exists():
    assert R.BUNDLED_SOUNDFONT.is_file()  # the last resort always ships with pretty_midi
