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

Interrupts: local workers ignore SIGINT (Ctrl-C is the parent's: a terminal sends it to the
whole process group), and so does the fork server from its start. When the parent's iteration
ends abnormally (Ctrl-C's ``KeyboardInterrupt``, an error, a consumer that stops early, or
:meth:`ProcessExecutor.close` during an iteration), queued tasks are cancelled and the workers
are terminated rather than waited for; a terminated worker removes the temporary files of its
unfinished writes (:func:`tnverify.files.discard_pending`) and exits without a traceback.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from tnverify.errors import InputError, SchedulerError
from tnverify.files import discard_pending

__all__ = ["executor", "check_scheduler", "TaskFailure", "Executor"]


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
#: Seconds a terminated worker has to exit (clean-up included) before it is killed.
STOP_GRACE = 2.0


def _worker_start() -> None:
    """Initializer of every local worker: ignore SIGINT; on SIGTERM remove unfinished files and exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_terminated)


def _worker_terminated(signum, frame) -> None:
    discard_pending()
    os._exit(128 + signum)


@contextmanager
def _children_ignore_sigint():
    """Start child processes inside this block with SIGINT ignored, keeping a Ctrl-C meant for this one.

    An ignored signal stays ignored across ``exec``, so the fork server ignores Ctrl-C from its
    first instruction (its imports included). SIGINT is blocked meanwhile, so that one arriving
    here is delivered, not lost, when the block ends. Outside the main thread: no change.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _sigint_deferred():
    """Hold a Ctrl-C that arrives inside the block until the block ends, then deliver it.

    Submitting a task may start a worker, which waits for the fork server (for its imports, a
    few seconds at start-up); an interrupt inside that wait would leave a worker that is
    started but unknown to the pool, and could not be stopped. Outside the main thread: no change.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
    if caught:
        if callable(old):
            old(signal.SIGINT, None)
        elif old == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


def _quiet_tracker() -> None:
    """Start multiprocessing's resource tracker with its leak warning off.

    Workers terminated at an interrupt can die holding the pool's queue locks; the tracker still
    unlinks those semaphores when the program ends, but also prints a two-line UserWarning per
    run, after the one-line interrupt message. The tracker is a separate interpreter that takes
    its warning filters from ``sys.warnoptions`` when it starts, so the filter goes there first.
    (If something started the tracker earlier, the warning stays; nothing else changes.)
    """
    from multiprocessing import resource_tracker

    flag = "ignore:resource_tracker:UserWarning"
    if flag not in sys.warnoptions:
        sys.warnoptions.append(flag)
    resource_tracker.ensure_running()


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel the queued tasks of ``pool`` and terminate its workers (SIGTERM, then SIGKILL)."""
    procs = list((pool._processes or {}).values())  # the standard library has no public handle before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()
    # The pool's manager thread closes its wake-up pipe as it ends; Python 3.11's exit hook then
    # still writes to that pipe unless the thread is gone from its table, and prints a traceback
    # ("Bad file descriptor") after the one-line interrupt message. Wait for the thread and drop it.
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(STOP_GRACE)
        if not manager.is_alive():
            getattr(sys.modules.get("concurrent.futures.process"), "_threads_wakeups", {}).pop(manager, None)


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

        _quiet_tracker()  # before the fork server, which starts the tracker
        threads = str(max(1, (os.cpu_count() or 1) // jobs))
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: threads for k in _THREAD_VARS})
        try:
            with _children_ignore_sigint():
                forkserver.ensure_running()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.name = f"{jobs} local processes"
        self._active: set = set()

    @contextmanager
    def _pool(self, jobs: int):
        """A pool whose workers are terminated, not waited for, when the block ends abnormally."""
        pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=_CONTEXT, initializer=_worker_start)
        self._active.add(pool)
        try:
            yield pool
        except BaseException:
            _stop(pool)
            raise
        finally:
            self._active.discard(pool)
        pool.shutdown(wait=True)

    def close(self) -> None:
        """Terminate the workers of an iteration still under way (after an interrupt); else nothing."""
        for pool in list(self._active):
            self._active.discard(pool)
            _stop(pool)

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
        with self._pool(self.jobs) as pool:
            with _sigint_deferred():
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
            with self._pool(1) as solo:
                try:
                    with _sigint_deferred():
                        fut = solo.submit(fn, item)
                    return fut.result()
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


#: Seconds :func:`check_scheduler` waits for a scheduler's TCP port to answer.
PROBE_TIMEOUT = 3.0
#: Dask's default scheduler port, for an address without one.
DASK_PORT = 8786


def check_scheduler(address: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Refuse a ``--scheduler`` address that is malformed or does not answer, before any work.

    A command that takes ``--scheduler`` calls this first, whether or not its work turns out
    to need the cluster: an address given is never silently ignored. The check opens a TCP
    connection to the address's host and port (Dask's client alone would wait 10 s on a
    refused connection); ``inproc://`` addresses are in-process and not probed.

    Raises
    ------
    InputError
        The address is not ``tcp://HOST:PORT`` (or ``tls://``, ``ws://``, ``wss://``, ``inproc://``).
    SchedulerError
        Nothing answers at that host and port within ``timeout`` seconds (exit code 2).
    """
    import socket
    from urllib.parse import urlsplit

    if not isinstance(address, str) or not address.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
        raise InputError(f"expected a scheduler address like tcp://HOST:8786, got {address!r}")
    if address.startswith("inproc://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port or DASK_PORT
    except ValueError:
        host = port = None
    if not host:
        raise InputError(f"expected a scheduler address like tcp://HOST:8786, got {address!r}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address!r}: "
                             f"{e.strerror or type(e).__name__} (host {host}, port {port})") from None


def executor(jobs: int = 1, scheduler: str | None = None, retries: int = 1, preload: tuple = ()) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler`` (``preload``: modules workers start with)."""
    if scheduler:
        check_scheduler(scheduler)
        return DaskExecutor(scheduler, retries)
    if not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"expected --jobs >= 1, got {jobs!r}")
    return Executor() if jobs == 1 else ProcessExecutor(jobs, retries, preload)
