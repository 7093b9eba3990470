"""Arrangement-level transfer on issue 30's bar: several converters side by side on validation songs.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/arrangement.py --corpus runs/arrangements \\
        --assets runs/arrangement_assets [--arrangement-judge DIR] [--arranger-model DIR] \\
        [--per-genre 4] [--reals 12] [--methods source,retrieval,stargan,mma] [--mma-grooves FILE] \\
        [--convert-seeds 0,1,2]

Sources: a seeded draw of ``--per-genre`` validation pieces of each genre of the prepared
arrangement corpus (val pieces are never in a bank); each is converted to every other genre.
Real music: up to ``--reals`` validation pieces of each genre (the sources among them), measured
the same way, give each judge's recognition and the markers' medians. Methods:

- ``source``: no change (the floor);
- ``retrieval``: :func:`midistyle.arrangement.arrange.arrange_by_retrieval` with the genre's bank and
  profile from ``--assets``;
- ``stargan``: the shipped merged-roll models (:class:`midistyle.transfer.Converter`; to_jazz is the
  StarGAN, the other targets the shipped GANs);
- ``arranger``: a trained arranger checkpoint (``--arranger-model``), with the genre profiles;
- ``mma``: a reference point, not a target: the source's analysed chords rendered by MMA
  (:mod:`midistyle.reference.mma`; ``./setup.sh --with-mma``) in the groove ``--mma-grooves``
  names for the target, under the source's melody.

``--convert-seeds``: the converters that take a seed (retrieval: tie-breaks between equal scores
and the new parts' timing spread; arranger: the timing spread; stargan: the generator's noise; mma:
the groove's humanising) convert each source once per seed and every output is judged; the bar
decides on the shares pooled over the seeds, and the page gives each seed's share and the pooled
share's 95% Wilson interval. ``source`` takes no seed and runs once.

Writes ``arrangement.json`` and ``arrangement.md`` to ``--out`` (default docs/results).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from midistyle.evaluate import arrangement as ev

ROOT = Path(__file__).resolve().parents[1]
NOTES = "<!-- notes: written by hand, kept when this script rewrites the page -->\n"


def val_pieces(corpus: Path) -> tuple[dict[str, list[tuple[str, int | None]]], str]:
    """genre -> validation (path, tune) pieces: from the index, else (a corpus still preparing) the
    same split computed from ``sources.json`` and each file's content hash."""
    from midistyle.data.index import read_index

    try:
        index = read_index(corpus)
        out: dict = {}
        for p in index["pieces"]:
            if p["split"] == "val":
                out.setdefault(p["genre"], []).append((p["path"], p.get("tune")))
        return out, "index.json"
    except Exception:  # noqa: BLE001 -- no index yet: fall back to the split rule
        from midistyle.data.corpus import split_of

        sources = json.loads((corpus / "sources.json").read_text())
        out = {g: [(f, None) for f in files if split_of(hashlib.sha1(Path(f).read_bytes()).hexdigest(), 0.1) == "val"]
               for g, files in sources.items()}
        return out, "sources.json + split_of(sha1) (no index.json yet)"


def draw(pieces, n: int, seed: int) -> list:
    order = np.random.default_rng(seed).permutation(len(pieces))
    return [pieces[i] for i in order[:n]]


def read_songs(genres: dict, n_reals: int, seed: int) -> dict[str, list]:
    """genre -> songs (seeded order; failures reported and skipped)."""
    from midistyle.representation.midi_io import read

    out = {}
    for genre, pieces in genres.items():
        songs = []
        for path, tune in draw(sorted(pieces, key=str), len(pieces), seed):
            if len(songs) == n_reals:
                break
            try:
                songs.append(read(path, tune=tune))
            except Exception as exc:  # noqa: BLE001
                print(f"skip {path}: {exc}", file=sys.stderr)
        out[genre] = songs
    return out


