"""Exit statuses of the command line, the same for every verb, so a script can rely on them.

0: success. 2: bad input, which the user can fix (a scenario, a flag, a file, an
``--out`` folder holding another sweep, a run too long without ``--force``). 3:
``optimize`` found no feasible plan. 130: interrupted (Ctrl-C), as a shell reports a
command ended by SIGINT. 1: anything else, including a sweep with failed points
(running it again retries them).
"""

from __future__ import annotations

import errno
import os

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_NO_FEASIBLE",
    "EXIT_OK",
    "cannot_write",
]

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
#: ``optimize`` found no candidate that meets the constraints.
EXIT_NO_FEASIBLE = 3

# A folder the user may not write to is the --out argument's fault: choose another.
_NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def cannot_write(out: str, error: OSError, then: str) -> tuple[str, int]:
    """The one-line message and exit status for an output folder that could not be written.

    ``then`` says what was kept. A read-only or forbidden folder is bad input (2: choose
    another ``--out``); a full disk or a failing one is not (1).

    >>> cannot_write("results/shop", OSError(28, "No space left on device"), "nothing was written")
    ('error: cannot write to results/shop/: No space left on device; nothing was written', 1)
    """
    reason = error.strerror or str(error)
    if error.errno in _NOT_ALLOWED:
        message = f"--out: cannot write to {out}{os.sep}: {reason}; {then}; choose another --out"
        return message, EXIT_BAD_INPUT
    return f"error: cannot write to {out}{os.sep}: {reason}; {then}", EXIT_FAILURE
