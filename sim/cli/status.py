"""Exit statuses of the command line, the same for every verb, so a script can rely on them.

0: success. 2: bad input, which the user can fix (a scenario, a flag, a file, an
``--out`` folder holding another sweep). 1: anything else, including a sweep with failed
points (running it again retries them). 3: ``optimize`` found no feasible plan.
130: interrupted (Ctrl-C).
"""

from __future__ import annotations

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_NO_FEASIBLE", "EXIT_OK"]

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
#: ``optimize`` found no candidate that meets the constraints.
EXIT_NO_FEASIBLE = 3
