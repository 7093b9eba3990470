"""MIDI -> WAV through FluidSynth, driven note by note.

The synth is fed from the note list (note on/off, control changes and pitch bends at
sample positions) rather than FluidSynth's own MIDI player: Debian's FluidSynth 2.3.1
renders forever on an unclosed note, and the player needs program changes in the file.
Here every channel gets an explicit program, every note is closed, and the length is
the last note's end plus ``tail`` seconds, so a render always ends.

``fluidsynth`` (pyfluidsynth) is imported on first use only: it needs libfluidsynth at
import time and prints to stdout when the ``CI`` variable is set (so does ``pretty_midi``,
which imports it).
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import warnings
import wave
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

with contextlib.redirect_stdout(io.StringIO()):
    import pretty_midi  # it imports pyfluidsynth, which prints a line when $CI is set

from midistyle.atomic import atomic_path
from midistyle.errors import InputError, OutputError, RenderError, one_line

__all__ = ["assign_channels", "find_soundfont", "fluidsynth_available", "load_fluidsynth", "render", "render_compare"]

SOUNDFONT_ENV = "MIDISTYLE_SOUNDFONT"
REPO_SOUNDFONTS = Path(__file__).resolve().parents[1] / "soundfonts"
SYSTEM_SOUNDFONTS = tuple(
    Path("/usr/share/sounds/sf2") / name for name in ("TimGM6mb.sf2", "FluidR3_GM.sf2", "default-GM.sf2")
)
BUNDLED_SOUNDFONT = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
PEAK_DBFS = -1.0
DRUM_CHANNEL = 9

_LIB_MISSING = "libfluidsynth not found: run ./setup.sh or `sudo apt-get install libfluidsynth3`"
_SYNTH_GAIN = 0.2          # FluidSynth's default; the float output is normalised afterwards
_BLOCK_FRAMES = 8192       # frames per synth call between events
_WRITE_CHUNK_FRAMES = 1 << 16  # frames per WAV write (bounds the int16 copy)
_MAX_CHANNELS = 256        # FluidSynth's limit on synth.midi-channels
_NOTE_OFF, _CONTROL, _NOTE_ON = 0, 1, 2  # order of events that fall on one sample
_fluid: tuple[Any, Callable[..., int]] | None = None


# ---------------------------------------------------------------- library and soundfont
def load_fluidsynth() -> tuple[Any, Callable[..., int]]:
    """Import pyfluidsynth once (stdout silenced); return it and ``fluid_synth_write_float``."""
    global _fluid
    if _fluid is None:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                import fluidsynth
        except ModuleNotFoundError as exc:
            if exc.name == "fluidsynth":
                raise RenderError("pyfluidsynth is not installed: pip install pyfluidsynth") from None
            raise RenderError(_LIB_MISSING) from None
        except (ImportError, OSError):
            raise RenderError(_LIB_MISSING) from None
        from ctypes import c_int, c_void_p

        write_float = fluidsynth.cfunc(
            "fluid_synth_write_float", c_int, ("synth", c_void_p, 1), ("len", c_int, 1),
            ("lout", c_void_p, 1), ("loff", c_int, 1), ("lincr", c_int, 1),
            ("rout", c_void_p, 1), ("roff", c_int, 1), ("rincr", c_int, 1),
        )
        if write_float is None:
            raise RenderError("this libfluidsynth lacks fluid_synth_write_float; install libfluidsynth3")
        _fluid = (fluidsynth, write_float)
    return _fluid


def fluidsynth_available() -> bool:
    """Return True when pyfluidsynth and libfluidsynth can be loaded."""
    try:
        load_fluidsynth()
    except RenderError:
        return False
    return True


def find_soundfont(explicit: str | os.PathLike | None = None) -> Path:
    """Locate a General MIDI soundfont.

    Parameters
    ----------
    explicit : path, optional
        A soundfont to use; it must exist.

    Returns
    -------
    Path
        The first found of: ``explicit``; ``$MIDISTYLE_SOUNDFONT``; an ``*.sf2``/``*.sf3``
        in the checkout's ``soundfonts/`` folder (alphabetical); Debian's
        ``/usr/share/sounds/sf2/{TimGM6mb,FluidR3_GM,default-GM}.sf2``; the TimGM6mb.sf2
        bundled with pretty_midi.

    Raises
    ------
    RenderError
        ``explicit`` or ``$MIDISTYLE_SOUNDFONT`` names a missing file, or none is found.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise RenderError(f"soundfont not found: {path}")
        return path
    env = os.environ.get(SOUNDFONT_ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise RenderError(f"soundfont not found: {path} (from ${SOUNDFONT_ENV})")
        return path
    if REPO_SOUNDFONTS.is_dir():
        local = sorted(p for p in REPO_SOUNDFONTS.iterdir() if p.suffix.lower() in (".sf2", ".sf3") and p.is_file())
        if local:
            return local[0]
    for path in (*SYSTEM_SOUNDFONTS, BUNDLED_SOUNDFONT):
        if path.is_file():
            return path
    raise RenderError(
        "no soundfont found: run ./setup.sh (or `sudo apt-get install timgm6mb-soundfont`), "
        f"drop an .sf2 into soundfonts/, or pass --soundfont / set ${SOUNDFONT_ENV}"
    )


def _check_soundfont(path: Path) -> Path:
    """Refuse files that are not RIFF/sfbk (.sf2, .sf3) before FluidSynth logs C-level noise."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError as exc:
        raise RenderError(f"cannot read soundfont {path}: {exc.strerror or exc}") from None
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise RenderError(f"not a SoundFont (.sf2/.sf3): {path}")
    return path


# ---------------------------------------------------------------- song -> events
def _load_midi(midi: str | os.PathLike | pretty_midi.PrettyMIDI) -> pretty_midi.PrettyMIDI:
    if isinstance(midi, pretty_midi.PrettyMIDI):
        return midi
    if not isinstance(midi, (str, os.PathLike)):
        raise TypeError(f"midi must be a path or pretty_midi.PrettyMIDI, not {type(midi).__name__}")
    from midistyle.representation.files import SCORE_SUFFIXES
    from midistyle.representation.midi_io import split_tune

    path, tune = split_tune(midi)
    if tune is not None or path.suffix.lower() in SCORE_SUFFIXES or os.fspath(midi).startswith("corpus:"):
        from midistyle.representation import read, to_pretty_midi  # a score or a tune of a book: rendered as read

        return to_pretty_midi(read(midi, require_pitched=False))
    if not path.is_file():
        raise InputError(path, "no such file")
    with open(path, "rb") as f:  # the reader's words for a file that is no MIDI (an empty one too)
        if f.read(4) != b"MThd":
            raise InputError(path, "not a MIDI file (no MThd header)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # mido/pretty_midi raise a zoo: KeyError, ValueError, EOFError, OSError...
        raise InputError(path, f"malformed MIDI: {one_line(exc, limit=160)}") from None


def assign_channels(instruments: list[pretty_midi.Instrument]) -> list[int]:
    """One channel per instrument: drums on 9, 25, 41... (c % 16 == 9), the rest on the others.

    Past FluidSynth's 256 channels, melodic instruments with the same program share one,
    then the rest go round-robin; extra drum tracks share the drum channels round-robin.
    """
    drum_pool = [c for c in range(_MAX_CHANNELS) if c % 16 == DRUM_CHANNEL]
    melodic_pool = [c for c in range(_MAX_CHANNELS) if c % 16 != DRUM_CHANNEL]
    n_melodic = sum(not inst.is_drum for inst in instruments)
    by_program: dict[int, int] = {}
    channels, n_drum, n_mel = [], 0, 0
    for inst in instruments:
        if inst.is_drum:
            channels.append(drum_pool[n_drum % len(drum_pool)])
            n_drum += 1
        elif n_melodic <= len(melodic_pool):
            channels.append(melodic_pool[n_mel])
            n_mel += 1
        else:
            if inst.program not in by_program:
                by_program[inst.program] = melodic_pool[len(by_program) % len(melodic_pool)]
            channels.append(by_program[inst.program])
    return channels


def _events(pm: pretty_midi.PrettyMIDI, channels: list[int], rate: int) -> tuple[list[tuple], int]:
    """Sorted (sample, order, kind, channel, a, b) events and the sample where the last note ends."""
    events: list[tuple] = []
    last_end = 0
    for inst, chan in zip(pm.instruments, channels):
        for note in inst.notes:
            if not (0 <= note.pitch <= 127) or note.velocity <= 0 or note.end <= note.start:
                continue  # out of range, silent or zero-length: never sent
            on = max(0, round(note.start * rate))
            off = max(on + 1, round(note.end * rate))  # a note shorter than a sample still closes
            vel = min(int(note.velocity), 127)
            events.append((on, _NOTE_ON, "on", chan, note.pitch, vel))
            events.append((off, _NOTE_OFF, "off", chan, note.pitch, 0))
            last_end = max(last_end, off)
        for cc in inst.control_changes:
            if 0 <= cc.number <= 127:
                events.append((max(0, round(cc.time * rate)), _CONTROL, "cc", chan, cc.number,
                               min(max(int(cc.value), 0), 127)))
        for bend in inst.pitch_bends:
            events.append((max(0, round(bend.time * rate)), _CONTROL, "bend", chan,
                           min(max(int(bend.pitch), -8192), 8191), 0))
    events.sort(key=lambda e: (e[0], e[1]))  # stable: same-time controls keep file order
    return events, last_end


# ---------------------------------------------------------------- synthesis
def _select_programs(synth: Any, sfid: int, instruments: list[pretty_midi.Instrument],
                     channels: list[int]) -> None:
    """Select each channel's preset, falling back to program 0 (or kit 0) when missing."""
    for inst, chan in zip(instruments, channels):
        bank = 128 if inst.is_drum else 0
        program = inst.program if synth.sfpreset_name(sfid, bank, inst.program) else 0
        synth.program_select(chan, sfid, bank, program)


def _synthesize(pm: pretty_midi.PrettyMIDI, soundfont: Path, rate: int, tail: float,
                max_seconds: float) -> np.ndarray:
    """Render ``pm`` to a float32 array of shape (frames, 2), not normalised."""
    channels = assign_channels(pm.instruments)
    events, last_end = _events(pm, channels, rate)
    if last_end == 0:
        raise RenderError("nothing to render: the song has no notes")
    total = last_end + round(tail * rate)
    if total > max_seconds * rate:
        raise RenderError(f"song lasts {total / rate:.0f} s, over the {max_seconds:.0f} s render limit")
    fluidsynth, write_float = load_fluidsynth()
    n_channels = 16 * math.ceil((max(channels) + 1) / 16)
    synth = fluidsynth.Synth(gain=_SYNTH_GAIN, samplerate=float(rate), channels=n_channels)
    try:
        sfid = synth.sfload(str(soundfont))
        if sfid < 0:
            raise RenderError(f"cannot load soundfont {soundfont}")
        _select_programs(synth, sfid, pm.instruments, channels)
        audio = np.zeros((total, 2), dtype=np.float32)
        base = audio.ctypes.data
        handle = synth.synth
        sounding: dict[tuple[int, int], int] = defaultdict(int)

        def fill(start: int, stop: int) -> None:
            for pos in range(start, stop, _BLOCK_FRAMES):
                n = min(_BLOCK_FRAMES, stop - pos)
                ptr = base + pos * 8  # 2 float32 per frame, interleaved L/R
                if write_float(handle, n, ptr, 0, 2, ptr, 1, 2) != 0:
                    raise RenderError("FluidSynth failed while rendering")

        pos = 0
        for sample, _, kind, chan, a, b in events:
            if sample >= total:
                break
            if sample > pos:
                fill(pos, sample)
                pos = sample
            if kind == "on":
                sounding[chan, a] += 1
                synth.noteon(chan, a, b)
            elif kind == "off":
                # overlapping notes of one pitch on one channel: release on the last note-off
                sounding[chan, a] -= 1
                if sounding[chan, a] <= 0:
                    sounding[chan, a] = 0
                    synth.noteoff(chan, a)
            elif kind == "cc":
                synth.cc(chan, a, b)
            else:
                synth.pitch_bend(chan, a)
        fill(pos, total)
    finally:
        synth.delete()
    return audio


def _write_wav(out_wav: str | os.PathLike, audio: np.ndarray, rate: int) -> Path:
    """Peak-normalise ``audio`` to ``PEAK_DBFS`` and write 16-bit stereo atomically."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-6:
        raise RenderError("rendered audio is silent: the soundfont has no sound for these notes")
    scale = 10 ** (PEAK_DBFS / 20) * 32767 / peak
    target = Path(out_wav)
    try:
        with atomic_path(target) as tmp:
            with wave.open(str(tmp), "wb") as wav:
                wav.setnchannels(2)
                wav.setsampwidth(2)
                wav.setframerate(rate)
                for start in range(0, len(audio), _WRITE_CHUNK_FRAMES):
                    chunk = np.rint(audio[start:start + _WRITE_CHUNK_FRAMES] * scale)
                    wav.writeframes(np.clip(chunk, -32768, 32767).astype("<i2").tobytes())
    except OSError as exc:
        raise OutputError(target, f"cannot write WAV ({exc.strerror or exc})") from None
    return target


def _check(rate: int, tail: float) -> None:
    if not 8000 <= rate <= 96000:
        raise ValueError(f"rate must be 8000..96000 Hz, got {rate}")
    if not tail >= 0:
        raise ValueError(f"tail must be >= 0 seconds, got {tail}")


def render(midi: str | os.PathLike | pretty_midi.PrettyMIDI, out_wav: str | os.PathLike, *,
           soundfont: str | os.PathLike | None = None, rate: int = 44100, tail: float = 1.0,
           max_seconds: float = 3600.0) -> Path:
    """Render a MIDI file or PrettyMIDI to a 16-bit stereo WAV peaking at -1 dBFS.

    Parameters
    ----------
    midi : path or pretty_midi.PrettyMIDI
        The song: a MIDI file, a score (MusicXML, kern, ABC; ``book.abc#3`` for a tune of a
        book; ``corpus:NAME``) as midistyle reads it, or a PrettyMIDI. Every instrument gets its own channel and explicit program (drums:
        bank 128); control changes and pitch bends are played, program changes in the
        file are not (each instrument has one program in pretty_midi).
    out_wav : path
        Written atomically: on any error no file (and no temporary file) is left.
    soundfont : path, optional
        See :func:`find_soundfont` for the default.
    rate : int
        Sample rate in Hz.
    tail : float
        Seconds rendered after the last note ends (release and reverb).
    max_seconds : float
        Refuse songs longer than this (the float buffer takes 21 MB a minute at 44.1 kHz).

    Returns
    -------
    Path
        ``out_wav``; it lasts the last note's end plus ``tail``.

    Raises
    ------
    InputError
        ``midi`` is a path that is missing or not a readable MIDI file.
    RenderError
        No notes, silent output, no libfluidsynth, or no usable soundfont.
    OutputError
        ``out_wav`` cannot be written.
    """
    _check(rate, tail)
    pm = _load_midi(midi)
    sf = _check_soundfont(find_soundfont(soundfont))
    return _write_wav(out_wav, _synthesize(pm, sf, rate, tail, max_seconds), rate)


def render_compare(a: str | os.PathLike | pretty_midi.PrettyMIDI,
                   b: str | os.PathLike | pretty_midi.PrettyMIDI,
                   out_wav: str | os.PathLike, *, gap: float = 1.0,
                   soundfont: str | os.PathLike | None = None, rate: int = 44100,
                   tail: float = 1.0, max_seconds: float = 3600.0) -> Path:
    """Render ``a``, ``gap`` seconds of silence, then ``b`` into one WAV.

    Both halves share one normalisation (the louder peak goes to -1 dBFS), so their
    relative loudness is kept. The other keywords and the errors are those of :func:`render`.
    """
    _check(rate, tail)
    if not gap >= 0:
        raise ValueError(f"gap must be >= 0 seconds, got {gap}")
    pm_a, pm_b = _load_midi(a), _load_midi(b)
    sf = _check_soundfont(find_soundfont(soundfont))
    audio_a = _synthesize(pm_a, sf, rate, tail, max_seconds)
    audio_b = _synthesize(pm_b, sf, rate, tail, max_seconds)
    silence = np.zeros((round(gap * rate), 2), dtype=np.float32)
    return _write_wav(out_wav, np.concatenate([audio_a, silence, audio_b]), rate)


class _CallableModule(type(sys.modules[__name__])):
    """``midistyle.render(...)`` calls :func:`render`: the package attribute is this module."""

    def __call__(self, *args, **kwargs):
        return render(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
