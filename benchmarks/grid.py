"""The swing-capable grid, 12 against 4 steps per quarter: what it keeps and what it costs.

    python benchmarks/grid.py [--data ../shared/data] [--per-set 20] [--cost-files 30]
                              [--work /tmp/midistyle-grid] [--train-steps 10] [--skip-costs]

1. What it keeps. ``--per-set`` files of each set (WJazzD solos, Doug McKenzie takes, PiJAMA
   transcriptions, and each other genre; files in a fixed hash order) are read with
   :func:`midistyle.representation.read` and aligned to their beats as
   ``examples/shared_corpus.toml`` prepares them (``align_beats`` "on" for PiJAMA, "auto" for the
   rest). Their pitched onsets (MIDI 24-107, the models' range) are then placed within their beat
   as they are, and after :func:`midistyle.representation.quantize` to 4 and to 12 steps per
   quarter. An onset is at a *triplet* position when its nearest twelfth of a beat is 4/12 or 8/12
   (within +-1/24 beat of 1/3 or 2/3), at a *16th offbeat* when it is 3/12 or 9/12. Onsets spread
   at random over the beat would give 2/12 = 17% each. A 4-step grid has no triplet positions, so
   its share must fall to 0; rounding to the nearest twelfth is exactly this binning, so a 12-step
   grid keeps the share as it was (up to merged duplicate onsets). Also reported: the median
   distance the grid moves an onset, in milliseconds.
2. What it costs. ``--cost-files`` files per genre (jazz: a third each from WJazzD, Doug McKenzie
   and PiJAMA, the last aligned "on" and capped at 8 phrases as in the shared config) are linked
   into ``--work`` and prepared with ``midistyle prepare --steps-per-beat 4`` and ``12`` (one
   worker). Reported: prepare time, phrases, phrases per piece, shard bytes per phrase; the time
   of one StarGAN training step (``small`` preset, batch 16, real phrases of that corpus, CPU,
   ``--threads`` threads, median of ``--train-steps`` steps after 2 warm-up steps); and the time
   of ``Converter.convert_song`` (what ``midistyle convert`` runs) on one Doug McKenzie take with
   an *untrained* StarGAN ``small`` checkpoint of each grid (``train stargan --max-steps 1``: the
   network's cost does not depend on its weights; threshold 0.9, so that it does not write noise
   in a large share of cells), median of 3, reading and model loading not timed.

Prints that the data is absent and exits 0 when it is. Outputs go under ``--work`` (replaced).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from midistyle.config import RollConfig
from midistyle.representation import quantize, read
from midistyle.representation.beats import NoRhythmError, align_beats
from midistyle.representation.files import music_files
from midistyle.representation.roll import to_steps

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WJAZZD, DOUG, PIJAMA = ("jazz/wjazzd_v1.2_solos", "jazz/doug_mckenzie_via_EricElmoznino_MusicGenerator",
                        "jazz/pijama_transcriptions")
# (name, folder under the data, align mode as examples/shared_corpus.toml prepares it)
KEEP_SETS = [
    ("jazz: WJazzD solos", WJAZZD, "auto"),
    ("jazz: Doug McKenzie takes", DOUG, "auto"),
    ("jazz: PiJAMA, aligned on", PIJAMA, "on"),
    ("classical", "classical", "auto"),
    ("pop", "pop", "auto"),
    ("folk (Nottingham)", "folk/nottingham/MIDI", "auto"),
    ("rock", "rock", "auto"),
]
# genre -> [(folder, share of the genre's files, per-source options)] for the cost corpus
COST_SOURCES = {
    "jazz": [(WJAZZD, 1 / 3, {}), (DOUG, 1 / 3, {}), (PIJAMA, 1 / 3, {"align_beats": "on", "max_phrases": 8})],
    "classical": [("classical", 1, {})],
    "pop": [("pop", 1, {})],
    "folk": [("folk/nottingham/MIDI", 1, {})],
    "rock": [("rock", 1, {})],
}
GRIDS = (4, 12)
TRIPLET, OFFBEAT_16TH = (4, 8), (3, 9)
# An untrained generator's note probabilities sit near 0.5, so the default threshold would write
# noise in a large share of cells (tens of thousands of notes, 3x more at 12 steps, and writing
# them would be what is timed); at 0.9 it writes few notes, so the time is the network's and the
# grid's (a trained model writes about as many notes as the song has, a small extra cost).
CONVERT_THRESHOLD = 0.9


def hashed(folder: Path) -> list[Path]:
    """The folder's music files in a fixed pseudo-random order (sha1 of the relative path)."""
    return sorted(music_files(folder), key=lambda p: hashlib.sha1(str(p.relative_to(folder)).encode()).hexdigest())


