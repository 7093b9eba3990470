"""Results of the arrangement judge: validation accuracy per genre and what each genre's arrangement looks like.

    python benchmarks/arrangement_judge.py --data ../shared/data --cache runs/arrangement_cache \\
        [--judge midistyle/pretrained/arrangement_judge] [--out docs/results] \\
        [--fit-command "..."] [--fit-wall-s 1234] [--to-jazz-songs 20]

Reads the judge fitted by ``midistyle judge fit --features arrangement ...`` and the
feature cache that fit wrote (nothing is re-extracted when the cache is complete), rebuilds the
same seeded subsample from the judge's own record (genres, caps, seed), and writes
``arrangement_judge.md`` (its hand-written notes below the notes marker are kept) and
``arrangement_judge.json`` into ``--out``: balanced accuracy, recall
and confusion on the validation split (pieces as written), recall per collection, the median per
genre and per collection of the listener's markers over every piece of the subsample, and the
features each genre leans on most (largest standardised coefficients). With ``--to-jazz-songs N``
also: N validation songs of freemidi pop and rock (a seeded draw), converted with the shipped
``to_jazz`` (``Converter.convert_song``, seed 0), and how often the arrangement judge calls the
inputs and the outputs jazz: where today's transfer stands on issue 30's "genre by the arrangement" bar.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

from midistyle.style import StyleJudge
from midistyle.style.arrangement import ARRANGEMENT_NAMES
from midistyle.style.fit import corpus_units, extract, subsample, table, validate
from midistyle.style.judge import SHIPPED_ARRANGEMENT

MARKERS = ("swing_share", "swung_hits", "bass_walk", "seventh", "drums", "backbeat", "ride_share",
           "family_piano", "family_guitar", "family_bass", "family_strings", "distortion_guitar", "poly_mean")
MEAN_MARKERS = ("drums",)  # 0/1 per piece: the share of pieces, not a median
DRUM_MARKERS = ("swung_hits", "backbeat", "ride_share")  # medians over the pieces that have drums
NOTES = "<!-- notes: written by hand, kept when this script rewrites the tables above -->\n"


def versions() -> dict:
    import sklearn

    rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    return {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "midistyle_commit": rev}


def markers(t, mask) -> dict:
    out = {}
    drums = t.piece[:, ARRANGEMENT_NAMES.index("drums")] > 0
    for m in MARKERS:
        col = t.piece[mask & (drums if m in DRUM_MARKERS else True), ARRANGEMENT_NAMES.index(m)]
        out[m] = float(np.mean(col) if m in MEAN_MARKERS else np.median(col)) if col.size else None
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--judge", default=str(SHIPPED_ARRANGEMENT))
    ap.add_argument("--out", default="docs/results")
    ap.add_argument("--fit-command", default="")
    ap.add_argument("--fit-wall-s", type=float)
    ap.add_argument("--to-jazz-songs", type=int, default=0)
    args = ap.parse_args(argv)

    judge = StyleJudge.load(args.judge)
    info = judge.info
    sub = info["subsample"]
    caps = {k: tuple(v) for k, v in (sub.get("caps") or {}).items()}
    units = subsample(corpus_units(args.data, list(judge.genres)), args.data, sub["per_source"],
                      sub["val_per_source"], sub["seed"], caps=caps)
    features = extract(units, args.cache, features="arrangement", align=judge.align, progress=False)
    t = table(units, features, args.data, width=len(ARRANGEMENT_NAMES))
    val = validate(judge, t, judge.rows)
    failed = sum(1 for u in units if not isinstance(features.get(u.sha1), tuple))

    by_genre = {g: markers(t, t.genre == g) for g in judge.genres}
    by_collection = {f"{g}/{s}": {"n": int(((t.genre == g) & (t.source == s)).sum()),
                                  **markers(t, (t.genre == g) & (t.source == s))}
                     for g, s in sorted(set(zip(t.genre.tolist(), t.source.tolist())))}
    leans = {g: [(ARRANGEMENT_NAMES[j], float(judge.coef[i, j])) for j in np.argsort(judge.coef[i])[::-1][:6]]
             for i, g in enumerate(judge.genres)}
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "versions": versions(), "fit_command": args.fit_command, "fit_wall_s": args.fit_wall_s,
        "judge": {"genres": list(judge.genres), "features": judge.features, "align": judge.align, "rows": judge.rows,
                  "n_features": len(judge.feature_names), "C": info.get("C"), "balance": info.get("balance"),
                  "subsample": sub, "trained_on": info.get("trained_on")},
        "pieces": {"units": len(units), "failed": failed, "train": int((t.split == "train").sum()),
                   "val": int((t.split == "val").sum())},
        "validation": val, "markers_by_genre": by_genre, "markers_by_collection": by_collection, "leans_on": leans,
    }
    if args.to_jazz_songs:
        result["shipped_to_jazz"] = to_jazz_check(judge, args.data, args.to_jazz_songs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "arrangement_judge.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    md = out / "arrangement_judge.md"
    kept = md.read_text(encoding="utf-8").partition(NOTES)[2] if md.exists() else ""
    md.write_text(render(result) + "\n" + NOTES + kept, encoding="utf-8")
    print(render(result))


def to_jazz_check(judge, data, n: int) -> dict:
    """Validation freemidi pop/rock songs through the shipped to_jazz, judged by ``judge`` before and after."""
    import time

    from midistyle.data.corpus import split_of
    from midistyle.representation import read
    from midistyle.style import judge_arrangement
    from midistyle.transfer import Converter

    val = [u for u in corpus_units(data, ["pop", "rock"]) if split_of(u.sha1, 0.1) == "val" and "freemidi" in u.path]
    pick = [val[i] for i in np.random.default_rng(0).permutation(len(val))[:n]]
    conv, rows, t0 = Converter.load("jazz"), [], time.time()
    for u in pick:
        song = read(u.path)
        out, _ = conv.convert_song(song, seed=0)
        (g_in, p_in), (g_out, p_out) = judge_arrangement(song, judge), judge_arrangement(out, judge)
        rows.append({"file": Path(u.path).name, "genre": u.genre, "input": g_in, "output": g_out,
                     "p_jazz_input": p_in["jazz"], "p_jazz_output": p_out["jazz"]})
    return {"n": len(rows), "inputs_judged_jazz": float(np.mean([r["input"] == "jazz" for r in rows])),
            "outputs_judged_jazz": float(np.mean([r["output"] == "jazz" for r in rows])),
            "mean_p_jazz": {"inputs": float(np.mean([r["p_jazz_input"] for r in rows])),
                            "outputs": float(np.mean([r["p_jazz_output"] for r in rows]))},
            "seconds": time.time() - t0, "songs": rows}


def render(r: dict) -> str:
    g = r["judge"]["genres"]
    v = r["validation"]

    def f(x, pct=False):
        return "n/a" if x is None or x != x else (f"{100 * x:.0f}%" if pct else f"{x:.2f}")

    lines = ["# The arrangement judge: results\n",
             f"{r['date']}; commit `{r['versions']['midistyle_commit'][:10]}`; {r['machine']['platform']}, "
             f"{r['machine']['cpus']} CPUs shared with other jobs (load average {r['machine']['load_average'][0]:.1f}); "
             f"Python {r['versions']['python']}, numpy {r['versions']['numpy']}, "
             f"scikit-learn {r['versions']['scikit-learn']}.\n",
             f"Fitted with (wall time {f(r['fit_wall_s'] and r['fit_wall_s'] / 60)} min, 1 worker, nice 10):\n",
             f"```\n{r['fit_command']}\n```\n",
             f"Pieces: {r['pieces']['units']} drawn ({r['pieces']['train']} training, {r['pieces']['val']} validation, "
             f"{r['pieces']['failed']} unreadable). Split by content hash as `prepare` splits (validation pieces are "
             "never trained on).\n",
             f"## Validation (pieces as written)\n",
             f"Balanced accuracy **{f(v['balanced_accuracy'], True)}** over {v['n']} pieces (chance "
             f"{100 / len(g):.0f}%).\n",
             "| genre | recall |", "|---|---|"] + [f"| {k} | {f(x, True)} |" for k, x in v["recall"].items()]
    lines += ["\nConfusion (rows: truth, columns: judged):\n", "| | " + " | ".join(g) + " |", "|---" * (len(g) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(str(c) for c in row) + " |" for k, row in zip(g, v["confusion"])]
    lines += ["\nRecall per collection:\n", "| collection | validation pieces | recall |", "|---|---|---|"]
    lines += [f"| {k} | {x['n']} | {f(x['recall'], True)} |" for k, x in v["by_collection"].items()]
    cols = MARKERS
    lines += ["\n## What each genre's arrangement looks like in this corpus\n",
              "Median over every piece drawn (training and validation) of each marker; `drums` is the share of "
              "pieces with a drum part; swung_hits, backbeat and ride_share are medians over the pieces with drums "
              "only (n/a: none has drums). swing_share: triplet off-beats among straight + triplet off-beats of the "
              "pitched onsets; swung_hits: the same for hi-hat and ride; bass_walk: beat-to-beat bass steps of 1-2 "
              "semitones; seventh: sounding beats that spell a 7th chord; family_*: share of pitched notes.\n",
              "| genre | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(f(m[c]) for c in cols) + " |" for k, m in r["markers_by_genre"].items()]
    lines += ["\nBy collection:\n", "| collection | n | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
    lines += [f"| {k} | {m['n']} | " + " | ".join(f(m[c]) for c in cols) + " |"
              for k, m in r["markers_by_collection"].items()]
    tj = r.get("shipped_to_jazz")
    if tj:
        jazz = r["validation"]["recall"].get("jazz")
        lines += ["\n## Today's `to_jazz` by the arrangement\n",
                  f"{tj['n']} validation songs of freemidi pop and rock (seeded draw), converted with the shipped "
                  f"`to_jazz`: judged jazz **{f(tj['outputs_judged_jazz'], True)}** of the outputs "
                  f"({f(tj['inputs_judged_jazz'], True)} of the inputs; mean P(jazz) {f(tj['mean_p_jazz']['inputs'])} -> "
                  f"{f(tj['mean_p_jazz']['outputs'])}). Real validation jazz is recognised at {f(jazz, True)}, so issue "
                  f"30's bar (0.85 x that) is {f(0.85 * jazz, True) if jazz is not None else 'n/a'}.\n"]
    lines += ["\n## What it leans on\n", "Largest standardised coefficients per genre (feature: weight):\n"]
    lines += [f"- **{k}**: " + ", ".join(f"{n} {w:+.2f}" for n, w in x) for k, x in r["leans_on"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
