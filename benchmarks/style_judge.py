"""Style judge and CNN, by piece, on the validation split of a genre-labelled corpus.

    python benchmarks/style_judge.py --data ../shared/data [--workers 2] [--offgrid] [--json out.json]

The validation split is ``midistyle prepare``'s (sha1 of the piece's content, 10%; identical content
once): the pieces neither the shipped judge nor the shipped generators trained on. Every piece is
read from its file; the style judge gives its verdict (by segments, as shipped), the CNN the mean
of its phrase windows on the piece's roll. Prints per-genre recall, balanced accuracy, both
confusion matrices and recall per collection.

``--offgrid`` also judges every non-jazz validation piece with its timing made performance-like
(all times stretched by 7% against the file's beat grid and each onset jittered by up to 1/16 of a
quarter): how often the judge then says "jazz" measures whether it took off-grid timing for jazz.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path

import numpy as np

GENRES = ("jazz", "classical", "pop", "folk", "rock")
_STATE: dict = {}


def _init(offgrid: bool) -> None:
    import torch

    from midistyle.genre_classifier import GenreClassifier
    from midistyle.style import StyleJudge

    torch.set_num_threads(1)
    _STATE.update(judge=StyleJudge.load(), cnn=GenreClassifier.load(), offgrid=offgrid)


def offgrid(song, seed: int):
    """The song with its times stretched by 7% and onsets jittered: a performance on no grid."""
    rng = np.random.default_rng(seed)
    tracks = []
    for t in song.tracks:
        jitter = rng.uniform(-1 / 16, 1 / 16, t.start.size)
        start = np.maximum(t.start * 1.07 + jitter, 0.0)
        tracks.append(t.replace_notes(start, np.maximum(t.end * 1.07 + jitter, start + 1e-3), t.pitch, t.velocity))
    return song.with_tracks(tracks)


def _judge(unit):
    from midistyle.representation import read
    from midistyle.representation.scores import read_abc_text

    judge, cnn = _STATE["judge"], _STATE["cnn"]
    try:
        song = read_abc_text(unit.text, unit.source) if unit.kind == "abc" else read(unit.path)
        style = judge.song_proba(song)
        c = cnn.song_probs(song)
        row = {"style": style.tolist(), "cnn": [c[g] for g in judge.genres]}
        if _STATE["offgrid"] and unit.genre != "jazz":
            row["offgrid"] = judge.song_proba(offgrid(song, int(unit.sha1[:8], 16))).tolist()
        return unit.sha1, row
    except Exception as exc:  # reported, not fatal
        return unit.sha1, {"error": f"{type(exc).__name__}: {exc}"[:200]}


def confusion_text(cm: np.ndarray, genres) -> str:
    head = "truth \\ said " + " ".join(f"{g[:9]:>9}" for g in genres)
    rows = [f"{g:<13}" + " ".join(f"{v:>9d}" for v in cm[i]) for i, g in enumerate(genres)]
    return "\n".join([head, *rows])


def main() -> None:
    from midistyle.style.fit import collection, corpus_units, scores, split_of

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--offgrid", action="store_true")
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args()
    units = [u for u in corpus_units(args.data) if split_of(u.sha1, args.val_fraction) == "val"]
    print(f"{len(units)} validation pieces", file=sys.stderr)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.workers, _init, (args.offgrid,)) as pool:
        results = dict(pool.imap_unordered(_judge, units, chunksize=8))
    ok = [u for u in units if "error" not in results[u.sha1]]
    failed = [(u.source, results[u.sha1]["error"]) for u in units if "error" in results[u.sha1]]
    truth = np.array([u.genre for u in ok])
    out = {"pieces": len(units), "failed": failed}
    for name in ("style", "cnn"):
        probs = np.array([results[u.sha1][name] for u in ok])
        said = np.array(GENRES)[np.nan_to_num(probs, nan=-1).argmax(axis=1)]
        out[name] = scores(truth, said, GENRES)
        out[name]["by_collection"] = {}
        for u, s in zip(ok, said):
            key = f"{u.genre}/{collection(u, args.data)}"
            d = out[name]["by_collection"].setdefault(key, [0, 0])
            d[0] += int(s == u.genre)
            d[1] += 1
    print(f"\nBy piece, validation split ({len(ok)} pieces read, {len(failed)} failed)\n")
    print(f"| genre | pieces | style judge recall | CNN recall |\n|---|---|---|---|")
    for g in GENRES:
        n = int((truth == g).sum())
        print(f"| {g} | {n} | {out['style']['recall'][g]:.3f} | {out['cnn']['recall'][g]:.3f} |")
    print(f"| **balanced accuracy** | {len(ok)} | **{out['style']['balanced_accuracy']:.3f}** "
          f"| **{out['cnn']['balanced_accuracy']:.3f}** |")
    for name, title in (("style", "Style judge"), ("cnn", "CNN")):
        print(f"\n{title} confusion (rows: truth, columns: verdict)\n```\n"
              f"{confusion_text(np.array(out[name]['confusion']), GENRES)}\n```")
    print("\n| collection | pieces | style judge recall | CNN recall |\n|---|---|---|---|")
    for key in sorted(out["style"]["by_collection"]):
        a, n = out["style"]["by_collection"][key]
        b, _ = out["cnn"]["by_collection"][key]
        print(f"| {key} | {n} | {a / n:.3f} | {b / n:.3f} |")
    if args.offgrid:
        rows = [(u.genre, results[u.sha1]) for u in ok if "offgrid" in results[u.sha1]]
        print("\nOff-grid timing (times x1.07, onsets jittered up to 1/16 quarter), non-jazz pieces:\n")
        print("| genre | pieces | judged jazz as written | judged jazz off-grid | still own genre off-grid |\n|---|---|---|---|---|")
        out["offgrid"] = {}
        for g in GENRES[1:]:
            sel = [r for gg, r in rows if gg == g]
            if not sel:
                continue
            gi = GENRES.index(g)
            before = np.mean([np.argmax(r["style"]) == 0 for r in sel])
            after = np.mean([np.argmax(r["offgrid"]) == 0 for r in sel])
            own = np.mean([np.argmax(r["offgrid"]) == gi for r in sel])
            out["offgrid"][g] = {"n": len(sel), "jazz_before": float(before), "jazz_after": float(after),
                                 "own_after": float(own)}
            print(f"| {g} | {len(sel)} | {before:.3f} | {after:.3f} | {own:.3f} |")
    if failed:
        print(f"\n{len(failed)} failed:", *(f"  {s}: {r}" for s, r in failed[:20]), sep="\n")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