# ---------------------------------------------------------------- 1. what the grid keeps

def onsets(song, low: int = 24, high: int = 107) -> np.ndarray:
    """Pitched onsets in the models' pitch range, in quarters."""
    return np.concatenate([t.start[(t.pitch >= low) & (t.pitch <= high)] for t in song.pitched] or [np.zeros(0)])


def positions(q: np.ndarray) -> dict:
    """Counts of onsets by their nearest twelfth of a beat."""
    k = np.rint((q - np.floor(q)) * 12).astype(np.int64) % 12
    return {"n": int(q.size), "beat": int((k == 0).sum()), "triplet": int(np.isin(k, TRIPLET).sum()),
            "16th": int(np.isin(k, OFFBEAT_16TH).sum())}


def keep_row(paths: list[Path], n: int, mode: str) -> dict:
    tot = {g: {"n": 0, "beat": 0, "triplet": 0, "16th": 0} for g in ("raw", *GRIDS)}
    shift_ms = {g: [] for g in GRIDS}
    used = aligned = 0
    for path in paths:
        if used >= n:
            break
        try:
            song = read(path)
            al = align_beats(song, mode, 12)
        except NoRhythmError:
            continue
        except Exception:  # unreadable or empty files are skipped, as prepare skips them
            continue
        song = al.song
        q = onsets(song)
        if q.size < 8:
            continue
        used += 1
        aligned += al.changed
        for key, val in positions(q).items():
            tot["raw"][key] += val
        for g in GRIDS:
            cfg = RollConfig(steps_per_beat=g)
            for key, val in positions(onsets(quantize(song, cfg))).items():
                tot[g][key] += val
            snapped = to_steps(q, cfg) / g
            shift_ms[g].append(np.abs(song.seconds(snapped) - song.seconds(q)) * 1000)
    out = {"files": used, "aligned": aligned}
    for g, c in tot.items():
        out[g] = {k: c[k] / c["n"] if c["n"] else float("nan") for k in ("beat", "triplet", "16th")} | {"n": c["n"]}
        off = c["n"] - c["beat"]
        out[g]["off_triplet"] = c["triplet"] / off if off else float("nan")
    for g in GRIDS:
        out[f"shift{g}"] = float(np.median(np.concatenate(shift_ms[g]))) if shift_ms[g] else float("nan")
    return out


def print_keep(rows: list[tuple[str, dict]], per_set: int) -> None:
    head = (f"{'set':<28} {'files':>5} {'aligned':>7} {'onsets':>7} {'on beat':>7} | {'triplet: as is':>14} "
            f"{'4-step':>6} {'12-step':>7} {'of off-beat':>11} | {'16th offbeat: as is':>19} {'4-step':>6} "
            f"{'12-step':>7} | {'median shift ms: 4':>18} {'12':>5}")
    print(f"What the grid keeps ({per_set} files per set; aligned as examples/shared_corpus.toml does)")
    print(head)
    print("-" * len(head))
    for name, r in rows:
        if not r["files"]:
            print(f"{name:<28} {0:>5}")
            continue
        raw = r["raw"]
        print(f"{name:<28} {r['files']:>5} {r['aligned']:>7} {raw['n']:>7} {raw['beat']:>7.1%} | "
              f"{raw['triplet']:>14.1%} {r[4]['triplet']:>6.1%} {r[12]['triplet']:>7.1%} {raw['off_triplet']:>11.1%} | "
              f"{raw['16th']:>19.1%} {r[4]['16th']:>6.1%} {r[12]['16th']:>7.1%} | {r['shift4']:>18.1f} {r['shift12']:>5.1f}")
    print("Position of each pitched onset in its beat, by its nearest twelfth: on beat 0/12; triplet 4/12 or 8/12;"
          " 16th offbeat 3/12 or 9/12 (onsets at random: 8%, 17%, 17%). 'as is' = after alignment, before"
          " quantising; 'of off-beat': triplet share of the onsets not on the beat, as is (at random: 2/11 = 18%);"
          " shift: how far the grid moves an onset")


