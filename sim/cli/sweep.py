"""``python run_sim.py sweep SCENARIO.yaml``: run a scenario's sweep and write its results.

Called by :mod:`sim.cli.app` with the parsed arguments (``file, out, workers, scheduler,
quiet, replications, seed, horizon, set``; ``seed`` and ``horizon`` replace the file's
``run`` settings like ``--set run.seed=N`` would). Prints where the files went and one line::

    48 points: 47 succeeded, 1 failed (see failures.csv)

Exit status: 0 when every point succeeded or was unstable, 2 for bad input (a scenario
that cannot be loaded, a file without a ``sweep`` section, an ``--out`` folder holding
another sweep, a sweep estimated at more than an hour without ``--force``), 130 when
interrupted (Ctrl-C: the finished points are kept), 1 otherwise, including any failed
point (run the same command again to retry the failed points: the finished ones are kept).
"""

from __future__ import annotations

import argparse
import os
import sys

from sim.cli.status import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    cannot_write,
)

__all__ = ["main"]


def default_out(name: str) -> str:
    """``results/<scenario name>-sweep``, the name made safe for a folder."""
    from sim.output.format import folder_name

    return os.path.join("results", folder_name(name, "-sweep"))


def main(args: argparse.Namespace) -> int:
    """Load ``args.file`` (with ``--set``), run its sweep into ``--out``; return the exit status."""
    import matplotlib

    from sim.errors import ScenarioError, SweepLockedError, SweepMismatchError
    from sim.experiment.estimate import RunTooLong
    from sim.experiment.record import RunRecord
    from sim.experiment.sweep.runner import plan_sweep, sweep
    from sim.scenario.loader import load

    matplotlib.use("Agg")  # figures go to files; before pyplot is imported anywhere
    quiet = bool(getattr(args, "quiet", False))
    out = getattr(args, "out", None)
    overrides = list(getattr(args, "set", None) or [])
    record = RunRecord("sweep", argv=list(sys.argv), overrides=overrides)
    try:
        scenario = load(args.file, overrides=overrides)
        run_changes = {
            f"run.{key}": value
            for key in ("seed", "horizon")
            if (value := getattr(args, key, None)) is not None
        }
        if run_changes:
            scenario = scenario.with_changes(run_changes)
        # Checks everything (a sweep section, its grid or sample) before anything runs.
        plan = plan_sweep(scenario, replications=getattr(args, "replications", None))
        out = out or default_out(scenario.name)
        if os.path.exists(out) and not os.path.isdir(out):
            raise ScenarioError.one(f"{out} exists and is not a folder", file="--out")
        results = sweep(
            plan,
            workers=getattr(args, "workers", None),
            scheduler=getattr(args, "scheduler", None),
            out=out,
            progress=False if quiet else None,
            force=bool(getattr(args, "force", False)),
            record=record,
        )
    except RunTooLong as exc:
        print(str(exc.advice("add --force to run it anyway")), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ScenarioError, SweepMismatchError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except SweepLockedError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"interrupted: {_kept(out)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a full disk, a read-only folder: every point file is whole
        message, status = cannot_write(out or ".", exc, _kept(out))
        print(message, file=sys.stderr)
        return status
    files = ["sweep.csv", "run.json"] + (["failures.csv"] if len(results.failures()) else [])
    figures = sorted(f for f in os.listdir(out) if f.startswith("sweep_") and f.endswith(".png"))
    figures += ["report.html"] if os.path.exists(os.path.join(out, "report.html")) else []
    reused = len(plan.points) - len(results.ran)
    if reused:
        print(f"Resumed: {reused} points were already done; ran the other {len(results.ran)}")
    print(f"Results written to {out}{os.sep}: {', '.join(files + figures)}")
    print(results.status_line())
    return EXIT_FAILURE if results.failed else EXIT_OK


def _kept(out: str | None) -> str:
    """What an interrupted or failed sweep kept: its finished points, if any."""
    if out and os.path.isdir(os.path.join(out, "points")):
        kept = f"the finished points are kept in {out}{os.sep}points"
        return f"{kept}; run the same command again to go on"
    return "nothing was written"
