"""Phrases per second of one training step: CycleGAN (G and F update, D_A and D_B update, pools) or
StarGAN (--task stargan: G through fake, cycle and identity passes; D with its genre head; 5 genres).

    python benchmarks/train.py [--task cyclegan|stargan] [--presets brunner,small] [--devices cpu,cuda]
                               [--compile] [--steps 64]

Inputs are random --steps x 84-pitch rolls (64: 4 bars of 4/4 on the 4-step grid; 96: the StarGAN
recipe's 2-bar crops of the 12-step grid), so no corpus is needed. For each device and preset it
times plain fp32 eager against variants of the loop's settings: channels_last, on CUDA bf16 autocast,
and with --compile torch.compile (it compiles for minutes on a CPU, about one on a GPU).
The "loop" mark is what ``resolve_runtime`` picks by default. On CUDA the achieved TFLOP/s come
from a FLOP count of one step (torch.utils.flop_counter: convolutions and matmuls, forward and
backward). The CPU part takes a couple of minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time

import torch

from midistyle.config import RollConfig, derive, get_preset
from midistyle.kinds import get
from midistyle.training.cyclegan import CycleGANTask
from midistyle.training.runtime import Runtime, resolve_runtime
from midistyle.training.stargan import StarGANTask
from midistyle.training.task import TaskInfo

T, P = 64, 84
INFO = TaskInfo(roll=RollConfig(), genres=("a", "b"), source=("a",), target=("b",), phrase_steps=T)


STAR_INFO = TaskInfo(roll=RollConfig(), genres=("jazz", "classical", "pop", "folk", "rock"), phrase_steps=T)


def make_task(preset_name: str, runtime: Runtime, batch: int, kind: str = "cyclegan", steps: int = T) -> tuple[object, dict]:
    preset = get_preset(preset_name)
    cfg = derive(get(kind).config, preset.train, batch_size=batch, task=kind,
                 **({"genre_loss": "aux"} if kind == "stargan" else {}))
    torch.manual_seed(0)
    task = (StarGANTask(preset, cfg, runtime, STAR_INFO) if kind == "stargan"
            else CycleGANTask(preset, cfg, runtime, INFO))
    task.setup()
    task.train()
    g = torch.Generator().manual_seed(1)
    data = {k: (torch.rand(batch, 2, steps, P, generator=g) < 0.05).float() for k in ("a", "b")}
    if kind == "stargan":
        data = {"roll": data["a"], "label": torch.arange(batch) % len(STAR_INFO.genres)}
    return task, data


def step_flops(preset_name: str, kind: str = "cyclegan", steps: int = T) -> float:
    """FLOPs of one training step per phrase (counted on CPU, batch 2)."""
    from torch.utils.flop_counter import FlopCounterMode

    task, data = make_task(preset_name, Runtime(torch.device("cpu")), 2, kind, steps)
    task.step(data)  # fill optimiser state first
    with FlopCounterMode(display=False) as counter:
        task.step(data)
    return counter.get_total_flops() / 2


def time_steps(task, data: dict, device: torch.device, warmup: int, iters: int,
               rounds: int = 2) -> tuple[float, float]:
    """Best of ``rounds`` of ``iters`` steps after ``warmup`` steps: (phrases per wall second, per CPU second).

    Inputs start on the CPU, as from a loader. The CPU-second rate (process time, all threads) is
    what a machine shared with other jobs still measures fairly.
    """
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        task.step(data)
    best_wall = best_cpu = 0.0
    for _ in range(rounds):
        sync()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(iters):
            task.step(data)
        sync()
        n = len(next(iter(data.values()))) * iters
        best_wall = max(best_wall, n / (time.perf_counter() - wall))
        best_cpu = max(best_cpu, n / (time.process_time() - cpu))
    return best_wall, best_cpu


def variants(device: torch.device, with_compile: bool) -> list[tuple[str, Runtime]]:
    out = [("fp32 eager", Runtime(device)), ("channels_last", Runtime(device, channels_last=True))]
    if device.type == "cuda":
        out += [("bf16", Runtime(device, bf16=True)),
                ("bf16 + channels_last", Runtime(device, bf16=True, channels_last=True))]
    if with_compile:
        out.append(("+ compile", Runtime(device, bf16=device.type == "cuda", channels_last=True, compile=True)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("cyclegan", "stargan"), default="cyclegan")
    parser.add_argument("--presets", default="brunner,small")
    parser.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to build on a CPU)")
    parser.add_argument("--steps", type=int, default=T, help="grid steps per phrase (default 64)")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} CPU thread(s)"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""))
    rows = []
    for device_name in args.devices.split(","):
        device = torch.device(device_name)
        for preset in args.presets.split(","):
            flops = step_flops(preset, args.task, args.steps)
            cpu = device.type == "cpu"
            # batch, warm-up and timed steps: Brunner's size is slow on a CPU, so fewer and smaller there
            batch = 4 if cpu and preset == "brunner" else 16
            warmup, iters = (1, 1) if cpu and preset == "brunner" else ((1, 3) if cpu else (5, 30))
            default = resolve_runtime(dataclasses.replace(get_preset(preset).train), device)
            base = None
            for name, runtime in variants(device, args.compile):
                if runtime.compile:
                    warmup += 2  # compilation happens in the first steps
                task, data = make_task(preset, runtime, batch, args.task, args.steps)
                rate, cpu_rate = time_steps(task, data, device, warmup, iters)
                base = base or rate
                is_loop = (runtime.bf16, runtime.channels_last, runtime.compile) == (
                    default.bf16, default.channels_last, default.compile)
                rows.append((device_name, preset, f"{name}{' (loop)' if is_loop else ''}", batch, rate, rate / base,
                             cpu_rate, rate * flops / 1e12))
                print(f"  {device_name} {preset:8s} {name:22s} {rate:9.2f} phrases/s, {cpu_rate:.2f} per CPU-s",
                      flush=True)
            print(f"  {preset}: {flops / 1e9:.2f} GFLOP per phrase and step", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (others' jobs slow the wall-clock rates)\n")
    print(f"task: {args.task}, {args.steps}-step phrases")
    print("| device | preset | settings | batch | phrases/s | vs fp32 eager | phrases/CPU-s | TFLOP/s |")
    print("|---|---|---|---|---|---|---|---|")
    for device_name, preset, name, batch, rate, ratio, cpu_rate, tflops in rows:
        print(f"| {device_name} | {preset} | {name} | {batch} | {rate:.2f} | {ratio:.2f}x | {cpu_rate:.2f} | {tflops:.3f} |")


if __name__ == "__main__":
    main()
