"""One executor abstraction for embarrassingly parallel work.

``executor(jobs=1, scheduler=None)`` gives an object with
``map_unordered(fn, items) -> iterator of (index, result | TaskFailure)``:

* in-process (default, ``jobs=1``);
* local processes (``jobs=N``; :class:`concurrent.futures.ProcessPoolExecutor`);
* a Dask distributed cluster (``scheduler="tcp://HOST:PORT"``), through Dask's
  own futures interface (``Client.submit`` / ``as_completed``).

A task that raises, or whose worker dies, is retried (``retries``, default 1)
and then reported as a :class:`TaskFailure` carrying the message: never lost
silently. ``fn`` and the items must be picklable (module-level functions).
Local processes start from a fork server, so a *script* that calls the library
with ``jobs > 1`` needs the usual ``if __name__ == "__main__":`` guard (as with
any non-fork multiprocessing start method); the ``tnverify`` command has it.
Used for instances in ``tnverify run``, points of a sweep, chunks of a Kruskal
enumeration and independent primes.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from tnverify.errors import InputError, SchedulerError

__all__ = ["executor", "TaskFailure", "Executor"]


@dataclass
class TaskFailure:
    """A task that failed after its retries: ``kind`` is ``error`` or ``lost`` (worker died)."""

    kind: str
    message: str


class Executor:
    """In-process execution (the default)."""

    name = "in-process"

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator[tuple[int, object]]:
        for i, x in enumerate(items):
            try:
                yield i, fn(x)
            except Exception as e:  # noqa: BLE001 - reported, not lost
                yield i, TaskFailure("error", f"{type(e).__name__}: {e}")

    def close(self) -> None:
        pass


#: Workers are forked from a clean server process: forking a process whose numba/OpenMP
#: threads are running is unsafe (GNU OpenMP aborts the child).
_CONTEXT = mp.get_context("forkserver")
#: Thread-count variables of the numeric libraries, set for worker processes.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


class ProcessExecutor(Executor):
    """Local worker processes (one machine), started by a fork server.

    ``preload`` names modules the fork server imports once, so that every worker
    starts with them loaded (copy-on-write) instead of importing them again.
    """

    def __init__(self, jobs: int, retries: int = 1, preload: tuple = ()):
        self.jobs, self.retries = jobs, retries
        if preload:
            _CONTEXT.set_forkserver_preload(list(preload))
        # Start the fork server (and its imports) now, in parallel with the caller's own
        # set-up, with cores / jobs BLAS, OpenMP and numba threads per worker: two workers
        # with two threads each on two cores lose ~40% to oversubscription.
        from multiprocessing import forkserver

        threads = str(max(1, (os.cpu_count() or 1) // jobs))
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: threads for k in _THREAD_VARS})
        try:
            forkserver.ensure_running()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.name = f"{jobs} local processes"

    def map_unordered(self, fn, items):
        """Run every task; after a worker death, re-run the tasks it took down one at a time.

        A dead worker breaks the whole pool, so every task still in it fails with it and
        the culprit cannot be told from the innocent. Each such task is therefore re-run
        alone, in a pool of its own: only a task that kills its own worker is charged a
        retry and, after ``retries`` more deaths, reported ``lost``. Innocent tasks never
        are, whatever the load (the outcome does not depend on timing).
        """
        items = list(items)
        broken = []
        with cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=_CONTEXT) as pool:
            futs = {pool.submit(fn, x): i for i, x in enumerate(items)}
            for fut in cf.as_completed(futs):
                i = futs[fut]
                try:
                    yield i, fut.result()
                except cf.process.BrokenProcessPool:
                    broken.append(i)
                except Exception as e:  # noqa: BLE001
                    yield i, TaskFailure("error", f"{type(e).__name__}: {e}")
        for i in sorted(broken):
            yield i, self._alone(fn, items[i])

    def _alone(self, fn, item):
        for _ in range(self.retries + 1):
            with cf.ProcessPoolExecutor(max_workers=1, mp_context=_CONTEXT) as solo:
                try:
                    return solo.submit(fn, item).result()
                except cf.process.BrokenProcessPool:
                    continue
                except Exception as e:  # noqa: BLE001
                    return TaskFailure("error", f"{type(e).__name__}: {e}")
        return TaskFailure("lost", "worker process died (retries exhausted; the task was run alone)")


class DaskExecutor(Executor):
    """A Dask distributed cluster, through Dask's futures interface."""

    def __init__(self, address: str, retries: int = 1, timeout: float = 10.0):
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler needs Dask: pip install 'tnverify[dask]'") from None
        try:
            self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise SchedulerError(f"cannot reach the Dask scheduler at {address!r}: {e}") from None
        self.retries = retries
        self.name = f"dask at {address}"

    def map_unordered(self, fn, items):
        from distributed import as_completed

        items = list(items)
        futs = {self.client.submit(fn, x, pure=False, retries=self.retries): i for i, x in enumerate(items)}
        for fut in as_completed(futs):
            i = futs[fut]
            try:
                yield i, fut.result()
            except Exception as e:  # noqa: BLE001 - includes KilledWorker
                kind = "lost" if type(e).__name__ == "KilledWorker" else "error"
                yield i, TaskFailure(kind, f"{type(e).__name__}: {e}")

    def close(self):
        self.client.close()


def executor(jobs: int = 1, scheduler: str | None = None, retries: int = 1, preload: tuple = ()) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler`` (``preload``: modules workers start with)."""
    if scheduler:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
            raise InputError(f"expected a scheduler address like tcp://HOST:8786, got {scheduler!r}")
        return DaskExecutor(scheduler, retries)
    if not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"expected --jobs >= 1, got {jobs!r}")
    return Executor() if jobs == 1 else ProcessExecutor(jobs, retries, preload)
