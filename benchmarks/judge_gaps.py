"""Why a converter's outputs are not judged the target: the features each judge keys on, and what-ifs.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/judge_gaps.py --corpus /work/runs/arr3 \\
        --assets /work/runs/arr3_assets --targets folk,pop [--method retrieval] [--top 8]

Same sources and real songs as ``benchmarks/arrangement.py`` (seeded validation draw). Per target
and judge (the notes style judge, the arrangement judge): how often the outputs are judged the
target and the mean probability; for each genre the outputs are wrongly judged as, the mean logit
margin of the target over it (outputs, real songs) and the features that would close most of it
(:meth:`midistyle.style.StyleJudge.margin_gaps`: gain, then the raw feature means of the outputs
and of the real songs); and what-ifs: each output without each new part (bass, comp, drums),
re-judged, so a part that costs the verdict shows. Prints markdown.
"""
from __future__ import annotations

import argparse

import numpy as np

from benchmarks.arrangement import Methods, draw_args, load_judges, read_songs, val_pieces


def _judged(judge, rows, target) -> tuple[float, float]:
    """Share judged ``target`` and its mean probability, from each song's feature rows."""
    p = np.array([judge.rows_proba(r) for r in rows])
    t = judge.genres.index(target)
    return float(np.mean(p.argmax(axis=1) == t)), float(p[:, t].mean())


def gaps_table(judge, outputs, reals, target, top: int) -> list[str]:
    """Markdown lines: per genre the outputs are judged as, the margin and its largest feature gaps
    (``outputs``, ``reals``: each song's :meth:`~midistyle.style.StyleJudge.feature_rows`)."""
    # a song's rows weigh as one song (a long song has many segments)
    out_mean = np.array([r.mean(axis=0) for r in outputs])
    ref_mean = np.array([r.mean(axis=0) for r in reals])
    verdicts = [judge.genres[int(np.argmax(judge.rows_proba(r)))] for r in outputs]
    gaps = judge.margin_gaps(out_mean, ref_mean, target)
    t = judge.genres.index(target)
    lines = []
    for other in sorted(set(verdicts) - {target}, key=verdicts.count, reverse=True):
        o = judge.genres.index(other)
        w = judge.coef[t] - judge.coef[o]
        margin = lambda x: float((((x - judge.mean) / judge.scale) @ w).mean() + judge.intercept[t] - judge.intercept[o])  # noqa: E731
        terms = gaps[other]
        best = np.argsort(-terms)[:top]
        lines.append(f"- judged {other} ({verdicts.count(other)} of {len(outputs)}): margin {target} - {other} "
                     f"{margin(out_mean):+.2f} (real {target} {margin(ref_mean):+.2f}); closing features: "
                     + ", ".join(f"{judge.feature_names[f]} {terms[f]:+.2f} ({out_mean[:, f].mean():.3g} vs "
                                 f"{ref_mean[:, f].mean():.3g})" for f in best))
    return lines


def main(argv=None) -> None:
    from midistyle.arrangement.decode import TRACK_NAMES

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    draw_args(ap, defaults=False)
    ap.add_argument("--targets", required=True, help="comma-separated")
    ap.add_argument("--method", default="retrieval", choices=("retrieval", "source"))
    ap.add_argument("--arrangement-judge", default=None)
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args(argv)
    pieces, _ = val_pieces(args.corpus)
    reals = read_songs(pieces, max(args.reals, args.per_genre), args.seed)
    sources = [(s, g) for g, songs in reals.items() for s in songs[:args.per_genre]]
    judges, _ = load_judges(args.arrangement_judge)
    conv = Methods(args.assets, None)
    for target in args.targets.split(","):
        outputs = [conv.get(args.method)(s, target) for s, g in sources if g != target]
        print(f"## to {target}: {args.method}, {len(outputs)} outputs, {len(reals[target])} real songs\n")
        for name, judge in (("notes", judges.notes), ("arrangement", judges.arrangement)):
            if judge is None or target not in judge.genres:
                continue
            # each song is prepared and read once (the arrangement judge may track its beats)
            out_rows = [judge.feature_rows(o) for o in outputs]
            real_rows = [judge.feature_rows(s) for s in reals[target]]
            share, p = _judged(judge, out_rows, target)
            real_share, real_p = _judged(judge, real_rows, target)
            print(f"### {name} judge: outputs judged {target} {share:.0%} (mean p {p:.3f}); "
                  f"real {real_share:.0%} (mean p {real_p:.3f})\n")
            print("\n".join(gaps_table(judge, out_rows, real_rows, target, args.top)))
            for role, track in TRACK_NAMES.items():
                without = [o.with_tracks([t for t in o.tracks if t.name != track]) for o in outputs]
                if any(len(w.tracks) < len(o.tracks) for w, o in zip(without, outputs)):
                    share, p = _judged(judge, [judge.feature_rows(w) for w in without if w.n_notes(drums=False)],
                                       target)
                    print(f"- what-if without the new {role}: judged {target} {share:.0%} (mean p {p:.3f})")
            print()


if __name__ == "__main__":
    main()
