"""Where replications run: in this process, on local worker processes, or on a cluster.

Every way of running work here is a :class:`concurrent.futures.Executor`, so the code
that hands out replications (or sweep points) is the same whatever runs them:

* ``executor(workers=1)``: in this process, one task after another. Nothing is pickled,
  so a notebook or a debugger sees every object and every traceback as it is.
* ``executor()`` or ``executor(workers=4)``: local worker processes started with the
  *forkserver* method (about 0.1 s to start a worker, and none of the thread-safety
  traps of ``fork``).
* ``executor(scheduler="tcp://host:8786")``: an existing Dask cluster. Every worker
  (and the scheduler) must have the same version of ``sim`` installed.

Results come back in whatever order the workers finish; :func:`run_tasks` puts them
back in the order the tasks were given, so the numbers never depend on the executor.

This module is imported by the parent process only; it imports nothing heavy.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

__all__ = ["InProcessExecutor", "TaskError", "executor", "progress_bar", "run_tasks"]


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


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor to ``submit(fn, *args)`` to, shut down when the ``with`` block ends.

    ``scheduler`` (a Dask scheduler address like ``"tcp://10.0.0.5:8786"``) wins over
    ``workers``. Otherwise ``workers=1`` runs in this process and any other number
    (default: every core) starts that many local processes.
    """
    _check_workers(workers)
    if scheduler:
        from distributed import Client  # only when a cluster is asked for: 0.5 s to import

        client = Client(scheduler)
        try:
            # pure=False: two identical tasks are two runs, never one cached result.
            with client.get_executor(pure=False) as cluster:
                yield cluster
        finally:
            client.close()
    elif workers == 1:
        with InProcessExecutor() as in_process:
            yield in_process
    else:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the model once; each worker is forked with it loaded
        # instead of importing numpy, pydantic and simpy again (~0.5 s of CPU per worker
        # per run; see bench/RESULTS.md, "Replications"). It takes effect when the fork
        # server starts, i.e. on the first pool of the session.
        context.set_forkserver_preload(["sim.model.build"])
        with ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1, mp_context=context
        ) as pool:
            yield pool


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

    Results are collected as they finish (a progress bar counts them: ``progress=None``
    shows it only on a terminal or in a notebook, ``True`` always, ``False`` never) and
    returned in task order, so one worker or many give the same list. The first task
    to fail cancels the tasks not yet started and raises :class:`TaskError` naming it.
    Local workers are fed a few tasks at a time, so the bar moves as tasks finish even
    in this process and a failure stops the run early; a cluster gets every task at once.
    """
    _check_workers(workers)
    if not tasks:
        return []
    if scheduler is None:
        # More processes than tasks only costs start-up time; one task needs no pool.
        workers = min(workers or os.cpu_count() or 1, len(tasks))
    results: list[Any] = [None] * len(tasks)
    in_flight = len(tasks) if scheduler else 2 * (workers or 1)
    queue = iter(enumerate(tasks))
    with (
        progress_bar(len(tasks), progress, description=description, unit=unit) as bar,
        executor(workers=workers, scheduler=scheduler) as pool,
    ):
        pending: dict[Future[Any], int] = {}

        def submit_next() -> None:
            item = next(queue, None)
            if item is not None:
                pending[pool.submit(fn, *item[1])] = item[0]

        try:
            for _ in range(in_flight):
                submit_next()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    error = future.exception()
                    if error is not None:
                        raise TaskError(index, error) from error
                    results[index] = future.result()
                    bar.update(1)
                    submit_next()
        finally:
            for future in pending:
                future.cancel()
    return results
