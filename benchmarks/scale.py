"""Scaling on one machine: 1 vs 2 workers for ``prepare`` (local pool and the Dask engine) and
1 vs 2 ``torchrun`` processes for training steps/s (gloo, CPU).

    python benchmarks/scale.py [--data ../shared/data] [--files 1000] [--rounds 3] [--align-beats auto]
                               [--tasks cyclegan,classifier] [--steps 10]

prepare: a fixed, hash-chosen slice of the MIDI files of ``--data`` (the same slice as
benchmarks/prepare.py picks), each run into a fresh folder (nothing cached). The Dask rows
include starting the local cluster (about a second), as a user sees it. Every arm must give the
same ``index.json`` bytes (checked).

training: ``torchrun --standalone --nproc-per-node K`` on this script's own ``_train`` driver,
which trains on the corpus the prepare arms wrote for ``--warmup + --steps`` steps through the
one training loop (midistyle.training.api); steps/s is the last ``--steps`` steps over the time
between the ends of step ``--warmup`` and of the last step (data loading and gradient all-reduce
included; process start, imports and the final validation and checkpoint not). The global batch is the preset's (each of 2 processes takes half). Arms: 1 process with 1
thread, 1 process with 2 threads (one process using the whole machine) and 2 processes with 1
thread each (what torchrun sets).

Arms run alternately, round by round, in a rotating order; the table gives the median and the
range over rounds. The load average is printed before and after: on a shared machine the
numbers move with the other jobs. Prints that the data is absent and exits 0 when it is.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "data"
PREPARE_ARMS = [("local pool", "local", 1), ("local pool", "local", 2), ("dask local cluster", "dask", 1),
                ("dask local cluster", "dask", 2)]
TRAIN_ARMS = [(1, 1), (1, 2), (2, 1)]  # (processes, threads per process)
TASKS = {"cyclegan": ("pop", "jazz"), "classifier": None}
OVERRIDES = {"checkpoint_every": 1_000_000, "val_phrases": 64, "log_every": 1_000_000}


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def rotated(arms: list, k: int) -> list:
    k %= len(arms)
    return arms[k:] + arms[:k]


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"


# ------------------------------------------------------------------------------------------- prepare
def prepare_arm(sources: dict, out: Path, engine: str, workers: int, align: str) -> tuple[float, int, bytes]:
    from midistyle.data.corpus import prepare

    t = time.perf_counter()
    report = prepare(sources, out, workers=workers, progress=False, engine=engine, align_beats=align)
    wall = time.perf_counter() - t
    phrases = sum(sum(v.values()) for v in report.phrases.values())
    return wall, phrases, (out / "index.json").read_bytes()


def bench_prepare(sources: dict, rounds: int, tmp: Path, align: str) -> tuple[dict, Path]:
    walls: dict[tuple, list[float]] = {arm: [] for arm in PREPARE_ARMS}
    index, phrases, keep = None, 0, None
    for r in range(rounds):
        for arm in rotated(PREPARE_ARMS, r):
            out = tmp / f"prep-{arm[1]}-{arm[2]}-{r}"
            wall, phrases, idx = prepare_arm(sources, out, arm[1], arm[2], align)
            assert index is None or idx == index, f"{arm}: index.json differs from the first arm's"
            index = idx
            walls[arm].append(wall)
            print(f"  prepare round {r + 1} {arm[0]} x{arm[2]}: {wall:.2f} s (load {load()})", flush=True)
            if keep is None:
                keep = out
    return {"walls": walls, "phrases": phrases}, keep


# ------------------------------------------------------------------------------------------ training
def train_driver(argv: list[str]) -> int:
    """Runs under torchrun: one run of ``warmup + steps`` steps, each step's end timed on rank 0
    (the ranks meet in every optimiser step's gradient all-reduce), printed as JSON."""
    ap = argparse.ArgumentParser()
    ap.add_argument("task")
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--preset", default="small")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args(argv)
    from midistyle.data.index import read_index
    from midistyle.training.api import train_classifier, train_cyclegan
    from midistyle.training.classifier import ClassifierTask
    from midistyle.training.cyclegan import CycleGANTask
    from midistyle.training.distributed import from_env

    group, _ = from_env("cpu")
    ends: list[float] = []
    for cls in (ClassifierTask, CycleGANTask):  # time each step where the loop calls it
        def timed(self, batch, _step=cls.step):
            out = _step(self, batch)
            ends.append(time.perf_counter())
            return out
        cls.step = timed
    common = dict(preset=args.preset, device="cpu", progress=False, overrides=OVERRIDES)
    n = args.warmup + args.steps
    if args.task == "cyclegan":
        a, b = TASKS["cyclegan"]
        train_cyclegan(args.data, [a], [b], args.out, max_steps=n, **common)
    else:
        train_classifier(args.data, read_index(args.data)["genres"], args.out, max_steps=n, **common)
    if group.main:
        rate = args.steps / (ends[n - 1] - ends[args.warmup - 1])
        print("SCALE " + json.dumps({"steps_per_s": rate, "world": group.world}))
    return 0


def train_arm(task: str, data: Path, out: Path, procs: int, threads: int, preset: str, warmup: int,
              steps: int) -> float:
    launcher = Path(sys.executable).with_name("torchrun")
    head = [str(launcher)] if launcher.exists() else [sys.executable, "-m", "torch.distributed.run"]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = head + ["--standalone", "--nproc-per-node", str(procs), str(Path(__file__).resolve()), "_train", task,
                  str(data), str(out), "--preset", preset, "--warmup", str(warmup), "--steps", str(steps)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("SCALE ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"torchrun failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return json.loads(line[len("SCALE "):])["steps_per_s"]


def bench_train(tasks: list[str], data: Path, rounds: int, tmp: Path, preset: str, warmup: int,
                steps: dict[str, int]) -> dict:
    rates: dict[tuple, list[float]] = {(t, *arm): [] for t in tasks for arm in TRAIN_ARMS}
    for r in range(rounds):
        for task in tasks:
            for procs, threads in rotated(TRAIN_ARMS, r):
                out = tmp / f"train-{task}-{procs}x{threads}-{r}"
                rate = train_arm(task, data, out, procs, threads, preset, warmup, steps[task])
                rates[(task, procs, threads)].append(rate)
                print(f"  train round {r + 1} {task} {procs} proc x {threads} thr: {rate:.2f} steps/s "
                      f"(load {load()})", flush=True)
    return rates


# ---------------------------------------------------------------------------------------------- main
def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_train":
        return train_driver(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("MIDISTYLE_SHARED_DATA", DEFAULT_DATA)))
    ap.add_argument("--files", type=int, default=1000, help="MIDI files in the prepare slice")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--align-beats", default="auto", choices=["off", "auto", "on"],
                    help="prepare's beat alignment (its default: auto)")
    ap.add_argument("--tasks", default="cyclegan,classifier")
    ap.add_argument("--preset", default="small")
    ap.add_argument("--warmup", type=int, default=3, help="steps of the shorter training run")
    ap.add_argument("--steps", type=int, default=10, help="CycleGAN steps timed after the warm-up (classifier: 20x)")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"shared data not found at {args.data}: nothing to benchmark")
        return 0
    sys.path.insert(0, str(HERE))
    from prepare import midi_files, subset  # benchmarks/prepare.py: the same deterministic slice

    import torch

    tasks = [t for t in args.tasks.split(",") if t]
    unknown = set(tasks) - set(TASKS)
    if unknown:
        ap.error(f"unknown task(s) {sorted(unknown)}; choose from {sorted(TASKS)}")
    sources = subset(midi_files(args.data), args.files)
    n_files = sum(len(v) for v in sources.values())
    start_load = load()
    print(f"cores {os.cpu_count()}, torch {torch.__version__}, CUDA {torch.cuda.is_available()}; "
          f"load average (1/5/15 min) at start {start_load}", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        prep, corpus = bench_prepare(sources, args.rounds, tmp, args.align_beats)
        steps = {"cyclegan": args.steps, "classifier": 20 * args.steps}
        rates = bench_train(tasks, corpus, args.rounds, tmp, args.preset, args.warmup, steps) if tasks else {}
    end_load = load()

    print(f"\nprepare: {n_files} MIDI files of {args.data} -> {prep['phrases']} phrases, --align-beats "
          f"{args.align_beats} (index.json identical in every arm); wall s, median (min-max) of {args.rounds} rounds\n")
    print(f"| engine | workers | wall s | files/s | speed-up vs 1 worker |")
    print(f"|---|---|---|---|---|")
    for name, engine, workers in PREPARE_ARMS:
        walls = prep["walls"][(name, engine, workers)]
        base = statistics.median(prep["walls"][(name, engine, 1)])
        med = statistics.median(walls)
        print(f"| {name} | {workers} | {spread(walls)} | {n_files / med:.0f} | {base / med:.2f}x |")
    if rates:
        print(f"\ntraining ({args.preset} preset, CPU, gloo): steps/s, median (min-max) of {args.rounds} rounds; "
              f"global batch = the preset's\n")
        print("| task | processes x threads | steps/s | vs 1 x 1 |")
        print("|---|---|---|---|")
        for (task, procs, threads), xs in rates.items():
            base = statistics.median(rates[(task, 1, 1)])
            print(f"| {task} | {procs} x {threads} | {spread(xs)} | {statistics.median(xs) / base:.2f}x |")
    print(f"\nload average (1/5/15 min): {start_load} at start, {end_load} at the end "
          f"({os.cpu_count()} cores; other jobs were running if it is above 0)")
    if not torch.cuda.is_available():
        print("no GPU here: multi-GPU scaling not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
