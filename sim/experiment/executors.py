"""Where replications run: in this process, on local worker processes, or on a cluster.

Every way of running work here is a :class:`concurrent.futures.Executor`, so the code
that hands out replications (or sweep points) is the same whatever runs them:

* ``executor(workers=1)``: in this process, one task after another. Nothing is pickled,
  so a notebook or a debugger sees every object and every traceback as it is.
* ``executor()`` or ``executor(workers=4)``: local worker processes, started with the
  *forkserver* method where the platform has it (Linux, macOS: about 0.1 s to start a
  worker, and none of the thread-safety traps of ``fork``), else with *spawn* (Windows).
  The default is every CPU this process may use.
* ``executor(scheduler="tcp://host:8786")``: an existing Dask cluster. Every worker
  (and the scheduler) must have the same version of ``sim`` installed.

:func:`as_finished` feeds an executor a few tasks at a time and hands back each one as
it finishes; :func:`run_tasks` uses it to put the results back in the order the tasks
were given, so the numbers never depend on the executor, and a sweep uses it to store
each point the moment it finishes.

This module is imported by the parent process only; it imports nothing heavy.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = [
    "InProcessExecutor",
    "TaskError",
    "as_finished",
    "default_workers",
    "executor",
    "progress_bar",
    "run_tasks",
    "start_method",
]

K = TypeVar("K")

# A process pool on Windows cannot wait on more than 61 worker processes.
_WINDOWS_MAX_WORKERS = 61


class InProcessExecutor(Executor):
    """Runs each task at once, in the calling process, when it is submitted.

    The returned future is already done; an exception raised by the task is stored
    in it (as a process pool would), not raised by :meth:`submit`.
    """

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._shutdown:
            raise RuntimeError("cannot submit a task after shutdown")
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # stored in the future, as a process pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


def _check_workers(workers: int | None) -> None:
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers: expected a whole number of 1 or more (got {workers!r})")


def start_method() -> str:
    """How worker processes start: ``"forkserver"`` where the platform has it, else ``"spawn"``."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def default_workers() -> int:
    """Local worker processes when none are asked for: one per CPU this process may use.

    A container or ``taskset`` may allow fewer CPUs than the machine has: the affinity
    mask counts those where the system keeps one (Linux), else every CPU is counted.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity mask here (Windows, macOS)
        cpus = os.cpu_count() or 1
    return min(cpus, _WINDOWS_MAX_WORKERS) if sys.platform == "win32" else cpus


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor to ``submit(fn, *args)`` to, shut down when the ``with`` block ends.

    ``scheduler`` (a Dask scheduler address like ``"tcp://10.0.0.5:8786"``) wins over
    ``workers``. Otherwise ``workers=1`` runs in this process and any other number
    (default: :func:`default_workers`) starts that many local processes.
    """
    _check_workers(workers)
    with _open(workers, scheduler) as (pool, _):
        yield pool


