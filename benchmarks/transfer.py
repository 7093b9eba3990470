"""Does a generator transfer? The ship bar of the shipped models, judged by the style judge.

    python benchmarks/transfer.py --prepared prepared [--model RUN/best ...] [--per-genre 5] [--real 10]

For every target genre: ``--per-genre`` validation-split songs of each other genre are converted
(``midistyle evaluate``) with each model given (``shipped`` = the per-target GANs in the package;
a StarGAN checkpoint converts to every genre), and judged by the style judge, which no generator
trained against. ``--real`` validation songs of the target give the judge's recognition of real
music of that genre. The bar (issue 14; :mod:`midistyle.evaluate.ship_bar`, also ``midistyle bar REPORT...``): outputs
called the target >= 0.85 x real recognition, and onset F1 to the source >= 0.4; and ours besides:
the outputs' style profile (the report's mean distance of the judge's feature groups to real target
music) must lie nearer the target than the sources' did.
The "through the grid" column judges the same real target songs after convert's beat alignment and
grid with no model in between: the most a generator working on that grid could be recognised.
Prints one table and writes ``transfer.json`` beside the evaluate reports (``-o``); with several
models, names per target the one that moves most songs while keeping the song and moving the
profile toward the target. ``--skip 10`` draws other songs (for picking a checkpoint among
``RUN/step<N>`` snapshots) than the default report uses. Songs come from the prepared corpus's
index (validation split, MIDI files only, a seeded sample), so every model is judged on the same
songs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from midistyle.evaluate.report import evaluate
from midistyle.evaluate.ship_bar import F1_BAR, GENRE_BAR, bar_numbers, keeps_song_and_moves, verdict


def corpus_options(ap: argparse.ArgumentParser, output: str) -> None:
    """The options every song-sample benchmark shares: --prepared, --seed, -o."""
    ap.add_argument("--prepared", type=Path, default=Path("prepared"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", type=Path, default=Path(output))


def no_corpus(prepared: Path) -> bool:
    """True (and says so) when there is no prepared corpus to pick songs from."""
    if (prepared / "index.json").is_file():
        return False
    print(f"no prepared corpus at {prepared}: run `midistyle prepare` first")
    return True


def pick_songs(prepared: Path, per_genre: int, real: int, seed: int,
               skip: int = 0) -> tuple[list[str], dict[str, list[str]]]:
    """Genres of the corpus and, per genre, a seeded sample of its validation MIDI files, leaving out
    the first ``skip`` of the sample (songs another run of the benchmark reports on)."""
    index = json.loads((prepared / "index.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    picked = {}
    for g in index["genres"]:
        files = sorted({p["path"] for p in index["pieces"]
                        if p["genre"] == g and p["split"] == "val" and p.get("kind") == "midi"
                        and "#" not in p["path"] and os.path.isfile(p["path"])})
        rng.shuffle(files)
        picked[g] = files[skip:skip + max(per_genre, real)]
    return list(index["genres"]), picked


def _dist(d: dict) -> str:
    return "-" if None in (d.get("sources"), d.get("outputs")) else f"{d['sources']:.2f} -> {d['outputs']:.2f}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_options(ap, "transfer-eval")
    ap.add_argument("--model", action="append", default=None,
                    help="'shipped' or a checkpoint folder; repeatable (default: shipped)")
    ap.add_argument("--to", default=None, help="Comma-separated targets (default: every genre)")
    ap.add_argument("--per-genre", type=int, default=5, help="Source songs per other genre")
    ap.add_argument("--real", type=int, default=10, help="Real songs of the target genre")
    ap.add_argument("--skip", type=int, default=0,
                    help="Leave out the first N songs of each genre's sample: --skip 10 picks among checkpoints "
                         "(--model RUN/step*) on songs the default report never uses")
    args = ap.parse_args(argv)
    if no_corpus(args.prepared):
        return 0
    genres, picked = pick_songs(args.prepared, args.per_genre, args.real, args.seed, args.skip)
    targets = args.to.split(",") if args.to else genres
    models = args.model or ["shipped"]
    results = []
    for model in models:
        name = "shipped" if model == "shipped" else Path(model).resolve().parent.name + "/" + Path(model).name
        for to in targets:
            sources = [f for g in genres if g != to for f in picked[g][:args.per_genre]]
            out = args.output / name.replace("/", "_") / to
            t0 = time.perf_counter()
            # "shipped": the shipped edit models (the generators' ship bar), not evaluate's default arrangement
            report = evaluate(sources, to, out_dir=out, model=None if model == "shipped" else model,
                              edit=model == "shipped", target_real=picked[to][:args.real], seed=args.seed, force=True)
            r = {"model": name, "to": to, **bar_numbers(report), "seconds": round(time.perf_counter() - t0, 1)}
            r["verdict"] = verdict(r)
            results.append(r)
            print(f"{name} -> {to}: {r}", file=sys.stderr, flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "transfer.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\nStyle judge on validation songs ({args.per_genre} per other genre as sources, {args.real} real "
          f"target songs); bar: outputs >= {GENRE_BAR} x real, onset F1 >= {F1_BAR}\n")
    print("| model | to | sources called target | outputs called target | real target recognised "
          "| real target through the grid (ceiling) | ratio | onset F1 | CNN on outputs | empty | groups moved toward "
          "| profile distance: sources -> outputs | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ratio = "-" if not r["real"] or r["outputs"] is None else f"{r['outputs'] / r['real']:.2f}"
        f1 = "-" if r["onset_f1"] is None else f"{r['onset_f1']:.2f}"
        print(f"| {r['model']} | {r['to']} | {_pct(r['inputs'])} | {_pct(r['outputs'])} | {_pct(r['real'])} "
              f"| {_pct(r['real_on_grid'])} | {ratio} "
              f"| {f1} | {_pct(r['cnn_outputs'])} | {r['empty_outputs']} | {', '.join(r['moved_toward']) or '-'} "
              f"| {_dist(r['profile_distance'])} | {r['verdict']} |")
    if len(models) > 1:
        print("\nPer target, the model whose outputs are called the target most often among those that keep the "
              f"song (onset F1 >= {F1_BAR}) and move its style profile toward the target:")
        for to in targets:
            ok = [r for r in results if r["to"] == to and keeps_song_and_moves(r)]
            best = max(ok, key=lambda r: r["outputs"], default=None)
            print(f"  {to}: " + ("none" if best is None else f"{best['model']} ({_pct(best['outputs'])}, "
                                 f"onset F1 {best['onset_f1']:.2f}, {best['verdict']})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
