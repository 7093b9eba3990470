"""Before/after for every target genre: a picture, a WAV pair and the style judge's verdicts.

    python examples/make_results.py [--song examples/band.mid] [--model shipped|RUN/best] [--seconds 12]
                                    [--only all|edit|arranged] [--arranged-seconds 30]

Converts one song (our own ``examples/band.mid`` by default: no third-party material) to each
genre with the shipped models (or one StarGAN checkpoint), draws it above its conversion
(``<stem>_to_<genre>.png``), renders the first ``--seconds`` of both through FluidSynth as mono
22,050 Hz WAVs (``<stem>.wav``, ``<stem>_to_<genre>.wav``; short, so the repository stays small),
and writes the style judge's probabilities of source and outputs to ``verdicts.md``.

The arrangement transfer (``convert``'s default, the shipped assets) gets its own files:
``arranged_to_<genre>.png`` (one lane per role, source beside output: ``compare --roles``),
``arranged_to_<genre>.wav`` (its first ``--arranged-seconds``) and ``arranged.md`` (per target,
what the output plays, read back from it). ``--only arranged`` makes only these.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

from midistyle import GENRES
from midistyle.atomic import atomic_path, write_text
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


def arranged_results(song: Path, out: Path, *, seconds: float = 30.0, bars: tuple[int, int] = (0, 8)) -> str:
    """``song`` arranged to every shipped genre (``convert``'s default): ``arranged_to_<genre>.png``
    (role lanes, source beside output), ``arranged_to_<genre>.wav`` (first ``seconds``) and
    ``arranged.md``: per target, each role's instruments, drums or none, and the swing ratio, all
    read back from the output as ``inspect --roles`` reads a song. Returns the markdown."""
    from midistyle.analysis.leadsheet import ROLES, read_lead_sheet
    from midistyle.arrangement.profile import song_stats
    from midistyle.evaluate.role_plots import compare_roles
    from midistyle.representation import read, write_midi
    from midistyle.transfer import load_converter

    cfg = RollConfig(steps_per_beat=12)  # fine enough for 16ths and swung triplet 8ths
    source = read(song)

    def swing(s) -> str:
        ratio = song_stats(read_lead_sheet(s), cfg)["swing"]
        return "-" if ratio is None else f"{ratio:.2f}"

    lines = [f"# `{song.name}` arranged to each genre", "",
             f"Made by `python examples/make_results.py --only arranged` (the shipped arrangement assets; "
             f"the same as `midistyle convert {song.name} --to GENRE`). Each picture draws bars "
             f"{bars[0] + 1}-{bars[1]}, one lane per role as `midistyle inspect --roles` reads them (source "
             f"left, output right); each WAV is the output's first {seconds:g} s (the source's first seconds: "
             f"[{song.stem}.wav]({song.stem}.wav)). Everything below is read back from the files: a role's "
             f"instruments are its tracks' GM programs; swing is the median 8th-pair ratio (0.50 straight, "
             f"0.67 triplet; - where fewer than 8 pairs were played). The melody keeps the source's pitches and "
             f"phrasing (only its instrument and feel change); bass, comp and drums are real bars of the genre's "
             f"bank picked to fit the chords; a role marked none is one fewer than half the genre's songs play.", "",
             "| song | " + " | ".join(ROLES) + " | swing | notes | files |", "|---|" + "---|" * (len(ROLES) + 3)]
    with tempfile.TemporaryDirectory() as work:
        for genre in GENRES:
            mid = Path(work) / f"arranged_to_{genre}.mid"
            arranged, _ = load_converter(genre).convert_song(source)
            write_midi(arranged, mid)
            png, wav = f"arranged_to_{genre}.png", f"arranged_to_{genre}.wav"
            info = compare_roles(song, mid, out / png, bars=bars, cfg=cfg)
            excerpt_wav(mid, out / wav, seconds)
            if genre == GENRES[0]:
                cells = [", ".join(info["instruments"][r][0]) or "none" for r in ROLES]
                lines.append("| source | " + " | ".join(cells) + f" | {swing(source)} | {source.n_notes()} | "
                             f"[{song.name}](../{song.name}) |")
            cells = [", ".join(info["instruments"][r][1]) or "**none**" for r in ROLES]
            lines.append(f"| to {genre} | " + " | ".join(cells) + f" | {swing(arranged)} | {arranged.n_notes()} | "
                         f"[png]({png}), [wav]({wav}) |")
            print(f"arranged {genre}: {out / png}", file=sys.stderr)
    text = "\n".join(lines) + "\n"
    write_text(out / "arranged.md", text)
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--song", type=Path, default=HERE / "band.mid")
    ap.add_argument("--model", default="shipped", help="'shipped' (one GAN per genre) or a StarGAN checkpoint")
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--bars", default="0:8", help="Bars drawn in the pictures")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "results")
    ap.add_argument("--only", choices=("all", "edit", "arranged"), default="all",
                    help="edit: the models' conversions and verdicts; arranged: the arrangement transfer's files")
    ap.add_argument("--arranged-seconds", type=float, default=30.0)
    args = ap.parse_args(argv)
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    first, end = (int(x) for x in args.bars.split(":"))
    if args.only in ("all", "arranged"):
        print(arranged_results(args.song, out, seconds=args.arranged_seconds, bars=(first, end)))
    if args.only == "arranged":
        return 0
    stem = args.song.stem
    judge = StyleJudge.load()
    rows = [("source", judge.classify(args.song))]
    excerpt_wav(args.song, out / f"{stem}.wav", args.seconds)
    genres = GENRES
    if args.model != "shipped":  # a StarGAN trained with --focus converts into its focus genres only
        from midistyle.models.checkpoint import read_meta
        genres = tuple(read_meta(args.model).target) or GENRES
    with tempfile.TemporaryDirectory() as work:
        for genre in genres:
            mid = Path(work) / f"{stem}_to_{genre}.mid"
            pm = convert(args.song, genre, model=None if args.model == "shipped" else args.model, edit=args.model == "shipped")
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
