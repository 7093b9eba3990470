"""Brunner et al.'s transfer strength S_tot for CycleGANs of genre pairs, beside the paper's numbers.

    python benchmarks/brunner_strength.py --prepared prepared \
        --pair jazz:classical=runs/jc/best --pair classical:pop=runs/cp/best --pair jazz:pop=runs/jp/best

For a CycleGAN trained with ``--a A --b B``: ``--songs`` validation-split songs of A are converted
to B and of B to A (``midistyle evaluate``). The shipped CNN classifier, restricted to the pair
(probabilities renormalised over A and B, standing for the paper's binary classifier of the pair),
gives S(A->B) = 1/2 [(P_A(x_A) - P_A(x^_B)) + (P_A(x~_A) - P_A(x^_B))] over phrase windows, and
S_tot = (S(A->B) + S(B->A)) / 2. Also printed: the share of output windows the pair classifier
calls the target, the onset F1 to the source and the style judge's verdict (which no generator
trained against). Writes ``strength.json`` and the evaluate reports under ``-o``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from midistyle.evaluate.report import evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transfer import corpus_options, no_corpus, pick_songs  # noqa: E402  (the same seeded song sample as the ship-bar table)

# Brunner et al. 2018, Table III: their best S_tot per pair (CycleGAN with mixed discriminators).
PAPER = {frozenset(("jazz", "classical")): 0.716, frozenset(("classical", "pop")): 0.581,
         frozenset(("jazz", "pop")): 0.373}


def one_way(model: str, src: str, dst: str, songs: list[str], real: list[str], out: Path, seed: int) -> dict:
    """Convert ``songs`` of genre ``src`` to ``dst`` and keep the numbers S_tot needs."""
    rep = evaluate(songs, dst, out_dir=out, model=model, target_real=real, seed=seed, force=True,
                   cnn_among=(src, dst))
    st = (rep.get("strength") or {}).get("model") or {}
    style = (rep.get("style_judge") or {}).get("target_rate") or {}
    return {"from": src, "to": dst, "songs": rep["counts"]["songs"], "strength": st.get("strength"),
            "cnn_target_windows": st.get("target_rate_windows"),
            "cnn_target_windows_inputs": ((rep["strength"] or {}).get("identity") or {}).get("target_rate_windows"),
            "onset_f1": rep["content"]["model"]["onset_f1"], "style_outputs": style.get("outputs"),
            "style_real": style.get("target_real")}


def _f(x, pct=False) -> str:
    return "-" if x is None else f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_options(ap, "strength-eval")
    ap.add_argument("--pair", action="append", required=True, metavar="A:B=RUN",
                    help="a CycleGAN checkpoint trained with --a A --b B; repeatable")
    ap.add_argument("--songs", type=int, default=10, help="validation songs per genre and direction")
    args = ap.parse_args(argv)
    if no_corpus(args.prepared):
        return 0
    _, picked = pick_songs(args.prepared, args.songs, args.songs, args.seed)
    rows = []
    for spec in args.pair:
        genres, _, model = spec.partition("=")
        a, _, b = genres.partition(":")
        if not (a and b and model):
            ap.error(f"--pair {spec!r}: expected A:B=RUN")
        ways = [one_way(model, x, y, picked[x][:args.songs], picked[y][:args.songs],
                        args.output / f"{a}-{b}" / f"to_{y}", args.seed) for x, y in ((a, b), (b, a))]
        s = [w["strength"] for w in ways]
        rows.append({"pair": f"{a}<->{b}", "model": model, "ways": ways,
                     "s_tot": None if None in s else sum(s) / 2, "paper": PAPER.get(frozenset((a, b)))})
        print(f"{a}<->{b}: {rows[-1]}", file=sys.stderr, flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "strength.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"\nBrunner et al.'s S_tot ({args.songs} validation songs per genre and direction; the shipped CNN "
          "restricted to each pair)\n")
    print("| pair | S(A->B) | S(B->A) | S_tot | paper's best S_tot | pair CNN calls outputs the target "
          "(inputs) | onset F1 | style judge: outputs / real |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        (ab, ba) = r["ways"]
        calls = " / ".join(f"{w['to']} {_f(w['cnn_target_windows'], True)} ({_f(w['cnn_target_windows_inputs'], True)})"
                           for w in r["ways"])
        f1 = " / ".join(_f(w["onset_f1"]) for w in r["ways"])
        judged = " / ".join(f"{w['to']} {_f(w['style_outputs'], True)} of {_f(w['style_real'], True)}" for w in r["ways"])
        print(f"| {r['pair']} | {_f(ab['strength'])} | {_f(ba['strength'])} | {_f(r['s_tot'], True)} "
              f"| {_f(r['paper'], True)} | {calls} | {f1} | {judged} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
