"""Convert many files: a folder mirrored into another, on local worker processes or a Dask cluster.

Failures are collected, not raised; outputs already there are kept, so a re-run resumes. Ctrl-C
stops within about a second: queued files are cancelled, running ones get a moment to finish,
and :class:`~midistyle.errors.Interrupted` says how far it got.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable

from .atomic import check_writable, remove_leftovers
from .errors import Interrupted, one_line
from .representation import read
from .representation.files import find_pieces
from .style.verdict import output_verdicts
from .transfer import load_converter


@dataclasses.dataclass
class BatchReport:
    """What a batch conversion did: written outputs and failures with their reasons."""

    written: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # output already there
    aligned: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (source, what alignment found)
    verdicts: list[tuple[str, dict]] = dataclasses.field(default_factory=list)  # (output, style_verdict), when known
    arrangement_verdicts: list[tuple[str, dict]] = dataclasses.field(default_factory=list)  # arranged outputs'

    def judged(self, judge: str = "style") -> list[tuple[str, dict]]:
        """``(output, verdict)`` of one judge: ``"style"`` or ``"arrangement"`` (arranged outputs only)."""
        return self.arrangement_verdicts if judge == "arrangement" else self.verdicts

    def off_target(self, judge: str = "style") -> list[tuple[str, dict]]:
        """Outputs ``judge`` does not call the target genre."""
        return [(dst, v) for dst, v in self.judged(judge) if not v["matches"]]


def folder_jobs(folder: Path, output: Path, to: str) -> list[tuple[str, Path]]:
    """``(source, output)`` for every piece under ``folder`` (see
    :func:`~midistyle.representation.files.find_pieces`), mirrored under ``output``: each tune of
    an ABC book on its own, ``book.abc#12`` -> ``book.12.<to>.mid``."""
    return [(p.source, output / p.path.relative_to(folder).parent / p.output_name(to)) for p in find_pieces(folder)]


_WORKER: dict = {}


def _init_worker(to, model, device, threads, edit=False, keep=(), from_genre=None) -> None:
    conv = load_converter(to, model, edit=edit, keep=keep, device=device, from_genre=from_genre)
    if conv.uses_torch:  # a retrieval arranger's worker never starts torch (about 1.5 s each)
        import torch

        torch.set_num_threads(threads)
    _WORKER["conv"] = conv


