"""Corpus preparation on a cluster engine (Dask): the local pool's per-piece worker, run remotely.

Each engine task takes a chunk of units and runs :func:`~.worker.work_chunk`, the function the
local pool's processes run, in a child process of the engine worker (``python -m
midistyle.data.sandbox``): there it owns the main thread, so the per-piece CPU-time and wall-time
limits work as in the pool (Dask runs tasks on threads, where signals cannot be used), and a
reader that crashes or hangs takes down only that child. The task watches the child as the
pool's watchdog does: a piece stuck past the patience is killed and reported as a timeout, a
crash is reported against the piece it was on, and the rest of the chunk goes on in a new child.
Results and cached parts are the same as the pool's, so the shards and index are byte-identical.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..atomic import write_text
from ..config import RollConfig, from_dict, to_dict
from .phrases import PhraseSpec
from .pool import GRACE_S, POLL_S, WATCHDOG_FACTOR, Result, chunk_units
from .units import Unit
from .worker import init_worker, read_inflight, work_chunk

JOB, RESULTS, INFLIGHT = "job.json", "results.json", "inflight"


def run_units_on_engine(items: list[tuple[int, Unit]], spec: PhraseSpec, cache_dir: str, workers: int,
                        time_limit: float | None, on_result: Callable[[Result], None],
                        address: str | None = None) -> None:
    """Like :func:`~.pool.run_units`, on the Dask cluster at ``address`` (a local one of
    ``workers`` processes when None)."""
    from ..engine import dask_client, run_chunks, threads

    if not items:
        return
    with dask_client(address, workers) as client:
        # bigger tasks than the pool's: each starts a child process (about 0.3 s)
        chunks = chunk_units(items, threads(client), target_s=5.0, max_units=512)
        for result in run_chunks(client, run_chunk, chunks, spec=spec, cache_dir=cache_dir,
                                 time_limit=time_limit, code_key=spec.key()):
            on_result(tuple(result))


def run_chunk(items: list[tuple[int, Unit]], spec: PhraseSpec, cache_dir: str, time_limit: float | None,
              code_key: str) -> list[Result]:
    """(On an engine worker.) Process a chunk in child processes; returns the pool's results."""
    if not os.path.isdir(cache_dir):
        raise RuntimeError(f"{cache_dir} is not visible on worker host {socket.gethostname()}: the sources "
                           "and the output folder must be on a file system every worker sees at the same path")
    if spec.key() != code_key:
        raise RuntimeError(f"worker host {socket.gethostname()} runs other midistyle reading code than the "
                           "client (install the same version everywhere)")
    patience = WATCHDOG_FACTOR * time_limit + GRACE_S if time_limit else float("inf")
    results: list[Result] = []
    left = list(items)
    while left:
        done, bad = _child(left, spec, cache_dir, time_limit, patience)
        results.extend(done)
        if bad is None:
            break
        results.append(bad)
        left = [it for it in left if it[0] != bad[0]]  # the rest again: those done are cached
    return results


def _child(items, spec, cache_dir, time_limit, patience) -> tuple[list[Result], Result | None]:
    """One child over ``items``: ``(results, None)``, or ``([], result of the piece that hung or
    crashed)``."""
    folder = tempfile.mkdtemp(prefix="midistyle-sandbox-")
    try:
        inflight = os.path.join(folder, INFLIGHT)
        os.mkdir(inflight)
        job = {"items": [[i, dataclasses.asdict(u)] for i, u in items], "spec": _spec_dict(spec),
               "cache_dir": cache_dir, "time_limit": time_limit}
        write_text(Path(folder) / JOB, json.dumps(job))
        proc = subprocess.Popen([sys.executable, "-m", "midistyle.data.sandbox", folder],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    proc.wait(timeout=POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    job_now = read_inflight(inflight).get(proc.pid)
                    if job_now and time.time() - job_now[1] > patience:
                        proc.kill()
                        proc.wait()
                        return [], (job_now[0], "timeout", f"timeout (stuck for {patience:.0f} s; worker killed)",
                                    0, 0.0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        results = Path(folder) / RESULTS
        if proc.returncode == 0 and results.is_file():
            return [tuple(r) for r in json.loads(results.read_text())], None
        job_now = read_inflight(inflight).get(proc.pid)
        if not job_now:
            raise RuntimeError(f"the preparation child process exited with code {proc.returncode} "
                               f"outside any piece on {socket.gethostname()}")
        return [], (job_now[0], "crash", "the reader crashed (worker process died)", 0, 0.0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _spec_dict(spec: PhraseSpec) -> dict:
    return {"roll": to_dict(spec.roll), "phrase_bars": spec.phrase_bars, "hop": spec.hop,
            "phrase_steps": spec.phrase_steps}


def main(folder: str) -> None:
    """The child: read the job, run the pool's worker function on it, write its results."""
    job = json.loads(Path(folder, JOB).read_text())
    init_worker(os.path.join(folder, INFLIGHT), os.getppid())
    raw = job["spec"]
    spec = PhraseSpec(from_dict(RollConfig, raw["roll"]), raw["phrase_bars"], raw["hop"], raw["phrase_steps"])
    items = [(i, Unit(**u)) for i, u in job["items"]]
    results = work_chunk(items, spec, job["cache_dir"], job["time_limit"], os.path.join(folder, INFLIGHT))
    write_text(Path(folder) / RESULTS, json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
