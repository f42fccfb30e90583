"""The command line: ``python run_sim.py`` (or ``sim``) and its verbs.

Parsing, exit statuses and messages live in :mod:`~sim.cli.app`; the ``sweep`` verb
in :mod:`~sim.cli.sweep`. Bad input exits 2 with one line per problem, never a traceback.
"""

from __future__ import annotations

from sim.cli.app import main

__all__ = ["main"]
