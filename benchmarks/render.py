"""Seconds to render a generated multi-track song: midistyle.render vs the fluidsynth CLI.

    python benchmarks/render.py [--seconds 180] [--repeat 3] [--soundfont PATH]

The song (piano chords, bass, flute, strings, drums; about 20 notes a second) is written
to a temporary MIDI file; each renderer makes a 44.1 kHz stereo WAV from it. The table
gives the best of ``--repeat`` runs, the real-time factor and the ratio to the CLI.
pretty_midi's own ``fluidsynth()`` is timed too (it returns an array, writes no file).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

with contextlib.redirect_stdout(io.StringIO()):
    import pretty_midi

from midistyle import render as R


def make_song(seconds: float, bpm: float = 120.0, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """A 5-track song of ``seconds``: chords every beat, bass, eighth-note lead, pads, drums."""
    rng = np.random.default_rng(seed)
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    beat = 60.0 / bpm
    piano, bass, lead = pretty_midi.Instrument(0), pretty_midi.Instrument(33), pretty_midi.Instrument(73)
    strings, drums = pretty_midi.Instrument(48), pretty_midi.Instrument(0, is_drum=True)
    chords = [[48, 52, 55], [45, 48, 52], [41, 45, 48], [43, 47, 50]]
    scale = [72, 74, 76, 77, 79, 81, 83, 84]
    for b in range(int(seconds / beat)):
        t, chord = b * beat, chords[(b // 4) % 4]
        piano.notes += [pretty_midi.Note(80, p + 12, t, t + 0.9 * beat) for p in chord]
        bass.notes.append(pretty_midi.Note(90, chord[0] - 12, t, t + 0.95 * beat))
        for k in range(2):
            start = t + k * beat / 2
            lead.notes.append(pretty_midi.Note(int(rng.integers(60, 100)), int(rng.choice(scale)),
                                               start, start + beat / 2))
            drums.notes.append(pretty_midi.Note(70, 42, start, start + 0.05))
        if b % 4 == 0:
            strings.notes += [pretty_midi.Note(60, p, t, t + 4 * beat) for p in chord]
        drums.notes.append(pretty_midi.Note(100, 36 if b % 2 == 0 else 38, t, t + 0.1))
    pm.instruments += [piano, bass, lead, strings, drums]
    return pm


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--soundfont", default=None)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed to the CLI")
    args = parser.parse_args()

    sf = R.find_soundfont(args.soundfont)
    pm = make_song(args.seconds)
    n_notes = sum(len(inst.notes) for inst in pm.instruments)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mid, ours, cli = Path(tmp) / "song.mid", Path(tmp) / "ours.wav", Path(tmp) / "cli.wav"
        pm.write(str(mid))
        t = best_of(args.repeat, lambda: R.render(mid, ours, soundfont=sf))
        rows.append(("midistyle.render (file -> WAV)", t, wav_seconds(ours)))

        exe = shutil.which("fluidsynth")
        if exe:
            cmd = [exe, "-ni", "-q", "-g", "0.2", "-r", "44100", "-F", str(cli), str(sf), str(mid)]

            def run_cli() -> None:
                subprocess.run(cmd, check=True, timeout=args.timeout,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            try:
                t = best_of(args.repeat, run_cli)
                rows.append(("fluidsynth -ni CLI (file -> WAV)", t, wav_seconds(cli)))
            except subprocess.TimeoutExpired:
                rows.append((f"fluidsynth -ni CLI: timed out after {args.timeout:.0f} s", float("nan"), float("nan")))
        else:
            rows.append(("fluidsynth CLI: not installed", float("nan"), float("nan")))

        audio = None

        def pm_synth() -> None:
            nonlocal audio
            audio = pm.fluidsynth(fs=44100, synthesizer=str(sf))

        t = best_of(args.repeat, pm_synth)
        rows.append(("pretty_midi.fluidsynth (array only)", t, len(audio) / 44100))

    cli_t = rows[1][1]
    print(f"song: {args.seconds:.0f} s, {len(pm.instruments)} tracks, {n_notes} notes; "
          f"soundfont {sf.name}; best of {args.repeat}")
    print(f"| {'renderer':40s} | seconds | x real time | vs CLI | audio s |")
    print(f"|{'-' * 42}|---------|-------------|--------|---------|")
    for name, t, dur in rows:
        print(f"| {name:40s} | {t:7.2f} | {args.seconds / t:11.0f} | {t / cli_t:6.2f} | {dur:7.1f} |")


if __name__ == "__main__":
    main()