def engine_convert(jobs, to, model, device, host_slots=None, edit=False, keep=(), from_genre=None) -> list:
    """(On a Dask worker.) Convert a chunk of jobs with the local pool's per-file function; the
    model is loaded once per worker process, with this host's cores shared among the task slots
    of all the workers on it (``host_slots``: host -> slots), as the local pool shares them."""
    key = (to, None if model is None else str(model), device, edit, tuple(keep), from_genre)
    if _WORKER.get("key") != key:
        from dask.distributed import get_worker

        from .engine import host_of

        worker = get_worker()
        slots = (host_slots or {}).get(host_of(worker.address), worker.state.nthreads)
        _init_worker(to, model, device, max(1, (os.cpu_count() or 1) // max(1, slots)), edit, keep, from_genre)
        _WORKER["key"] = key
    return [_convert_one(job) for job in jobs]


def _convert_one(job) -> tuple[str, str | None, str | None, dict | None]:
    """Convert ``src`` to ``dst`` in a worker; returns (src, dst, error, info)."""
    from .representation import write_midi

    src, dst, seed, threshold, from_genre, force, wav, align_beats = job
    try:
        if Path(dst).exists() and not force:  # done by an earlier (perhaps interrupted) run
            return src, dst, None, {"skipped": True}
        for target in (dst, Path(dst).with_suffix(".wav")):  # temp files of a run killed mid-write
            remove_leftovers(target)
        song, info = _WORKER["conv"].convert_song(read(src), seed=seed, threshold=threshold,
                                                  from_genre=from_genre, align_beats=align_beats)
        write_midi(song, dst)
        to = info.get("to") or getattr(_WORKER["conv"], "target", None)
        if to:
            verdicts = output_verdicts(read(dst), to, arranged=_WORKER["conv"].arranges)  # as written
            info["verdict"], info["arrangement_verdict"] = verdicts["style"], verdicts["arrangement"]
        if wav:
            from .render import render
            render(dst, Path(dst).with_suffix(".wav"))
        return src, dst, None, info
    except Exception as exc:  # one bad file must not stop a batch
        return src, None, one_line(exc), None


def convert_many(jobs: list[tuple[Path, Path]], to: str, *, model=None, workers: int | None = None,
                 seed: int = 0, threshold: float = 0.5, from_genre: str | None = None, force: bool = False,
                 wav: bool = False, device: str | None = None,
                 progress: Callable[[int], None] | None = None, engine: str = "local",
                 engine_address: str | None = None, align_beats: str = "auto", edit: bool = False,
                 keep: tuple[str, ...] = ()) -> BatchReport:
    """Convert ``(src, dst)`` pairs in parallel processes; failures are collected, not raised.

    Outputs that already exist are kept and counted as skipped unless ``force``, so re-running an
    interrupted batch finishes the rest. ``engine="dask"`` runs the same per-file work on the
    Dask cluster at ``engine_address`` (a local one of ``workers`` processes when None); its
    workers must see the model, inputs and outputs at the same paths. ``align_beats``: see
    :meth:`~midistyle.transfer.Converter.convert_song`; ``report.aligned`` lists the pieces it re-timed.
    ``model``, ``edit``, ``keep``: which transfer (the arrangement by default; see
    :func:`~midistyle.transfer.load_converter`).
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing as mp
    from .engine import check_engine

    check_engine(engine, engine_address)
    for folder in sorted({Path(d).parent for _, d in jobs}):  # refuse before the work, not after it
        check_writable(folder, folder=True)
    report = BatchReport()
    args = [(str(s), str(d), seed, threshold, from_genre, force, wav, align_beats) for s, d in jobs]
    if engine == "dask":
        from .engine import dask_client, host_slots, run_chunks, threads

        with dask_client(engine_address, workers) as client:
            size = max(1, min(16, len(args) // (4 * threads(client))))  # >= 4 tasks per slot, <= 16 files each
            chunks = [args[i:i + size] for i in range(0, len(args), size)]
            try:
                _collect(run_chunks(client, engine_convert, chunks, to=to, model=model, device=device,
                                    host_slots=host_slots(client), edit=edit, keep=keep, from_genre=from_genre),
                         report, progress)
            except KeyboardInterrupt:
                raise _interrupted(report, len(args)) from None
        return report
    workers = max(1, min(workers or os.cpu_count() or 1, len(args) or 1))
    if workers == 1:
        _init_worker(to, model, device, max(1, os.cpu_count() or 1), edit, keep, from_genre)
        try:
            _collect((_convert_one(a) for a in args), report, progress)
        except KeyboardInterrupt:
            raise _interrupted(report, len(args)) from None
        return report
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_pool_worker,
                               initargs=(to, model, device, threads, edit, keep, from_genre))
    futures = []
    try:
        futures = [pool.submit(_convert_one, a) for a in args]
        _collect((f.result() for f in as_completed(futures)), report, progress)
    except KeyboardInterrupt:
        _abandon(pool, futures)
        raise _interrupted(report, len(args)) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return report


ABANDON_AFTER_S = 1.0  # Ctrl-C: files this close to done still finish; the rest are dropped


def _init_pool_worker(*args) -> None:
    """A pool worker ignores Ctrl-C (the terminal sends it to the whole process group): the parent
    decides what stops, so no file dies half-converted with a KeyboardInterrupt as its reason."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker(*args)


def _abandon(pool, futures) -> None:
    """Cancel the queued files, give the running ones ``ABANDON_AFTER_S``, then stop the workers.
    Outputs are written atomically, so a stopped file leaves only a temp file a re-run removes."""
    import concurrent.futures as cf

    workers = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop them;
    pool.shutdown(wait=False, cancel_futures=True)                       # shutdown forgets them
    cf.wait([f for f in futures if f.running()], timeout=ABANDON_AFTER_S)
    for proc in workers:  # else they work through the calls already handed to them before exiting
        proc.kill()


def _interrupted(report: BatchReport, total: int) -> Interrupted:
    done = len(report.written) + len(report.skipped) + len(report.failed)
    return Interrupted(done, total, "files", f"{len(report.written)} written this run; run the same command "
                                            "again to convert the rest (finished files are kept)")


def _collect(results, report: BatchReport, progress) -> None:
    for src, dst, err, info in results:
        if err is None and info and info.get("skipped"):
            report.skipped.append((src, dst))
        elif err is None:
            report.written.append((src, dst))
            if info and info.get("aligned"):
                report.aligned.append((src, info["aligned"]))
            if info and info.get("verdict"):
                report.verdicts.append((dst, info["verdict"]))
            if info and info.get("arrangement_verdict"):
                report.arrangement_verdicts.append((dst, info["arrangement_verdict"]))
        else:
            report.failed.append((src, err))
        if progress:
            progress(1)
    for part in (report.written, report.failed, report.skipped, report.aligned):
        part.sort()
    report.verdicts.sort(key=lambda item: item[0])
    report.arrangement_verdicts.sort(key=lambda item: item[0])
