"""The command line: ``python run_sim.py SCENARIO.yaml`` runs a scenario and writes its results.

Verbs (``run`` is the default, so ``python run_sim.py shop.yaml`` runs ``shop.yaml``)::

    run SCENARIO.yaml [MORE.yaml ...] [--out DIR] [--replications N | --precision 2%]
        [--seed N] [--horizon 30d] [--set dotted.key=value ...] [--workers N] [--quiet]
    validate SCENARIO.yaml ...      check files, run nothing
    schema                          print the JSON Schema of the scenario format
    sweep SCENARIO.yaml ...         run the scenario's sweep grid (see sim.cli.sweep)
    optimize SCENARIO.yaml ...      the best plan of its optimize block (see sim.cli.optimize)

Exit status: 0 success, 2 bad input (a scenario, a flag, a file), 1 anything else.
Nothing a user can get wrong ends in a traceback; set ``SIM_DEBUG=1`` to see one for
an unexpected error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from sim.cli.status import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK

__all__ = ["main"]

VERBS = ("run", "validate", "schema", "sweep", "optimize")


class BadInput(Exception):
    """A command-line value that cannot be used (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (and exits 2), without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _count(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more (got {value})")
        return value

    return parse


def _duration(text: str) -> str:
    from sim.scenario.units import parse_duration

    try:
        hours = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if hours <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration longer than zero (got {text!r})")
    return text


def _precision(text: str) -> str:
    from sim.scenario.units import parse_fraction

    try:
        value = parse_fraction(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction above 0 and below 1, like 2% "
                                         f"(got {text!r})")  # fmt: skip
    return text


def _parser() -> _Parser:
    parser = _Parser(
        prog="run_sim.py",
        description="Simulate business operations described in YAML scenario files.",
        epilog="run is the default verb: 'run_sim.py shop.yaml' runs shop.yaml.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="{run,validate,schema,sweep,optimize}")

    run = verbs.add_parser("run", help="run scenarios and write their results (the default)")
    run.add_argument("files", nargs="+", metavar="FILE", help="scenario files (YAML)")
    run.add_argument("--out", metavar="DIR",
                     help="where to write the results (default: results/<scenario name>/)")
    count = run.add_mutually_exclusive_group()
    count.add_argument("--replications", type=_count(1), metavar="N",
                       help="replications per scenario (default: the file's run.replications)")
    count.add_argument("--precision", type=_precision, metavar="PERCENT",
                       help="add replications until every headline measure's interval is "
                       "within this much of its mean, like 2%% (replications: auto)")
    run.add_argument("--seed", type=_count(0), metavar="N",
                     help="random seed (default: the file's run.seed)")
    run.add_argument("--horizon", type=_duration, metavar="DURATION",
                     help='simulated length, like "30d" (default: the file\'s run.horizon)')
    _add_set(run)
    run.add_argument("--workers", type=_count(1), metavar="N",
                     help="worker processes (default: every core; 1 runs in this process)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress bar and no table; print only where the files went")

    validate = verbs.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files (YAML)")

    verbs.add_parser("schema", help="print the JSON Schema of the scenario format")

    sweep = verbs.add_parser("sweep", help="run the sweep grid of a scenario (resumable)")
    sweep.add_argument("file", metavar="FILE", help="scenario file (YAML) with a sweep block")
    sweep.add_argument("--out", metavar="DIR", help="where to write sweep.csv and plots")
    sweep.add_argument("--workers", type=_count(1), metavar="N",
                       help="worker processes (default: every core)")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler to run on, like tcp://10.0.0.5:8786")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--replications", type=_count(1), metavar="N",
                       help="replications per point (default: the file's sweep or run block)")
    _add_set(sweep)

    optimize = verbs.add_parser(
        "optimize", help="find the best plan of a scenario's optimize block (resumable)"
    )
    optimize.add_argument("file", metavar="FILE", help="scenario file (YAML) with an optimize "
                          "block")  # fmt: skip
    optimize.add_argument("--out", metavar="DIR",
                          help="where to write the decision (default: results/<name>-optimize/)")
    optimize.add_argument("--budget", type=_count(2), metavar="N",
                          help="at most this many replications in all (default: the block's)")
    optimize.add_argument("--seed", type=_count(0), metavar="N",
                          help="random seed (default: the file's run.seed)")
    _add_set(optimize)
    optimize.add_argument("--workers", type=_count(1), metavar="N",
                          help="worker processes (default: every core; 1 runs in this process)")
    optimize.add_argument("--scheduler", metavar="ADDRESS",
                          help="a Dask scheduler to run on, like tcp://10.0.0.5:8786")
    optimize.add_argument("--quiet", action="store_true",
                          help="no progress bar; print only the conclusion and the files")
    return parser


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="set", help="change one value, like demand.arrivals.rate=600/day "
                        "(repeatable)")  # fmt: skip


def _with_default_verb(argv: list[str]) -> list[str]:
    """``run`` unless the first argument is a verb or asks for help."""
    if argv and argv[0] not in (*VERBS, "-h", "--help"):
        return ["run", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not args_list:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: give a scenario file to run (see --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        args = parser.parse_args(_with_default_verb(args_list))
    except SystemExit as exit_:  # argparse: --help (0) or a bad flag (2)
        return int(exit_.code or 0)
    commands = {"run": _run, "validate": _validate, "schema": _schema, "sweep": _sweep,
                "optimize": _optimize}  # fmt: skip
    return _guarded(commands[args.verb], args)


def _guarded(command: Any, args: argparse.Namespace) -> int:
    """Run one verb, turning every error into a one-line message and an exit status."""
    from sim.errors import ScenarioError

    try:
        return int(command(args))
    except (ScenarioError, BadInput) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if os.environ.get("SIM_DEBUG") == "1":
            traceback.print_exc()
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        if os.environ.get("SIM_DEBUG") != "1":
            print("(set SIM_DEBUG=1 to see the full traceback)", file=sys.stderr)
        return EXIT_FAILURE


# --------------------------------------------------------------------------- verbs
def _load_all(files: Sequence[str], overrides: Sequence[str] = ()) -> list[Any]:
    """Load every file; report the problems of all of them at once."""
    from sim.errors import ScenarioError
    from sim.scenario.loader import load

    scenarios, problems = [], []
    for file in files:
        try:
            scenarios.append(load(file, overrides=overrides))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def _run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only; before pyplot is imported anywhere

    from sim.experiment.runner import run
    from sim.output.format import folder_name
    from sim.output.report import FILES, WARMUP_FILE, format_table

    scenarios = _load_all(args.files, args.set)
    out = args.out or os.path.join("results", folder_name(scenarios[0].name))
    if os.path.exists(out) and not os.path.isdir(out):
        raise BadInput(f"--out: {out} exists and is not a folder")
    results = run(
        scenarios,
        replications=args.replications,
        precision=args.precision,
        seed=args.seed,
        horizon=args.horizon,
        workers=args.workers,
        progress=False if args.quiet else None,
    )
    results.record.argv = list(sys.argv)
    results.record.overrides = list(args.set)
    if not args.quiet:
        print(format_table(results))
        print()
    folder = results.save(out)
    written = [*FILES, WARMUP_FILE] if results.warmup_choice is not None else list(FILES)
    print(f"Results written to {folder}{os.sep}: {', '.join(written)}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.scenario.loader import load

    status = EXIT_OK
    for file in args.files:
        try:
            load(file)
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"{file}: ok")
    return status


def _schema(args: argparse.Namespace) -> int:
    from sim.scenario.schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from sim.cli.sweep import main as sweep_main

    return sweep_main(args)


def _optimize(args: argparse.Namespace) -> int:
    from sim.cli.optimize import main as optimize_main

    return optimize_main(args)