@contextmanager
def _open(workers: int | None, scheduler: str | None) -> Iterator[tuple[Executor, int]]:
    """:func:`executor`'s executor and its window: how many tasks to keep submitted at once.

    The window is enough to keep every worker busy, and no more: submitting every task of
    a 10 000-point sweep at once would hold 10 000 scenarios in memory.
    """
    if scheduler:
        from distributed import Client  # only when a cluster is asked for: 0.5 s to import

        client = Client(scheduler)
        try:
            threads = sum(client.nthreads().values())
            # pure=False: two identical tasks are two runs, never one cached result.
            with client.get_executor(pure=False) as cluster:
                # Results travel over the network: keep a good many in flight.
                yield cluster, max(256, 4 * threads)
        finally:
            client.close()
    elif workers == 1:
        with InProcessExecutor() as in_process:
            yield in_process, 1  # each task is handled as soon as it has run
    else:
        workers = workers or default_workers()
        method = start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            # The fork server imports the model once; each worker is forked with it loaded
            # instead of importing numpy, pydantic and simpy again (~0.5 s of CPU per
            # worker per run; see bench/RESULTS.md, "Replications"). It takes effect when
            # the fork server starts, i.e. on the first pool of the session. A spawned
            # worker imports the model itself, when it unpickles its first task.
            context.set_forkserver_preload(["sim.model.build"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield pool, 2 * workers  # one running and one waiting per worker


@contextmanager
def as_finished(
    fn: Callable[..., Any],
    tasks: Iterable[tuple[K, Sequence[Any]]],
    *,
    count: int,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[Iterator[tuple[K, Future[Any]]]]:
    """Run ``fn(*args)`` for each ``(key, args)`` of ``tasks``; give ``(key, future)`` as each ends.

    ::

        with as_finished(simulate, tasks, count=len(tasks)) as finished:
            for key, future in finished:
                ...  # future.result() or future.exception()

    ``count`` is how many tasks there are (more worker processes than tasks would only
    cost start-up time). Tasks are taken from ``tasks`` a window at a time, as workers
    free up, so ``tasks`` may be a generator that builds each one when it is needed. A
    task that cannot even be submitted (a broken pool) finishes at once, its future
    holding the error. Futures that finish together come in the order they were
    submitted. Leaving the ``with`` block, done or not (an error, Ctrl-C), cancels every
    task not yet started; what finished before stays handled.
    """
    _check_workers(workers)
    if count < 1:
        yield iter(())
        return
    if scheduler is None:
        workers = min(workers or default_workers(), count)
    pending: dict[Future[Any], K] = {}
    with _open(workers, scheduler) as (pool, window):
        try:
            yield _finishing(pool, fn, iter(tasks), window, pending)
        finally:
            for future in pending:
                future.cancel()


def _finishing(
    pool: Executor,
    fn: Callable[..., Any],
    tasks: Iterator[tuple[K, Sequence[Any]]],
    window: int,
    pending: dict[Future[Any], K],
) -> Iterator[tuple[K, Future[Any]]]:
    """:func:`as_finished`'s loop: keep ``window`` tasks submitted, yield each that finishes."""
    while True:
        for key, args in itertools.islice(tasks, max(window - len(pending), 0)):
            try:
                future = pool.submit(fn, *args)
            except Exception as exc:  # noqa: BLE001 - the caller decides what a failed task means
                future = Future()
                future.set_exception(exc)
            pending[future] = key
        if not pending:
            return
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in [f for f in pending if f in done]:  # submission order
            yield pending.pop(future), future


class TaskError(RuntimeError):
    """A task raised an exception; ``index`` says which (its position in the task list).

    The task's own exception is ``__cause__``.
    """

    def __init__(self, index: int, error: BaseException) -> None:
        self.index = index
        self.error = error
        super().__init__(f"task {index} failed: {type(error).__name__}: {error}")


class _NoBar:
    """Stands in for a progress bar when none is wanted (and tqdm need not be imported)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        return None


def progress_bar(
    total: int,
    progress: bool | None,
    *,
    description: str = "",
    unit: str = "task",
    **options: Any,
) -> Any:
    """A progress bar over ``total`` items, usable as a context manager with ``update()``.

    ``progress=None`` shows it only on a terminal or in a notebook (tqdm decides), ``True``
    always, ``False`` never: then tqdm is not even imported, so a notebook without
    ipywidgets sees no warning about it. ``options`` go to tqdm (``initial=``, ...).
    """
    if progress is False:
        return _NoBar()
    from tqdm.auto import tqdm

    disable = None if progress is None else False
    return tqdm(total=total, desc=description or None, unit=unit, disable=disable, **options)


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    description: str = "",
    unit: str = "task",
) -> list[Any]:
    """``[fn(*task) for task in tasks]``, run on :func:`executor`, in the order of ``tasks``.

    Results are collected as they finish (:func:`as_finished`; a progress bar counts
    them: ``progress=None`` shows it only on a terminal or in a notebook, ``True``
    always, ``False`` never) and returned in task order, so one worker or many give the
    same list. The first task to fail cancels the tasks not yet started and raises
    :class:`TaskError` naming it.
    """
    _check_workers(workers)
    if not tasks:
        return []
    results: list[Any] = [None] * len(tasks)
    with (
        progress_bar(len(tasks), progress, description=description, unit=unit) as bar,
        as_finished(
            fn, enumerate(tasks), count=len(tasks), workers=workers, scheduler=scheduler
        ) as finished,
    ):
        for index, future in finished:
            error = future.exception()
            if error is not None:
                raise TaskError(index, error) from error
            results[index] = future.result()
            bar.update(1)
    return results
