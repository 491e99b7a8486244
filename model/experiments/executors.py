"""Executors for sweeps, all behind ``concurrent.futures.Executor``.

- ``serial``: runs each task in this process when it is submitted (debugging,
  tests that patch the model, the smallest sweeps).
- ``local``: a ``ProcessPoolExecutor`` with one worker per core (the default).
  Workers are forked from a server process that has already imported the
  model, so starting them is cheap and no threads are forked.
- ``dask``: ``distributed.Client.get_executor()``; with ``scheduler=None`` a
  ``LocalCluster`` on 127.0.0.1, otherwise the cluster at that address
  (workers need hedgesim installed). Dask's scratch folder is pointed at a
  temporary directory so it never writes ``dask-scratch-space/`` into the
  working directory. Install with ``pip install hedgesim[dask]``.

Results never depend on the executor: seeds come from run identities.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass

from model.errors import HedgesimError

log = logging.getLogger(__name__)
EXECUTORS = ("serial", "local", "dask")


class SerialExecutor(Executor):
    """Runs each callable at submission, in this process; returns a finished Future."""

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


@dataclass
class ExecutorInfo:
    """What ran the sweep, for the manifest."""

    kind: str
    workers: int
    address: str | None = None


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _worker_start(parent: int) -> None:
    """Workers leave Ctrl-C to the parent, which stops the sweep and keeps what finished, and
    exit when the parent is gone (killed with SIGKILL, it cannot shut its pool down: its
    workers would otherwise idle on as orphans)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True,
                     name="hedgesim-parent-watch").start()


def _exit_with(parent: int, every: float = 1.0) -> None:
    while True:
        time.sleep(every)
        try:
            os.kill(parent, 0)  # signal 0: only asks whether the process exists
        except (ProcessLookupError, PermissionError):  # gone, or its pid reused by another user
            os._exit(1)


def _process_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # the model, with only the parts of Mesa it uses (see worker_imports)
        ctx.set_forkserver_preload(["model.experiments.worker_imports"])
        return ctx
    return multiprocessing.get_context("spawn")


def prestart(kind: str = "local") -> None:
    """Start the local executor's fork server now, so that it imports the model (most of a
    small sweep's fixed start-up) on the other core while this process does its own start-up:
    imports, reading the experiment and the posterior. It is the server workers are later
    forked from; it stays up for later sweeps of this process and ends with it. Nothing for
    the other executors, or where there is no fork server."""
    if kind != "local" or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    _process_context()
    forkserver.ensure_running()


@contextlib.contextmanager
def make_executor(kind: str = "local", workers: int | None = None,
                  scheduler: str | None = None) -> Iterator[tuple[Executor, ExecutorInfo]]:
    """Open an executor of the given kind; closes it (and any local cluster) on exit."""
    if kind not in EXECUTORS:
        raise HedgesimError(None, "--executor", f"expected one of {', '.join(EXECUTORS)}, "
                            f"got {kind!r}")
    if workers is not None and workers < 1:
        raise HedgesimError(None, "--workers", f"expected a positive count, got {workers}")
    if scheduler is not None and kind != "dask":
        raise HedgesimError(None, "--scheduler", "only applies with --executor dask")
    if kind == "serial":
        ex = SerialExecutor()
        try:
            yield ex, ExecutorInfo("serial", 1)
        finally:
            ex.shutdown()
        return
    if kind == "local":
        n = workers or default_workers()
        ex = ProcessPoolExecutor(max_workers=n, mp_context=_process_context(),
                                 initializer=_worker_start, initargs=(os.getpid(),))
        try:
            yield ex, ExecutorInfo("local", n)
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        return
    with _dask_executor(workers, scheduler) as pair:
        yield pair


@contextlib.contextmanager
def _dask_executor(workers: int | None, scheduler: str | None):
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise HedgesimError(None, "--executor", "dask needs the optional extra: "
                            "pip install 'hedgesim[dask]'") from None
    scratch = tempfile.mkdtemp(prefix="hedgesim-dask-")
    cluster = None
    try:
        settings = {"temporary-directory": scratch, "distributed.worker.daemon": False}
        if "forkserver" in multiprocessing.get_all_start_methods():
            _process_context()  # workers fork from a server that has imported the model
            settings["distributed.worker.multiprocessing-method"] = "forkserver"
        with dask.config.set(settings):
            if scheduler is None:
                n = workers or default_workers()
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       local_directory=scratch)
                client = Client(cluster)
            else:
                try:
                    client = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError) as exc:
                    raise HedgesimError(None, "--scheduler", f"cannot reach a Dask scheduler "
                                        f"at {scheduler!r} ({exc})") from None
            try:
                info = client.scheduler_info()
                n = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
                ex = client.get_executor(pure=False)
                try:
                    yield ex, ExecutorInfo("dask", n, scheduler or cluster.scheduler_address)
                finally:
                    ex.shutdown(wait=False)
            finally:
                client.close()
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(scratch, ignore_errors=True)
