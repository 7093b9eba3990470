"""Lent-GPU recipe (issue 14): several StarGAN runs side by side on one GPU, in bf16, within a time budget.

Beforehand, on the CPU machine (the travelling tree is capped at 64 MiB, the full corpus is 5 GB):

    midistyle subset prepared -o prepared-gpu --train 12000 --val 300
    mkdir -p gpu && tar -C prepared-gpu -czf gpu/corpus.tar.gz .      # gpu/ is git-ignored

On the GPU machine (the device tool, carrying gpu/), at most 9 minutes:

    python3 examples/train_stargan_gpu.py --corpus gpu/corpus.tar.gz --minutes 6 --out $OUT

It unpacks the corpus, times one training step per preset (benchmarks/train.py), runs every --run
for 40 s to measure its step rate with the others beside it, then starts them again with
``--max-steps`` sized to the budget (so the learning rate decays to 0 as on the CPU recipe) and a
snapshot every quarter. Each run comes back as OUT/<name>.tar (best/ and snapshots; medium and
brunner weights as float16 to fit 16 MiB a file); OUT/logs.tar.gz holds logs, metrics, step rates,
GPU load. Back on the CPU machine: ``tar -xf OUT/<name>.tar -C runs/gpu`` and evaluate the
snapshots with benchmarks/transfer.py (float16 weights load into the float32 networks).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


RECIPE = ROOT / "examples" / "recipes" / "to_jazz.toml"  # the CPU recipe's settings (examples/train_stargan.sh)


def recipe() -> dict:
    """The recipe every run starts from; a run sets its own preset, focus, seed, steps and snapshots."""
    with open(RECIPE, "rb") as fh:
        return tomllib.load(fh)


RUNS = ("jazz-small=small:focus=jazz", "jazz-small-s1=small:focus=jazz:seed=1", "multi=medium",
        "jazz=medium:focus=jazz", "classical=medium:focus=classical", "pop=medium:focus=pop", "folk=medium:focus=folk")
FILE_LIMIT, TOTAL_LIMIT = 15.5 * 2**20, 62 * 2**20  # what the device tool brings back


def parse_run(text: str) -> dict:
    """'name=preset[:focus=G][:seed=N]' -> {"name", "preset", "focus", "seed"}."""
    name, _, rest = text.partition("=")
    preset, *opts = rest.split(":")
    run = {"name": name, "preset": preset, "focus": None, "seed": 0}
    for opt in opts:
        key, _, value = opt.partition("=")
        run[key] = int(value) if key == "seed" else value
    return run


def command(run: dict, data: Path, out: Path, max_steps: int, keep_every: int | None, device: str) -> list[str]:
    """The ``midistyle train`` command of ``run``: the recipe, with the run's preset, focus (none: every
    genre), seed and length, and a snapshot every ``keep_every`` steps (none: no snapshots)."""
    cmd = [sys.executable, "-m", "midistyle", "train", recipe()["kind"], "--recipe", str(RECIPE), "--data", str(data),
           "--preset", run["preset"], "--max-steps", str(max_steps), "--seed", str(run["seed"]), "--no-compile",
           "--device", device, "--set", f"focus={run['focus'] or ''}",
           "--set", f"keep_every={keep_every or 'none'}", "-o", str(out)]
    return cmd


def launch(runs: list[dict], data: Path, base: Path, steps: dict[str, int], keep: dict[str, int | None],
           device: str) -> dict:
    procs = {}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    for run in runs:
        out = base / run["name"]
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "train.log", "w") as log:  # the child keeps its own copy of the handle
            procs[run["name"]] = subprocess.Popen(
                command(run, data, out, steps[run["name"]], keep[run["name"]], device),
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    return procs


def last_step(run_dir: Path) -> int:
    """The latest training step logged in run_dir/metrics.jsonl (0 before the first)."""
    try:
        lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    except OSError:
        return 0
    steps = [json.loads(line)["step"] for line in lines if line.strip()]
    return max(steps, default=0)


def stop(procs: dict) -> None:
    for p in procs.values():
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def gpu_load() -> str:
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu,memory.used,power.draw",
                               "--format=csv,noheader"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def pack(run: dict, run_dir: Path, out: Path, budget: list[float], share: float) -> None:
    """run_dir's best/ and snapshots (latest first, as many as fit in ``share`` bytes) -> out/<name>.tar."""
    from safetensors.torch import load_file, save_file

    half = run["preset"] not in ("small", "tiny")
    stage = run_dir / "pack"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    folders = [d for d in [run_dir / "best"] + sorted(run_dir.glob("step*"), key=lambda d: -int(d.name[4:]))
               if (d / "model.safetensors").is_file()]
    size, steps = 0.0, set()
    for d in folders:
        step = json.loads((d / "config.json").read_text()).get("step")
        if step in steps:  # best/ of a finished run is its last snapshot
            continue
        steps.add(step)
        dest = stage / d.name
        dest.mkdir(parents=True)
        shutil.copy(d / "config.json", dest / "config.json")
        tensors = load_file(str(d / "model.safetensors"))
        if half:
            tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
        save_file(tensors, str(dest / "model.safetensors"))
        n = sum(f.stat().st_size for f in dest.iterdir()) + 4096
        if size + n > min(FILE_LIMIT, share, budget[0]):
            shutil.rmtree(dest)
            break
        size += n
    budget[0] -= size
    with tarfile.open(out / f"{run['name']}.tar", "w") as tar:
        for d in sorted(stage.iterdir()):
            tar.add(d, arcname=f"{run['name']}/{d.name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="prepared corpus: a folder or a .tar.gz of one")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "out")))
    ap.add_argument("--work", type=Path, default=Path("/tmp/gpu-runs"))
    ap.add_argument("--device", default="cuda", help="torch device of the runs (cpu: to try the recipe here)")
    ap.add_argument("--minutes", type=float, default=6.0, help="training time after calibration")
    ap.add_argument("--calibrate", type=float, default=40.0, help="seconds of the rate-measuring runs")
    ap.add_argument("--benchmark", type=float, default=75.0, help="seconds for benchmarks/train.py (0: skip)")
    ap.add_argument("--run", action="append", help=f"name=preset[:focus=G][:seed=N] (default: {' '.join(RUNS)})")
    args = ap.parse_args()
    t0 = time.time()
    runs = [parse_run(r) for r in (args.run or RUNS)]
    args.out.mkdir(parents=True, exist_ok=True)
    logs = args.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    note = open(logs / "gpu_job.txt", "a")

    def say(text: str) -> None:
        line = f"[{time.time() - t0:6.1f} s] {text}"
        print(line, flush=True)
        note.write(line + "\n")
        note.flush()

    data = args.corpus
    if data.is_file():
        data = args.work / "corpus"
        if not (data / "index.json").is_file():
            data.mkdir(parents=True, exist_ok=True)
            with tarfile.open(args.corpus) as tar:
                tar.extractall(data, filter="data")
    say(f"corpus {data}; GPU {gpu_load()}")
    if args.benchmark > 0:
        presets = ",".join(sorted({r["preset"] for r in runs} | ({"brunner"} if args.device != "cpu" else set()),
                                  key=["tiny", "small", "medium", "brunner"].index))
        try:
            res = subprocess.run([sys.executable, str(ROOT / "benchmarks/train.py"), "--task", "stargan", "--steps", "96",
                                  "--presets", presets, "--devices", args.device], capture_output=True, text=True,
                                 timeout=args.benchmark, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
            (logs / "benchmark.txt").write_text(res.stdout + res.stderr)
            say("benchmark:\n" + res.stdout[-3000:] + res.stderr[-1500:])
        except subprocess.TimeoutExpired as exc:
            (logs / "benchmark.txt").write_text(f"timed out after {args.benchmark} s\n{exc.stdout or ''}")
            say(f"benchmark timed out after {args.benchmark} s")

    # calibration: every run at once, step rate between the middle and the end of the window
    cal = args.work / "calibrate"
    procs = launch(runs, data, cal, {r["name"]: 1_000_000 for r in runs}, {r["name"]: None for r in runs}, args.device)
    t_start = time.time()
    time.sleep(args.calibrate / 2)
    mid = {n: (last_step(cal / n), time.time()) for n in procs}
    time.sleep(args.calibrate / 2)
    rates = {}
    for n in procs:
        s1, t1 = mid[n]
        s2 = last_step(cal / n)
        rates[n] = (s2 - s1) / (time.time() - t1)
    stop(procs)
    startup = min(args.calibrate / 2, time.time() - t_start - args.calibrate / 2)  # generous: first steps logged by then
    say(f"calibration ({len(runs)} runs side by side): steps/s " + json.dumps({n: round(r, 2) for n, r in rates.items()})
        + f"; GPU {gpu_load()}")
    for n in procs:
        shutil.copy(cal / n / "train.log", logs / f"{n}.calibrate.log")

    budget = args.minutes * 60
    steps, keep = {}, {}
    for run in runs:
        n = run["name"]
        total = max(100, int(rates[n] * (budget - 25) * 0.9) // 100 * 100)
        steps[n], keep[n] = total, max(50, total // 4 // 50 * 50)
    say("training: max steps " + json.dumps(steps))
    procs = launch(runs, data, args.work / "runs", steps, keep, args.device)
    deadline = time.time() + budget + 20
    polls = 0
    while time.time() < deadline and any(p.poll() is None for p in procs.values()):
        time.sleep(5)
        polls += 1
        if polls % 6 == 0:
            say("steps " + json.dumps({n: last_step(args.work / "runs" / n) for n in procs}) + f"; GPU {gpu_load()}")
    stop(procs)
    room = [TOTAL_LIMIT - 2 * 2**20]
    for k, run in enumerate(runs):
        d = args.work / "runs" / run["name"]
        for f in ("train.log", "metrics.jsonl", "run.json", "loss_curve.png"):
            if (d / f).is_file():
                shutil.copy(d / f, logs / f"{run['name']}.{f}")
        try:
            pack(run, d, args.out, room, room[0] / (len(runs) - k))  # an equal share of what is left
        except Exception as exc:  # one run's failure must not lose the others
            say(f"{run['name']}: not packed: {exc!r}")
    say(f"done; rates {json.dumps({n: round(r, 2) for n, r in rates.items()})}")
    note.close()
    with tarfile.open(args.out / "logs.tar.gz", "w:gz") as tar:
        tar.add(logs, arcname="logs")
    for f in sorted(args.out.iterdir()):
        print(f"{f.name}: {f.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
