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

Local worker processes are kept on a short lead (:class:`WorkerPool`):

* **Plain scripts work.** A worker started by forkserver or spawn normally runs the
  parent's ``__main__`` script again, so ``sim.run()`` in an unguarded script would start
  workers that call ``sim.run()``... The pool hides ``__main__``'s ``__file__`` and
  ``__spec__`` for the instant its processes start, so workers never import the user's
  script: tasks only ever carry ``sim`` functions and scenarios. (A task function
  defined in a script's ``__main__`` therefore cannot run on local workers.)
* **Ctrl-C is the parent's.** Workers ignore SIGINT (a terminal sends it to every
  process of the foreground group); the parent, on KeyboardInterrupt or any error,
  drops the tasks not started and ends the worker processes at once, instead of
  waiting for the tasks they are running.
* **A dead worker is named.** Each worker notes which task it is running in memory
  shared with the parent; when a worker process dies (killed, out of memory, crashed),
  the task it was running fails with :class:`WorkerDied` saying so and how it died.

This module is imported by the parent process, and by each local worker for the few
lines that run there (:func:`_worker_started`, :func:`_tracked`); it imports nothing heavy.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from sim._files import interrupts_held

__all__ = [
    "InProcessExecutor",
    "TaskError",
    "WorkerDied",
    "WorkerPool",
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


class WorkerDied(RuntimeError):
    """A local worker process died (killed, out of memory, crashed) before the task ended.

    ``ran_it`` is True for a task that was running in the process that died, False for
    one lost only because the pool of workers could not go on without it.
    """

    def __init__(self, message: str, *, ran_it: bool) -> None:
        super().__init__(message)
        self.ran_it = ran_it


def how_it_ended(exitcode: int | None) -> str:
    """How a worker process ended, from its exit code, in a planner's words.

    >>> how_it_ended(-9)
    'was killed (SIGKILL): the system may have run out of memory, or someone killed it'
    >>> how_it_ended(3)
    'exited with status 3'
    """
    if exitcode is None:
        return "stopped"
    if exitcode >= 0:
        return f"exited with status {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    if -exitcode == getattr(signal, "SIGKILL", 9):
        return f"was killed ({name}): the system may have run out of memory, or someone killed it"
    if -exitcode == signal.SIGTERM:
        return f"was terminated ({name})"
    return f"crashed ({name})"


# ---------------------------------------------------------------------- in the worker
# A worker's row in its pool's shared table: ``(table, row)``; the table holds, for row
# i, the worker's pid at 2i and the id of the task it is running (-1: none) at 2i + 1.
_row: tuple[Any, int] | None = None


def _worker_started(table: Any, rows: Any, parent: int) -> None:
    """Run in each new worker process: leave Ctrl-C to the parent, end with it (even when
    it is killed), and take a row of the table."""
    global _row
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    if os.name == "posix":  # os.kill(pid, 0) only asks "are you there?" on POSIX
        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    with rows.get_lock():
        row = rows.value
        rows.value += 1
    if 2 * row + 1 < len(table):
        table[2 * row], table[2 * row + 1] = os.getpid(), -1
        _row = (table, row)


def _end_with(parent: int) -> None:
    """In a worker: exit within a second of the parent's end, so that a parent killed with
    ``kill -9`` (or the out-of-memory killer) leaves no worker simulating for nobody."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except OSError:  # gone (or its pid taken by another user's process)
            os._exit(1)


def _tracked(task: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run in a worker: ``fn(*args, **kwargs)``, with ``task`` noted as running meanwhile."""
    if _row is None:
        return fn(*args, **kwargs)
    table, row = _row
    table[2 * row + 1] = task
    try:
        return fn(*args, **kwargs)
    finally:
        table[2 * row + 1] = -1


# ---------------------------------------------------------------------- in the parent
@contextmanager
def _main_hidden() -> Iterator[None]:
    """Worker processes started in this block do not run the parent's ``__main__`` again.

    multiprocessing (forkserver and spawn) tells each new process to re-run the parent's
    main script (``__main__.__file__``) or module (``__main__.__spec__.name``), so that
    functions defined there can be unpickled; an unguarded script would then start its
    whole work again in every worker. Without both, the new process leaves its own
    ``__main__`` alone (``multiprocessing.spawn.get_preparation_data``). They are put
    back as soon as the block ends.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    names: tuple[str, ...] = ("__file__", "__spec__")
    saved = {name: main.__dict__[name] for name in names if name in vars(main)}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        if "__spec__" not in saved:
            main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT is ignored in this block, so processes started in it ignore it too.

    An ignored signal stays ignored across ``exec``, and Python then installs no
    KeyboardInterrupt handler: the fork server, started here, and every worker it forks
    ignore Ctrl-C from their first instruction. Only the main thread may change a
    signal's handler; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # a handler installed outside Python: leave it alone
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class WorkerPool(ProcessPoolExecutor):
    """A process pool whose workers never re-run the user's script, ignore Ctrl-C, and
    say which task was running in a worker that died.

    :meth:`stop` ends it at once (Ctrl-C, an error): the tasks not started are dropped
    and the worker processes are ended, instead of waiting for the tasks they run.
    """

    def __init__(self, workers: int, context: Any) -> None:
        self._table = context.RawArray("q", 2 * workers)
        for i in range(len(self._table)):
            self._table[i] = -1
        super().__init__(
            max_workers=workers,
            mp_context=context,
            initializer=_worker_started,
            initargs=(self._table, context.Value("i", 0), os.getpid()),
        )
        self._ids = itertools.count()
        self._task_of: weakref.WeakKeyDictionary[Future[Any], int] = weakref.WeakKeyDictionary()
        self._workers: dict[int, Any] = {}  # every worker process started, by pid
        self._death: tuple[str, set[int]] | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        task = next(self._ids)
        # Worker processes are started inside submit(). Ctrl-C waits until it returns: a
        # process started but not yet listed by the pool could not be stopped.
        with _main_hidden(), interrupts_held() as held:
            future = super().submit(_tracked, task, fn, *args, **kwargs)
        self._task_of[future] = task
        self._workers.update(self._processes)
        if held:
            raise KeyboardInterrupt
        return future

    def _processes_started(self) -> list[Any]:
        self._workers.update(getattr(self, "_processes", None) or {})
        return list(self._workers.values())

    def stop(self) -> None:
        """End now: drop the tasks not started and end every worker process.

        A second Ctrl-C meanwhile waits (a second or two at most): a worker left running
        would keep the program from exiting.
        """
        from multiprocessing.connection import wait as wait_for

        with interrupts_held():
            # The pool cancels what has not started itself: a future cancelled from outside
            # and then failed by the broken pool would raise in the pool's own thread.
            self.shutdown(wait=False, cancel_futures=True)
            processes = self._processes_started()
            for process in processes:
                if process.exitcode is None:
                    process.terminate()
            sentinels = [process.sentinel for process in processes]
            alive = set(sentinels) - set(wait_for(sentinels, timeout=2.0))
            for process in processes:
                if process.sentinel in alive and process.exitcode is None:
                    process.kill()
            self.shutdown(wait=True)  # the pool's thread sees its workers gone and ends

    def _diagnose(self) -> tuple[str, set[int]]:
        """How the first worker process died, and the tasks that were running in it."""
        if self._death is None:
            self.shutdown(wait=True)  # a broken pool reaps its processes, then its thread ends
            dead = [p for p in self._processes_started() if p.exitcode not in (None, 0)]
            # The pool terminates (SIGTERM) the others once one has died: the one that
            # died otherwise is the one to tell about.
            first = [p for p in dead if p.exitcode != -signal.SIGTERM] or dead
            how = how_it_ended(first[0].exitcode) if first else "stopped"
            codes = {p.exitcode for p in first[:1]}
            pids = {p.pid for p in dead if p.exitcode in codes}
            table = self._table
            tasks = {
                table[2 * row + 1]
                for row in range(len(table) // 2)
                if table[2 * row] in pids and table[2 * row + 1] >= 0
            }
            self._death = (how, tasks)
        return self._death

    def explain(self, future: Future[Any] | None) -> WorkerDied:
        """The :class:`WorkerDied` error of a task lost with a dead worker (None: not submitted)."""
        how, tasks = self._diagnose()
        if future is not None and self._task_of.get(future) in tasks:
            return WorkerDied(f"the worker process running it {how}", ran_it=True)
        return WorkerDied(
            f"not run: a worker process {how}, and the others were stopped with it",
            ran_it=False,
        )


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
        try:
            from distributed import Client  # only when a cluster is asked for: 0.5 s to import
        except ImportError:
            raise ImportError(
                "running on a Dask scheduler needs the distributed package, which is not "
                'installed: pip install "opsim[dask]"'
            ) from None

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
            from multiprocessing import forkserver

            # Started here, not by the first worker: with SIGINT ignored and without the
            # user's script (see _sigint_ignored and _main_hidden).
            with _sigint_ignored(), _main_hidden():
                forkserver.ensure_running()
        pool = WorkerPool(workers, context)
        try:
            yield pool, 2 * workers  # one running and one waiting per worker
            pool.shutdown(wait=True)
        except BaseException:
            pool.stop()  # Ctrl-C or an error: do not wait for the tasks still running
            raise


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
    submitted; when a local worker process dies, the task it was running comes first,
    and every task lost with it holds a :class:`WorkerDied`. Leaving the ``with`` block
    early (an error, Ctrl-C) cancels every task not yet started and ends the local
    worker processes at once; what finished before stays handled.
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
            if not isinstance(pool, WorkerPool):  # a WorkerPool cancels its own (stop())
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
                future = _failed(pool, None, exc)
            pending[future] = key
        if not pending:
            return
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        finished = [f for f in pending if f in done]  # submission order
        if isinstance(pool, WorkerPool) and any(_broken(f) for f in finished):
            wait(pending, timeout=10.0)  # a broken pool fails every task at once
            finished = [f for f in pending if f.done()]
            lost = {f: _failed(pool, f, _error(f)) for f in finished}
            # The task that was running in the dead worker first: it is the one to report.
            finished.sort(key=lambda f: not getattr(lost[f].exception(), "ran_it", False))
            for future in finished:
                yield pending.pop(future), lost[future]
            continue
        for future in finished:
            yield pending.pop(future), future


def _error(future: Future[Any]) -> BaseException | None:
    return None if future.cancelled() else future.exception()


def _broken(future: Future[Any]) -> bool:
    return isinstance(_error(future), BrokenProcessPool)


def _failed(pool: Executor, future: Future[Any] | None, error: BaseException | None) -> Future[Any]:
    """A finished future holding ``error``: for a task lost with a dead worker process, the
    :class:`WorkerDied` that says so; else the future itself (or a new one for a task
    that could not be submitted)."""
    if isinstance(pool, WorkerPool) and isinstance(error, BrokenProcessPool):
        error = pool.explain(future)
    elif future is not None:
        return future
    failed: Future[Any] = Future()
    failed.set_exception(error)
    return failed


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
