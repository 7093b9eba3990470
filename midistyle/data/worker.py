"""The worker processes' loop: units -> cached parts, under a CPU-time limit, reporting progress.

Each unit's result (phrases, or the reason it yielded none) is saved atomically as a small
``.npz`` part named by the unit's content hash, in a folder named by :meth:`PhraseSpec.key`, so an
interrupted run redoes only what is missing and a finished one is reassembled from the parts.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..errors import InputError, one_line
from .phrases import Phrases, PhraseSpec, piece_phrases
from .units import Unit


WALL_FACTOR = 2.0  # wall seconds per CPU second of limit before a unit counts as stuck


def part_path(cache_dir: str | os.PathLike, unit: Unit) -> Path:
    """Where a unit's result lives in a settings-specific cache folder."""
    return Path(cache_dir) / unit.sha1[:2] / f"{unit.sha1}.{unit.kind}.{unit.tag}.npz"


def save_part(path: Path, phrases: Phrases | None = None, reason: str = "") -> None:
    """Atomically save a unit's phrases, or the reason it has none."""
    meta = {"status": "ok" if phrases is not None else "skipped", "reason": reason,
            "n_phrases": len(phrases) if phrases is not None else 0,
            "info": phrases.info if phrases is not None else {}}
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)}
    if phrases is not None:
        arrays.update(rolls=phrases.rolls, bars=phrases.bars, steps=phrases.steps,
                      meters=np.asarray(phrases.meters, dtype=str))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def load_part(path: Path, arrays: bool = True) -> tuple[dict, dict]:
    """A saved unit: ``(meta, arrays)``; with ``arrays=False`` only the metadata is read."""
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["meta"].tobytes().decode("utf-8"))
        data = {k: npz[k] for k in ("rolls", "bars", "steps", "meters")} if arrays and \
            meta["status"] == "ok" else {}
    return meta, data


class UnitTimeout(BaseException):
    """Raised inside a worker when a unit uses more than its CPU seconds (a BaseException, so
    that libraries' broad ``except Exception`` cannot swallow it)."""


def init_worker(inflight_dir: str | None, parent: int | None = None) -> None:
    """Worker start: Ctrl-C is the parent's business; one thread per process; announce the pid;
    exit when the parent process is gone (killed outright, the pool cannot tell its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _mark(inflight_dir, None)
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except OSError:
            pass


def work_chunk(items: list[tuple[int, Unit]], spec: PhraseSpec, cache_dir: str,
               time_limit: float, inflight_dir: str | None = None) -> list[tuple[int, str, str, int, float]]:
    """Process units (or find them cached); returns ``(index, status, reason, n_phrases, cpu_s)``.

    ``status``: ``ok``, ``skipped`` (no usable music, cached) or ``timeout`` (not cached, so a
    re-run tries again). ``time_limit`` counts this process's CPU seconds, not wall time, so a
    busy machine does not turn slow pieces into timeouts (a piece stuck without using the CPU is
    the parent's watchdog's business).
    """
    out = []
    for idx, unit in items:
        path = part_path(cache_dir, unit)
        if path.exists():
            try:
                meta, _ = load_part(path, arrays=False)
                out.append((idx, meta["status"], meta["reason"], meta["n_phrases"], 0.0))
                continue
            except (OSError, ValueError, KeyError):
                pass  # damaged part: redo it
        _mark(inflight_dir, idx)
        if unit.kind != "midi":
            import music21  # noqa: F401  (never under the timer: a half-done import stays broken)
        cpu = time.process_time()
        try:
            with _time_limit(time_limit), _quiet():
                phrases = piece_phrases(unit, spec)
        except UnitTimeout:
            out.append((idx, "timeout", f"timeout (over {time_limit:g} s of CPU or {WALL_FACTOR * time_limit:g} s)",
                        0, time.process_time() - cpu))
            continue
        except InputError as exc:
            phrases, reason = None, exc.reason
        except Exception as exc:  # a reader bug on odd input: report it and keep going
            phrases, reason = None, f"reader error: {one_line(exc, limit=180)}"
        save_part(path, phrases, "" if phrases is not None else reason)
        cpu = time.process_time() - cpu
        out.append((idx, "ok", "", len(phrases), cpu) if phrases is not None else (idx, "skipped", reason, 0, cpu))
    _mark(inflight_dir, None)
    return out


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise UnitTimeout in this (main) thread after ``seconds`` of process CPU time, or after
    WALL_FACTOR times that of wall time (a piece waiting on something). With this wall timer
    running, the readers' own wall-clock limits stand down (they arm only when no timer runs),
    so a slow score on a busy machine is judged by its CPU time alone."""
    def expire(signum, frame):
        raise UnitTimeout()
    if seconds is None or seconds <= 0:
        yield
        return
    previous = {sig: signal.signal(sig, expire) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, WALL_FACTOR * seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _quiet():
    """Per-file silence: pretty_midi/music21 warnings and prints would flood the progress bar."""
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        yield


def _mark(inflight_dir: str | None, idx: int | None) -> None:
    """Tell the parent which unit this worker is on and since when (its watchdog reads this)."""
    if inflight_dir is None:
        return
    text = "" if idx is None else f"{idx}\t{time.time():.3f}"
    with open(os.path.join(inflight_dir, str(os.getpid())), "w") as f:
        f.write(text)


def read_inflight(inflight_dir: str) -> dict[int, tuple[int, float] | None]:
    """``pid -> (unit index, start time)`` or ``None`` when idle, for every worker that started."""
    out = {}
    for name in os.listdir(inflight_dir):
        try:
            text = Path(inflight_dir, name).read_text()
            idx, started = text.split("\t") if text else (None, None)
            out[int(name)] = None if idx is None else (int(idx), float(started))
        except (OSError, ValueError):
            continue
    return out
