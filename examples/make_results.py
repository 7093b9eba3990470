"""Before/after for every target genre: a picture, a WAV pair and the style judge's verdicts.

    python examples/make_results.py [--song examples/band.mid] [--model shipped|RUN/best] [--seconds 12]

Converts one song (our own ``examples/band.mid`` by default: no third-party material) to each
genre with the shipped models (or one StarGAN checkpoint), draws it above its conversion
(``<stem>_to_<genre>.png``), renders the first ``--seconds`` of both through FluidSynth as mono
22,050 Hz WAVs (``<stem>.wav``, ``<stem>_to_<genre>.wav``; short, so the repository stays small),
and writes the style judge's probabilities of source and outputs to ``verdicts.md``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

from midistyle import GENRES
from midistyle.atomic import atomic_path
from midistyle.evaluate.report import compare
from midistyle.render import render
from midistyle.config import RollConfig
from midistyle.style.judge import StyleJudge
from midistyle.transfer import convert

HERE = Path(__file__).parent
RATE = 22050


def excerpt_wav(midi: Path, out: Path, seconds: float) -> Path:
    """Render ``midi`` and keep its first ``seconds`` as mono 16-bit ``RATE`` Hz, faded out over 0.5 s."""
    full = out.with_suffix(".full.wav")
    render(midi, full, rate=RATE, tail=0.5)
    with wave.open(str(full), "rb") as w:
        channels, frames = w.getnchannels(), w.readframes(w.getnframes())
    full.unlink()
    audio = np.frombuffer(frames, np.int16).reshape(-1, channels).astype(np.float64).mean(axis=1)
    audio = audio[: int(seconds * RATE)]
    fade = min(len(audio), RATE // 2)
    audio[len(audio) - fade:] *= np.linspace(1.0, 0.0, fade)
    with atomic_path(out) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(np.rint(audio), -32768, 32767).astype(np.int16).tobytes())
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--song", type=Path, default=HERE / "band.mid")
    ap.add_argument("--model", default="shipped", help="'shipped' (one GAN per genre) or a StarGAN checkpoint")
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--bars", default="0:8", help="Bars drawn in the pictures")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    stem = args.song.stem
    judge = StyleJudge.load()
    first, end = (int(x) for x in args.bars.split(":"))
    rows = [("source", judge.classify(args.song))]
    excerpt_wav(args.song, out / f"{stem}.wav", args.seconds)
    genres = GENRES
    if args.model != "shipped":  # a StarGAN trained with --focus converts into its focus genres only
        from midistyle.models.checkpoint import read_meta
        genres = tuple(read_meta(args.model).target) or GENRES
    with tempfile.TemporaryDirectory() as work:
        for genre in genres:
            mid = Path(work) / f"{stem}_to_{genre}.mid"
            pm = convert(args.song, genre, model=None if args.model == "shipped" else args.model)
            with atomic_path(mid) as tmp:
                pm.write(str(tmp))
            compare(args.song, mid, out / f"{stem}_to_{genre}.png", bars=(first, end), cfg=RollConfig())
            excerpt_wav(mid, out / f"{stem}_to_{genre}.wav", args.seconds)
            rows.append((f"to {genre}", judge.classify(mid)))
            print(f"{genre}: {out / f'{stem}_to_{genre}.png'}", file=sys.stderr)
    lines = [f"Style judge on `{args.song.name}` and its conversions (model: {args.model})", "",
             "| song | " + " | ".join(judge.genres) + " | verdict |", "|---|" + "---|" * (len(judge.genres) + 1)]
    for name, probs in rows:
        top = max(probs, key=probs.get)
        lines.append(f"| {name} | " + " | ".join(f"{probs[g]:.2f}" for g in judge.genres) + f" | {top} |")
    (out / "verdicts.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