class Methods:
    """The converters: each ``(song, target, seed=0) -> Song``; ``targets(name)`` says which it can do,
    ``seeds(name, seeds)`` at which seeds it runs (those in :attr:`SEEDED` at each, the others once)."""

    SEEDED = ("retrieval", "arranger", "stargan", "mma")

    def __init__(self, assets: Path | None, arranger: Path | None, grooves: dict | None = None):
        self.assets, self.arranger_model, self.grooves = assets, arranger, grooves or {}
        self._leads: dict[int, object] = {}
        self._banks: dict[str, tuple] = {}
        self._convs: dict[str, object] = {}

    def lead(self, song):
        from midistyle.analysis.leadsheet import read_lead_sheet

        if id(song) not in self._leads:
            self._leads[id(song)] = (song, read_lead_sheet(song))
        return self._leads[id(song)][1]

    def assets_of(self, genre: str):
        from midistyle.arrangement.profile import load_profile
        from midistyle.arrangement.retrieve import load_bank

        if genre not in self._banks:
            folder = self.assets / genre
            self._banks[genre] = (load_bank(folder), load_profile(folder / "profile.json"))
        return self._banks[genre]

    def targets(self, name: str, genres: list[str]) -> list[str]:
        from midistyle.transfer import shipped_model

        if name in ("retrieval", "arranger"):
            return [g for g in genres if self.assets and (self.assets / g / "profile.json").exists()]
        if name == "stargan":
            return [g for g in genres if _exists(shipped_model, g)]
        if name == "mma":
            return [g for g in genres if g in self.grooves]
        return list(genres)

    def get(self, name: str, seed: int = 0):
        """``name``'s converter ``(song, target) -> Song`` at ``seed``."""
        fn = getattr(self, name)
        return lambda song, target: fn(song, target, seed=seed)

    def seeds(self, name: str, seeds: list[int]) -> list[int]:
        return list(seeds) if name in self.SEEDED else list(seeds[:1])

    def source(self, song, target, seed=0):
        return song

    def retrieval(self, song, target, seed=0):
        from midistyle.arrangement.arrange import arrange_by_retrieval

        bank, profile = self.assets_of(target)
        return arrange_by_retrieval(self.lead(song), bank, profile, seed=seed)

    def stargan(self, song, target, seed=0):
        from midistyle.transfer import Converter

        if target not in self._convs:
            self._convs[target] = Converter.load(target, device="cpu")
        return self._convs[target].convert_song(song, seed=seed)[0]

    def arranger(self, song, target, seed=0):
        from midistyle.kinds.arranger import arrange

        return arrange(self.lead(song), target, self.arranger_model, profile=self.assets_of(target)[1], seed=seed)

    def mma(self, song, target, seed=0):
        from midistyle.reference.mma import render

        return render(self.lead(song), self.grooves[target], seed=seed)


def mma_grooves(path: Path) -> dict[str, dict[int, str]]:
    """genre -> {beats per bar: MMA groove} from the benchmark's groove file."""
    return {g: {int(b): name for b, name in by_beats.items()}
            for g, by_beats in json.loads(path.read_text())["grooves"].items()}


def _exists(fn, genre) -> bool:
    try:
        return Path(fn(genre)).exists()
    except Exception:  # noqa: BLE001 -- no shipped model for that genre
        return False


def load_judges(path: str | None) -> tuple[ev.Judges, dict]:
    from midistyle.style import StyleJudge
    from midistyle.style.judge import SHIPPED_ARRANGEMENT

    notes = StyleJudge.load()
    arr_path = Path(path) if path else SHIPPED_ARRANGEMENT
    arr = StyleJudge.load(arr_path) if (arr_path / "config.json").exists() else None
    info = {"notes": {"path": "shipped style judge", "genres": list(notes.genres)},
            "arrangement": {"path": str(arr_path), "genres": list(arr.genres),
                            "validation": arr.info.get("validation", {}).get("balanced_accuracy")} if arr else None}
    return ev.Judges(notes, arr), info


def pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.0f}%"


