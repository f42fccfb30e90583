"""Writing files so that a crash never leaves half of one: the only file helpers below output.

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile

__all__ = ["atomic_write", "umask"]


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
