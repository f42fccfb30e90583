"""Writing files so that a crash never leaves half of one: the only file helpers below output.

And :func:`interrupts_held`, for the few steps a Ctrl-C must not cut in two.

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import tempfile
import threading
from collections.abc import Iterator

__all__ = ["atomic_write", "interrupts_held", "umask"]


def atomic_write(path: str | os.PathLike[str], text: str | bytes, *, sync: bool = True) -> None:
    """Write ``text`` to ``path`` so that ``path`` is always either the old file or the new one.

    The text goes to a temporary file in the same folder, is flushed to disk (``sync``),
    and is renamed over ``path``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    data = text.encode() if isinstance(text, str) else text
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        if hasattr(os, "fchmod"):  # as open() would: mkstemp makes files private
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@functools.cache
def umask() -> int:
    mask = os.umask(0o022)  # reading the mask means setting it: put it straight back
    os.umask(mask)
    return mask


@contextlib.contextmanager
def interrupts_held() -> Iterator[list[int]]:
    """Ctrl-C (SIGINT) waits until the block ends: steps that belong together all happen
    (the renames that move a run's files in, a worker process started and listed).

    Yields a list that holds the signal if one came; the caller raises KeyboardInterrupt
    after the block, saying what was done. Only the main thread receives signals; in any
    other thread, or when SIGINT is not Python's to handle, nothing changes.
    """
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # ignored, default or foreign: Ctrl-C raises nothing here
        yield held
        return
    signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)
