"""``python run_sim.py optimize SCENARIO.yaml``: the best plan, its guarantee, its files.

Called by :mod:`sim.cli.app` with the parsed arguments (``file, out, budget, seed, set,
workers, scheduler, quiet, force``). Prints the conclusion, e.g.::

    Best: agents.headcount=9 (operating cost 41,200 ± 310). With 95% confidence it meets
    service_level >= 95%, and no other feasible plan is better by more than 1%.

and writes ``decision.csv``, ``best.yaml``, ``decision.png`` and ``run.json`` into
``results/<name>-optimize/`` (or ``--out``), where ``replications/`` keeps every finished
replication: the same command run again after Ctrl-C or a kill goes on from there.

Exit status: 0 a best plan (also when the budget ran out first: then the conclusion
says that nothing is guaranteed), 3 no candidate is feasible (the nearest are listed),
2 bad input (a scenario, a flag, an ``--out`` folder holding another optimization, a
budget estimated at more than an hour of work without ``--force``),
130 interrupted, 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys

from sim.cli.status import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NO_FEASIBLE,
    EXIT_OK,
)

__all__ = ["default_out", "main"]


def default_out(name: str) -> str:
    """``results/<name>-optimize``."""
    from sim.output.format import folder_name

    return os.path.join("results", folder_name(f"{name}-optimize"))


def main(args: argparse.Namespace) -> int:
    import matplotlib

    from sim.errors import ScenarioError, SweepLockedError, SweepMismatchError
    from sim.experiment.estimate import RunTooLong
    from sim.experiment.optimize.plan import plan_optimize
    from sim.experiment.optimize.runner import optimize
    from sim.output.decision import FILES, format_decision, write_decision
    from sim.scenario.checks import check_all
    from sim.scenario.loader import load

    matplotlib.use("Agg")  # figures go to files; before pyplot is imported anywhere
    quiet = bool(getattr(args, "quiet", False))
    overrides = list(getattr(args, "set", None) or [])
    out = getattr(args, "out", None)
    try:
        scenario = load(args.file, overrides=overrides)
        plan = plan_optimize(scenario, budget=args.budget, seed=args.seed)  # bad input first
        ends = [plan.scenario(c) for c in dict.fromkeys((0, len(plan.candidates) - 1))]
        for finding in check_all(ends):  # the checks before running, as run prints them
            if finding.level == "warning" or not quiet:
                print(finding.labelled(), file=sys.stderr)
        out = out or default_out(scenario.name)
        if os.path.exists(out) and not os.path.isdir(out):
            raise ScenarioError.one(f"{out} exists and is not a folder", key="--out")
        decision = optimize(
            scenario,
            budget=args.budget,
            seed=args.seed,
            workers=args.workers,
            scheduler=getattr(args, "scheduler", None),
            out=out,
            progress=False if quiet else None,
            force=bool(getattr(args, "force", False)),
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
        kept = os.path.join(out, "replications") if out else None
        if kept and os.path.isdir(kept):
            print(f"interrupted: the finished replications are kept in {kept}{os.sep}; "
                  "run the same command again to go on", file=sys.stderr)  # fmt: skip
        else:
            print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    decision.record.argv = list(sys.argv)
    decision.record.overrides = overrides
    write_decision(decision, out)
    print(format_decision(decision))
    written = [f for f in FILES if os.path.exists(os.path.join(out, f))]
    print(f"Results written to {out}{os.sep}: {', '.join(written)}")
    return EXIT_OK if decision.feasible_found else EXIT_NO_FEASIBLE
