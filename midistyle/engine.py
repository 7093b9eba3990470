"""Run batch jobs (corpus preparation, folder conversion) on a Dask cluster instead of local processes.

``--engine dask --engine-address tcp://scheduler:8786`` connects to a running Dask scheduler;
``--engine dask`` alone starts a local cluster of ``workers`` single-threaded worker processes.
Dask is an optional extra (``pip install 'midistyle[dask]'``), imported only here and only when
asked for. The workers run the same per-piece code as the local pool; they need midistyle
installed and the inputs and output folder at the same paths (a shared file system).
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
from typing import Any, Callable, Iterator, Sequence

from .errors import EngineError, one_line

ENGINES = ("local", "dask")


def check_engine(engine: str, address: str | None) -> None:
    """Refuse unknown engines and an address without ``dask`` (before any work starts)."""
    if engine not in ENGINES:
        raise EngineError(None, f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    if address and engine != "dask":
        raise EngineError(address, "an engine address needs --engine dask")


@contextlib.contextmanager
def dask_client(address: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client`` of the scheduler at ``address``, or of a local cluster of
    ``workers`` processes (default: all cores) when there is none; closed on exit."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise EngineError(None, "--engine dask needs Dask: pip install 'midistyle[dask]'") from None
    cluster = None
    try:
        if address:
            try:
                client = Client(address, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise EngineError(address, f"cannot reach the Dask scheduler ({one_line(exc, typed=False)})") from None
        else:
            cluster = LocalCluster(n_workers=max(1, workers or os.cpu_count() or 1), threads_per_worker=1,
                                   processes=True, dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def threads(client: Any) -> int:
    """Task slots of the cluster (worker threads), at least 1."""
    return max(1, sum(client.nthreads().values()))


def host_of(address: str) -> str:
    """``tcp://10.0.0.5:40123`` -> ``10.0.0.5``."""
    from distributed.comm.addressing import get_address_host

    return get_address_host(address)


def host_slots(client: Any) -> dict[str, int]:
    """Task slots (worker threads) per host of the cluster: a worker shares its host's cores among
    them. Torch's default of all cores per worker process made a one-machine LocalCluster of N
    workers run N x cores threads, 2.3x slower than the local pool (issue 29)."""
    slots: dict[str, int] = {}
    for address, nthreads in client.nthreads().items():
        host = host_of(address)
        slots[host] = slots.get(host, 0) + int(nthreads)
    return slots


def run_chunks(client: Any, fn: Callable[..., list], chunks: Sequence[list], **kwargs: Any) -> Iterator[Any]:
    """Run ``fn(chunk, **kwargs)`` for every chunk on the cluster; yield each result list's items
    as chunks finish. A chunk whose task raises stops the run with an EngineError naming the
    cause; the rest are cancelled."""
    from dask.distributed import as_completed

    # kwargs bound here: client.map reserves some keyword names (key, workers, ...) for itself
    futures = client.map(functools.partial(fn, **kwargs), list(chunks), pure=False)
    try:
        for future in as_completed(futures):
            try:
                results = future.result()
            except Exception as exc:  # a task that failed on a worker (not a piece: those are results)
                raise EngineError(None, f"a task failed on the cluster: {one_line(exc)}") from None
            yield from results
    finally:
        client.cancel(futures)