def num(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def mark(ok) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def span(lo_hi) -> str:
    """``lo-hi`` in percent; one number when they are equal."""
    if not lo_hi:
        return "n/a"
    lo, hi = min(lo_hi), max(lo_hi)
    return pct(lo) if pct(lo) == pct(hi) else f"{100 * lo:.0f}-{100 * hi:.0f}%"


def judge_cells(judge: str, s: dict, real: dict, c: dict | None) -> str:
    """A judge's four cells: pooled share (its check and bar), 95% interval, per-seed range, mean p."""
    rate = s.get(judge)
    if c is None:  # the real songs: the recognition the bar is a share of
        interval = None if rate is None else ev.wilson(rate * s["songs"], s["songs"])
        return f"{pct(rate)} | {span(interval)} | | {num((s.get('mean_p') or {}).get(judge))}"
    bar = None if real.get(judge) is None else ev.BAR["judged"] * real[judge]
    noise = "; within noise" if judge in c.get("within_noise", []) else ""
    seeds = s.get("per_seed", {}).get(judge) if len(s.get("seeds", [])) > 1 else None
    return (f"{pct(rate)} ({mark(c[judge])}{'' if bar is None else f', bar {pct(bar)}'}) | "
            f"{span((s.get('interval') or {}).get(judge))}{noise} | {span(seeds) if seeds else ''} | "
            f"{num((s.get('mean_p') or {}).get(judge))}")


def table(target: str, real: dict, rows: dict) -> list[str]:
    """One target's markdown table: real music first, then each method."""
    judged = [f"{name} judge: judged {target} | 95% interval | per seed | mean p({target})"
              for name in ("style", "arrangement")]
    head = [f"| | outputs | seeds | {' | '.join(judged)} | melody F1 | melody notes kept | chroma sim. | straight 8ths | "
            "triplet 8ths | walking bass | 7th beats | drums | families | bar |", "|---" * 21 + "|"]
    m = real["markers"]
    lines = [f"| real {target} (val) | {real['songs']} | | {judge_cells('notes', real, real, None)} | "
             f"{judge_cells('arrangement', real, real, None)} | | | | "
             f"{num(m['straight8'])} | {num(m['triplet8'])} | {num(m['bass_walk'])} | {num(m['seventh'])} | "
             f"{pct(m['drums'])} | {', '.join(m['families'])} | |"]
    for name, r in rows.items():
        s, c, m = r["summary"], r["check"], r["summary"]["markers"]
        failed = [k for k in ("notes", "arrangement", "melody", "harmony") if c[k] is False]
        unjudged = f" ({', '.join(c['unjudged'])} judge: no {target})" if c["unjudged"] else ""
        verdict = "**pass**" + unjudged if c["pass"] else f"fail ({', '.join(failed) or 'no judge'})"
        failed = f" ({s['errors']} failed)" if s["errors"] else ""
        seeds = ",".join(map(str, s.get("seeds", [0])))
        lines.append(f"| {name} | {s['songs']}{failed} | {seeds} | "
                     f"{judge_cells('notes', s, real, c)} | {judge_cells('arrangement', s, real, c)} | "
                     f"{num(s['melody_f1'])} | {num(s['melody_kept'])} | {num(s['chroma'])} | {num(m['straight8'])} | "
                     f"{num(m['triplet8'])} | {num(m['bass_walk'])} | {num(m['seventh'])} | {pct(m['drums'])} | "
                     f"{', '.join(m['families'] or [])} | {verdict} |")
    return head + lines


def versions() -> dict:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "torch", "symusic", "music21", "scikit-learn"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            out[pkg] = None
    if shutil.which("mma"):  # the reference renderer's version (it prints it on stdout)
        said = subprocess.run(["mma", "-v"], capture_output=True, text=True).stdout.split()
        out["mma"] = said[-1] if said else None
    out["midistyle_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                             text=True, cwd=ROOT).stdout.strip()
    return out


def page(results: dict) -> str:
    meta = results["meta"]
    lines = ["# Arrangement-level transfer: issue 30's bar", "",
             f"Measured {meta['date']} on {meta['machine']}; {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}.",
             f"Command: `{meta['command']}` ({meta['wall_s'] / 60:.1f} min).", "",
             f"Sources: {meta['per_genre']} validation pieces per genre (seed {meta['seed']}; split from "
             f"{meta['split_from']}), each converted to every other genre. Real music: up to {meta['reals']} "
             "validation pieces per genre. Style judge: the shipped one (pitched notes). Arrangement judge: "
             f"{(meta['judges']['arrangement'] or {}).get('path', 'none')}. Bar per target: each judge calls the "
             f"output the target at >= {ev.BAR['judged']} x its recognition of the real songs, mean melody F1 >= "
             f"{ev.BAR['melody_f1']}, mean chroma similarity >= {ev.BAR['chroma']} (an output a converter failed "
             "on counts 0). Melody F1: pitch equal, onset less than an 8th apart; the output's melody is its "
             "tracks named as the source's melody parts, else the output read as a lead sheet. Markers: medians "
             "(drums: share of songs with drums); families: those at least half the songs play with >= 10% of "
             "their notes.", "",
             f"Converter seeds: {','.join(map(str, meta.get('convert_seeds', [0])))}. A converter that takes a seed "
             "(retrieval: tie-breaks and the timing spread a profile with timing adds; arranger: that timing "
             "spread; stargan: the generator's noise; mma: the groove's humanising) converts each source once per "
             "seed, every output judged; source takes none and runs once ('seeds' says which ran). Outputs, judged shares, mean p (the judge's mean probability of the target), melody "
             "F1 and chroma similarity pool every output of every seed, and the bar above is applied to these "
             "pooled numbers. Per seed: the lowest and highest judged share of one seed. 95% interval: the Wilson "
             "score interval of the pooled share, with n = the number of sources (one source's outputs at several "
             "seeds are not independent draws; counting each would narrow it falsely); on the real row, of the "
             "recognition with n = its songs. 'within noise': the bar lies inside the interval, so the pass or "
             "fail on that judge could flip with other sources.", ""]
    for target, block in results["targets"].items():
        lines += [f"## to {target}", ""] + table(target, block["real"], block["methods"]) + [""]
    passed = {m: [t for t, b in results["targets"].items() if b["methods"].get(m, {}).get("check", {}).get("pass")]
              for m in meta["methods"]}
    lines += ["## Summary", ""] + [f"- {m}: passes {len(p)} of {len(results['targets'])} targets"
                                   f"{' (' + ', '.join(p) + ')' if p else ''}" for m, p in passed.items()] + [""]
    return "\n".join(lines)


def draw_args(ap: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """The options every arrangement benchmark draws its songs with: corpus, assets, per-genre, reals, seed
    (``defaults=False``: corpus and assets must be given)."""
    if defaults:
        ap.add_argument("--corpus", type=Path, default=ROOT / "runs" / "arrangements")
        ap.add_argument("--assets", type=Path, default=ROOT / "runs" / "arrangement_assets")
    else:
        ap.add_argument("--corpus", type=Path, required=True)
        ap.add_argument("--assets", type=Path, required=True)
    ap.add_argument("--per-genre", type=int, default=4)
    ap.add_argument("--reals", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0, help="seed of the draw of sources and real songs")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    draw_args(ap)
    ap.add_argument("--arrangement-judge", default=None, help="judge folder (default: the shipped one)")
    ap.add_argument("--arranger-model", type=Path, default=None)
    ap.add_argument("--methods", default="source,retrieval,stargan")
    ap.add_argument("--mma-grooves", type=Path, default=ROOT / "benchmarks" / "mma_grooves.json",
                    help="genre -> groove per meter for --methods mma (a hand-picked reference setting)")
    ap.add_argument("--targets", default=None, help="comma-separated (default: every genre of the corpus)")
    ap.add_argument("--convert-seeds", default="0",
                    help="comma-separated converter seeds: each source is converted once per seed by the "
                         "converters that take one (retrieval, arranger, stargan, mma); the bar decides on the pooled shares")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "results")
    ap.add_argument("--name", default="arrangement")
    ap.add_argument("--merge", action="store_true",
                    help="keep the methods of an earlier run in --out (same sources, judges and reals) that this run does not redo")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite the page from the run's JSON in --out (the bar's checks recomputed), measuring nothing")
    args = ap.parse_args(argv)
    try:
        convert_seeds = sorted({int(x) for x in args.convert_seeds.split(",") if x.strip()})
    except ValueError:
        ap.error(f"--convert-seeds: comma-separated integers, got {args.convert_seeds!r}")
    if not convert_seeds:
        ap.error("--convert-seeds: at least one seed")
    if args.render_only:
        if not (args.out / f"{args.name}.json").exists():
            ap.error(f"--render-only: no {args.name}.json in {args.out} (run the benchmark first)")
        return write(args.out, args.name, rechecked(json.loads((args.out / f"{args.name}.json").read_text())))
    t0 = time.perf_counter()
    methods = args.methods.split(",") + (["arranger"] if args.arranger_model else [])
    if "mma" in methods:
        from midistyle.errors import RenderError
        from midistyle.reference.mma import find_mma

        try:
            find_mma()
        except RenderError as exc:
            sys.exit(f"error: --methods mma: {exc}")
    pieces, split_from = val_pieces(args.corpus)
    reals = read_songs(pieces, max(args.reals, args.per_genre), args.seed)
    targets = args.targets.split(",") if args.targets else list(reals)
    judges, judge_info = load_judges(args.arrangement_judge)
    sources = [(s, g) for g, songs in reals.items() for s in songs[:args.per_genre]]
    print(f"{len(sources)} sources, {sum(map(len, reals.values()))} real songs, {time.perf_counter() - t0:.0f} s",
          file=sys.stderr, flush=True)
    conv = Methods(args.assets, args.arranger_model, mma_grooves(args.mma_grooves) if "mma" in methods else None)
    earlier = _earlier(args, sources, judge_info, convert_seeds) if args.merge else None
    if earlier:
        results = {"targets": {t: {"real": earlier["targets"][t]["real"], "methods": {
            m: v for m, v in earlier["targets"][t]["methods"].items() if m not in methods}} for t in targets}}
        records = {m: v for m, v in earlier["records"].items() if m not in methods}
        methods = list(records) + methods
        print(f"kept {', '.join(records)} and the references from the earlier run", file=sys.stderr, flush=True)
    else:
        results = {"targets": {t: {"real": ev.reference(reals[t], t, judges), "methods": {}} for t in targets}}
        records = {}
    print(f"references read, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    for name in methods:
        can = conv.targets(name, targets)
        t1 = time.perf_counter()
        if name in records:
            continue
        done = iter(range(1, 10 ** 6))
        records[name] = {t: [] for t in can}
        for seed in conv.seeds(name, convert_seeds):
            at_seed = ev.run(sources, conv.get(name, seed), can, judges, seed=seed, progress=lambda what: print(
                f"  {name} seed {seed} {next(done)}: {what} ({time.perf_counter() - t1:.0f} s)",
                file=sys.stderr, flush=True))
            for t in can:
                records[name][t] += at_seed[t]
        print(f"{name}: {len(can)} targets, {time.perf_counter() - t1:.0f} s", file=sys.stderr, flush=True)
        for t in can:
            s = ev.summary(records[name][t], t, judges)
            results["targets"][t]["methods"][name] = {"summary": s, "check": ev.check(s, results["targets"][t]["real"])}
    command = "PYTHONPATH=$PWD nice -n 10 python benchmarks/arrangement.py " + " ".join(sys.argv[1:] if argv is None else argv)
    results["meta"] = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
                       "machine": f"{platform.machine()}, {platform.platform()}, 2 shared cores (nice 10, 1 process)",
                       "versions": versions(), "wall_s": time.perf_counter() - t0, "seed": args.seed,
                       "convert_seeds": convert_seeds, "per_genre": args.per_genre, "reals": args.reals, "split_from": split_from,
                       "methods": methods, "judges": judge_info,
                       "sources": [(s.source, g) for s, g in sources]}
    results["records"] = records
    write(args.out, args.name, rechecked(results))  # methods kept by --merge from an older run: their intervals


def rechecked(results: dict) -> dict:
    """The results with every method's bar check recomputed from its summary and the reference; a
    summary from before ``--convert-seeds`` (one seed, one output per source) gets its interval."""
    for block in results["targets"].values():
        for m in block["methods"].values():
            s = m["summary"]
            if "interval" not in s:
                s["interval"] = {j: None if s.get(j) is None else list(ev.wilson(s[j] * s["songs"], s["songs"]))
                                 for j in ("notes", "arrangement")}
            m["check"] = ev.check(s, block["real"])
    return results


def write(out: Path, name: str, results: dict) -> None:
    """``name``.json and ``name``.md (the page's hand-written notes kept) into ``out``."""
    from midistyle.atomic import write_text

    out.mkdir(parents=True, exist_ok=True)
    write_text(out / f"{name}.json", json.dumps(results, indent=1, default=_plain) + "\n")
    md = out / f"{name}.md"
    notes = md.read_text().split(NOTES, 1)[1] if md.exists() and NOTES in md.read_text() else "\n"
    text = page(results)
    write_text(md, text + "\n" + NOTES + notes)
    print(text)


def _earlier(args, sources, judge_info, convert_seeds: list[int]) -> dict | None:
    """The earlier run's results in ``--out`` when it measured the same sources with the same judges;
    exits when it converted at other seeds (its pooled shares would not compare with this run's)."""
    path = args.out / f"{args.name}.json"
    if not path.exists():
        return None
    old = json.loads(path.read_text())
    were = old["meta"].get("convert_seeds", [0])  # runs before --convert-seeds converted at 0
    if were != convert_seeds:
        sys.exit(f"error: --merge: the run in {path} converted at seeds {','.join(map(str, were))}, this one at "
                 f"{','.join(map(str, convert_seeds))}: rerun with --convert-seeds {','.join(map(str, were))}, "
                 "or without --merge to measure every method again")
    same = (old["meta"]["sources"] == [[s.source, g] for s, g in sources] and old["meta"]["judges"] == judge_info
            and old["meta"]["reals"] == args.reals and old["meta"]["seed"] == args.seed)
    if not same:
        print("the earlier run measured other sources or judges: not merged", file=sys.stderr)
    return old if same else None


def _plain(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)


if __name__ == "__main__":
    main()