# ---------------------------------------------------------------- 2. what the grid costs

def link_subset(data: Path, work: Path, per_genre: int) -> tuple[Path, Path | None]:
    """Symlinks of ``per_genre`` files per genre under work/subset and a prepare config for them."""
    lines, song = [], None
    for genre, sources in COST_SOURCES.items():
        entries = []
        for rel, share, opts in sources:
            folder = data / rel
            if not folder.is_dir():
                continue
            dest = work / "subset" / genre / Path(rel).name
            dest.mkdir(parents=True, exist_ok=True)
            take = hashed(folder)[:max(1, round(per_genre * share))]
            for i, p in enumerate(take):
                (dest / f"{i:03d}{p.suffix.lower()}").symlink_to(p.resolve())
            if rel == DOUG and take:
                song = take[0]
            extra = "".join(f", {k} = {json.dumps(v)}" for k, v in opts.items())
            entries.append(f'{{ path = {json.dumps(str(dest))}{extra} }}')
        if entries:
            lines.append(f"{genre} = [{', '.join(entries)}]")
    config = work / "subset.toml"
    config.write_text("[sources]\n" + "\n".join(lines) + "\n")
    return config, song


def midistyle(*args: str) -> float:
    """Run the CLI in a fresh process; wall seconds."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "midistyle", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def corpus_stats(root: Path) -> dict:
    index = json.loads((root / "index.json").read_text())
    n_phr = len(index["phrases"])
    with_phrases = len({row[2] for row in index["phrases"]})
    shard_bytes = sum((root / s["file"]).stat().st_size for s in index["shards"])
    return {"phrases": n_phr, "pieces": with_phrases, "per_piece": n_phr / max(with_phrases, 1),
            "bytes_per_phrase": shard_bytes / max(n_phr, 1), "mb": (shard_bytes + (root / "index.json").stat().st_size) / 1e6,
            "phrase_steps": int(index["phrase_steps"])}


def step_seconds(root: Path, steps: int, threads: int) -> float:
    """Median wall seconds of a StarGAN small training step on real phrases of ``root`` (batch 16, CPU)."""
    import torch

    from midistyle.config import derive, get_preset
    from midistyle.data.dataset import PhraseDataset
    from midistyle.kinds import get
    from midistyle.training.runtime import Runtime
    from midistyle.training.stargan import StarGANTask
    from midistyle.training.task import TaskInfo

    torch.set_num_threads(threads)
    ds = PhraseDataset(root, json.loads((root / "index.json").read_text())["genres"], "train")
    preset = get_preset("small")
    stargan = get("stargan")
    cfg = derive(stargan.config, preset.train, task="stargan", **stargan.defaults)
    torch.manual_seed(0)
    task = StarGANTask(preset, cfg, Runtime(torch.device("cpu")), TaskInfo(
        roll=ds.roll_config, genres=tuple(ds.genres), phrase_steps=ds.phrase_steps))
    task.setup()
    task.train()
    pick = np.random.default_rng(0).permutation(len(ds))[:cfg.batch_size]
    items = [ds[int(i)] for i in pick]
    batch = {"roll": torch.stack([x["roll"] for x in items]), "label": torch.stack([x["label"] for x in items])}
    times = []
    for i in range(2 + steps):
        t = time.perf_counter()
        task.step(batch)
        if i >= 2:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def convert_seconds(song_path: Path, model: Path, threads: int, repeats: int = 3) -> dict:
    """Median seconds of ``Converter.convert_song`` (jazz -> pop, alignment "auto" included, reading
    and model loading not) on one song, and its note counts in and out."""
    import torch

    from midistyle.transfer import Converter

    torch.set_num_threads(threads)
    conv = Converter.load("pop", model, classifier=False, device="cpu")
    song = read(song_path)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        _, info = conv.convert_song(song, from_genre="jazz", threshold=CONVERT_THRESHOLD)
        times.append(time.perf_counter() - t)
    return {"convert_s": statistics.median(times), "notes_in": info["notes_in"], "notes_out": info["notes_out"],
            "song_s": song.duration_seconds()}


def costs(data: Path, work: Path, per_genre: int, train_steps: int, threads: int) -> dict:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    config, song = link_subset(data, work, per_genre)
    out = {}
    for g in GRIDS:
        prep = work / f"prepared{g}"
        r = {"prepare_s": midistyle("prepare", "--config", str(config), "-o", str(prep), "--workers", "1",
                                    "--steps-per-beat", str(g))}
        r.update(corpus_stats(prep))
        r["step_s"] = step_seconds(prep, train_steps, threads)
        if song is not None:
            run = work / f"stargan{g}"
            midistyle("train", "stargan", "--data", str(prep), "-o", str(run), "--preset", "small",
                      "--device", "cpu", "--max-steps", "1")
            model = run / "best" if (run / "best").is_dir() else run / "last"
            r.update(convert_seconds(song, model, threads))
        out[g] = r
    out["song"] = song
    return out


def print_costs(c: dict, per_genre: int, train_steps: int, threads: int) -> None:
    a, b = c[4], c[12]
    rows = [("prepare wall s (1 worker)", "prepare_s", ".1f"), ("phrase steps (4 bars of 4/4)", "phrase_steps", "d"),
            ("phrases", "phrases", "d"), ("pieces with phrases", "pieces", "d"),
            ("phrases per piece", "per_piece", ".2f"), ("shard bytes per phrase", "bytes_per_phrase", ",.0f"),
            ("corpus MB (shards + index)", "mb", ".2f"),
            (f"StarGAN small step s (batch 16, {threads} thr)", "step_s", ".3f")]
    if "convert_s" in a:
        rows += [("convert s (one song, median of 3)", "convert_s", ".2f"),
                 ("  notes in (on the grid)", "notes_in", "d"), ("  notes out", "notes_out", "d")]
    print(f"\nWhat the grid costs ({per_genre} files per genre prepared at each grid; "
          f"step: median of {train_steps} after 2 warm-up)")
    head = f"{'':<42} {'4 steps':>10} {'12 steps':>10} {'12 / 4':>7}"
    print(head)
    print("-" * len(head))
    for label, key, fmt in rows:
        ratio = b[key] / a[key] if a[key] else float("nan")
        print(f"{label:<42} {format(a[key], fmt):>10} {format(b[key], fmt):>10} {ratio:>7.2f}")
    if c.get("song"):
        print(f"convert: Converter.convert_song of {c['song'].name} ({a['song_s']:.0f} s; jazz -> pop, beat alignment"
              f" 'auto' included) with an untrained StarGAN small checkpoint of each grid (train stargan --max-steps 1;"
              f" threshold {CONVERT_THRESHOLD}), {threads} torch thread(s); reading and model loading not timed")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("MIDISTYLE_SHARED_DATA", DEFAULT_DATA)))
    ap.add_argument("--per-set", type=int, default=20, help="files per set for what the grid keeps")
    ap.add_argument("--cost-files", type=int, default=30, help="files per genre prepared for what it costs")
    ap.add_argument("--work", type=Path, default=Path("/tmp/midistyle-grid"), help="scratch folder (replaced)")
    ap.add_argument("--train-steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads for the training step")
    ap.add_argument("--skip-costs", action="store_true", help="only measure what the grid keeps")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"shared data not found at {args.data}: nothing to benchmark")
        return 0
    warnings.simplefilter("ignore")
    rows = []
    for name, rel, mode in KEEP_SETS:
        folder = args.data / rel
        if folder.is_dir():
            rows.append((name, keep_row(hashed(folder), args.per_set, mode)))
    print_keep(rows, args.per_set)
    if not args.skip_costs:
        print_costs(costs(args.data, args.work, args.cost_files, args.train_steps, args.threads),
                    args.cost_files, args.train_steps, args.threads)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
