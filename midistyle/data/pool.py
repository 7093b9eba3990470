"""Run units over worker processes, surviving workers that hang or die.

Each worker tells the parent (one small file per worker pid) which unit it is on and since when.
A unit past its CPU-time limit is stopped inside the worker (SIGPROF); one that is stuck (in
compiled code, or waiting) for ``WATCHDOG_FACTOR`` times the limit plus a grace period of wall
time is found by the parent's watchdog, recorded as a timeout, and the pool is replaced. When a worker dies (a crashing parser), the units it may have been on are re-run
one by one in a fresh single-worker pool to find the culprit; the rest just continue.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from .phrases import PhraseSpec
from .worker import init_worker, read_inflight, work_chunk
from .units import Unit

WATCHDOG_FACTOR = 3.0  # wall seconds per CPU second of limit; the workers' own wall backstop is 2x
GRACE_S = 30.0
POLL_S = 1.0

Result = tuple[int, str, str, int, float]  # (unit index, status, reason, n_phrases, worker CPU s)


def chunk_units(items: list[tuple[int, Unit]], workers: int, target_s: float = 0.5,
                max_units: int = 64) -> list[list[tuple[int, Unit]]]:
    """Group units into tasks of about ``target_s`` estimated seconds, largest first (so the long
    scores start early and the short ones fill in at the end)."""
    items = sorted(items, key=lambda it: -it[1].cost)
    total = sum(u.cost for _, u in items)
    target = min(target_s, max(total / (8 * max(workers, 1)), 0.01))  # >= 8 tasks per worker
    chunks, current, cost = [], [], 0.0
    for item in items:
        current.append(item)
        cost += item[1].cost
        if cost >= target or len(current) >= max_units:
            chunks.append(current)
            current, cost = [], 0.0
    if current:
        chunks.append(current)
    return chunks


def run_units(items: list[tuple[int, Unit]], spec: PhraseSpec, cache_dir: str, workers: int,
              time_limit: float, on_result: Callable[[Result], None]) -> None:
    """Process ``(index, unit)`` items on ``workers`` processes, calling ``on_result`` for each."""
    todo = chunk_units(items, workers)
    while todo:
        todo, suspects = _run_pool(todo, spec, cache_dir, workers, time_limit, on_result)
        for item in suspects:  # one at a time, alone, to tell a crashing unit from bystanders
            _, again = _run_pool([[item]], spec, cache_dir, 1, time_limit, on_result)
            if again:
                on_result((item[0], "crash", "the reader crashed (worker process died)", 0, 0.0))


def _context():
    """forkserver (no inherited threads or locks), preloading the worker code; fork when the
    caller's main module cannot be re-imported (code piped to ``python -``); else spawn."""
    methods = multiprocessing.get_all_start_methods()
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is not None and not os.path.isfile(main_file) and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["midistyle.data.worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def _run_pool(chunks, spec, cache_dir, workers, time_limit, on_result):
    """One pool over ``chunks``. Returns ``(chunks to retry, suspect units)`` after a crash or hang."""
    patience = WATCHDOG_FACTOR * time_limit + GRACE_S if time_limit else float("inf")
    # beside the cache, so the next run's tidy-up removes it if this process is killed
    inflight = tempfile.mkdtemp(prefix=".inflight-", dir=os.path.dirname(os.path.abspath(cache_dir)))
    ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                initializer=init_worker, initargs=(inflight, os.getpid()))
    futures = {ex.submit(work_chunk, c, spec, cache_dir, time_limit, inflight): c for c in chunks}
    pending, finished = set(futures), set()
    retry, suspects = [], []
    try:
        while pending:
            done, pending = cf.wait(pending, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in done:
                try:
                    results = fut.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                for res in results:
                    finished.add(res[0])
                    on_result(res)
            busy = read_inflight(inflight)
            stuck = {pid: job for pid, job in busy.items() if job and time.time() - job[1] > patience}
            if not broken and not stuck:
                continue
            by_index = {i: it for c in chunks for i, it in ((it[0], it) for it in c)}
            if broken:
                suspects = [by_index[job[0]] for job in busy.values() if job and job[0] not in finished]
            for pid, (idx, _) in stuck.items():
                on_result((idx, "timeout", f"timeout (stuck for {patience:.0f} s; worker killed)", 0, 0.0))
                finished.add(idx)
            skip = finished | {s[0] for s in suspects}
            left = [it for fut in pending | {f for f in done if f.exception() is not None}
                    for it in futures[fut] if it[0] not in skip]
            retry = [left[i:i + 16] for i in range(0, len(left), 16)]
            _kill(ex, busy)
            return retry, suspects
    except BaseException:
        _kill(ex, read_inflight(inflight))
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(inflight, ignore_errors=True)
    return retry, suspects


def _kill(ex: cf.ProcessPoolExecutor, busy: dict) -> None:
    """Stop this pool's workers now (known from their pid files) and drop queued tasks."""
    for pid in busy:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    ex.shutdown(wait=False, cancel_futures=True)
