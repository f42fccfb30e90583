"""The command line: ``python run_sim.py SCENARIO.yaml`` runs a scenario and writes its results.

Verbs (``run`` is the default, so ``python run_sim.py shop.yaml`` runs ``shop.yaml``)::

    run SCENARIO.yaml [MORE.yaml ...] [--out DIR] [--replications N | --precision 2%]
        [--seed N] [--horizon 30d] [--set dotted.key=value ...] [--variants a,b] [--workers N]
        [--quiet] [--excel]
    validate SCENARIO.yaml ... [--set dotted.key=value ...]   check files, run nothing
    schema                          print the JSON Schema of the scenario format
    sweep SCENARIO.yaml ...         run the scenario's sweep grid (see sim.cli.sweep)
    --version                       print the version
    fit ORDERS.csv [--out demand.yaml] [--start DATE]
                                    fit a demand section to a file of past orders
    optimize SCENARIO.yaml ...      the best plan of its optimize block (see sim.cli.optimize)

``run`` and ``validate`` also print what the checks of :mod:`sim.scenario.checks` find
(an overloaded staff pool, demand when nobody is on duty, ...): ``validate`` after
"ok" (the exit status stays 0), ``run`` before it starts and under its table.

Exit status: 0 success, 2 bad input (a scenario, a flag, a file, a run estimated at
more than an hour without ``--force``), 130 interrupted (Ctrl-C: nothing half-written is
left), 1 anything else. Nothing a user can get wrong ends in a traceback; set
``SIM_DEBUG=1`` to see one for an unexpected error.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from sim.cli.status import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, cannot_write

__all__ = ["main"]

VERBS = ("run", "validate", "schema", "sweep", "fit", "optimize")


class BadInput(Exception):
    """A command-line value that cannot be used (exit status 2)."""


class Stopped(Exception):
    """A failure whose one-line message says all there is to say (no traceback hint)."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


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


def _prog() -> str:
    """The command as the user typed it: ``sim`` (the console script) or ``run_sim.py``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if name in ("", "-c", "__main__.py"):
        return "python -m sim" if name == "__main__.py" else "run_sim.py"
    return name


def _version() -> str:
    from sim import __version__

    return f"opsim {__version__}"


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
    prog = _prog()
    parser = _Parser(
        prog=prog,
        description="Simulate business operations described in YAML scenario files.",
        epilog=f"run is the default verb: '{prog} shop.yaml' runs shop.yaml.",
    )
    parser.add_argument("--version", action="version", version=_version(),
                        help="print the version and exit")
    verbs = parser.add_subparsers(dest="verb", metavar="{run,validate,schema,sweep,fit,optimize}")

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
    run.add_argument("--variants", metavar="A,B",
                     help="run the base and only these variants (comma-separated; "
                     "'' for the base alone)")
    run.add_argument("--workers", type=_count(1), metavar="N",
                     help="worker processes (default: every core; 1 runs in this process)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress bar, no table and no notes; print only where the files "
                     "went (and any warnings)")
    _add_force(run)
    run.add_argument("--excel", action="store_true",
                     help="also write results.xlsx (sheets summary, comparison, replications, "
                     "run)")

    validate = verbs.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files (YAML)")
    _add_set(validate)

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
    sweep.add_argument("--seed", type=_count(0), metavar="N",
                       help="random seed (default: the file's run.seed)")
    sweep.add_argument("--horizon", type=_duration, metavar="DURATION",
                       help='simulated length, like "30d" (default: the file\'s run.horizon)')
    _add_set(sweep)
    _add_force(sweep)

    fit = verbs.add_parser("fit", help="fit a demand section to a file of past orders")
    fit.add_argument("file", metavar="ORDERS.csv", help="past orders: time, order, sku, "
                     "quantity (and channel)")  # fmt: skip
    fit.add_argument("--out", metavar="FILE", default="demand.yaml",
                     help="the YAML to write (default: demand.yaml); fit.png goes beside it")
    fit.add_argument("--start", type=_date, metavar="DATE",
                     help="the date the simulation will start, like 2026-01-05 (default: the "
                     "first date of the orders)")  # fmt: skip

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
    _add_force(optimize)
    return parser


def _date(text: str) -> Any:
    from sim.scenario.units import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="run even when estimated at more than an hour of work")


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="set", help="change one value, like demand.arrivals.rate=600/day "
                        "(repeatable)")  # fmt: skip


def _with_default_verb(argv: list[str]) -> list[str]:
    """``run`` unless the first argument is a verb or asks for help."""
    if argv and argv[0] not in (*VERBS, "-h", "--help", "--version"):
        return ["run", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C before a verb started (reading the flags)
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
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
    commands = {
        "run": _run, "validate": _validate, "schema": _schema, "sweep": _sweep, "fit": _fit,
        "optimize": _optimize,
    }
    return _guarded(commands[args.verb], args)


def _guarded(command: Any, args: argparse.Namespace) -> int:
    """Run one verb, turning every error into a one-line message and an exit status."""
    from sim.errors import ScenarioError
    from sim.experiment.estimate import RunTooLong

    try:
        return int(command(args))
    except RunTooLong as exc:
        print(str(exc.advice("add --force to run it anyway")), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ScenarioError, BadInput) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Stopped as exc:
        print(str(exc), file=sys.stderr)
        return exc.status
    except KeyboardInterrupt as exc:  # Ctrl-C: say what was kept (a verb may word it)
        print(f"interrupted: {str(exc) or 'nothing was written'}", file=sys.stderr)
        return EXIT_INTERRUPTED
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

    from sim.errors import SimulationError
    from sim.experiment.executors import WorkerDied
    from sim.experiment.runner import plan, run
    from sim.output.format import folder_name
    from sim.output.report import EXCEL_FILE, FILES, WARMUP_FILE, format_table
    from sim.scenario.checks import check_all

    scenarios = _load_all(args.files, args.set)
    if args.variants is not None:
        scenarios = _only_variants(scenarios, args.variants)
    out = args.out or os.path.join("results", folder_name(scenarios[0].name))
    if os.path.exists(out) and not os.path.isdir(out):
        raise BadInput(f"--out: {out} exists and is not a folder")
    members, _ = plan(scenarios, replications=args.replications, seed=args.seed,
                      horizon=args.horizon, precision=args.precision)
    found = check_all(members)
    _print_findings([f for f in found if f.level == "warning" or not args.quiet], sys.stderr)
    earlier = _earlier_results(out)
    if earlier is not None:
        when = f" (run {earlier['started']})" if earlier.get("started") else ""
        print(f"{out}{os.sep} holds earlier results{when}: this run replaces them when it "
              "finishes", file=sys.stderr)  # fmt: skip
    try:
        results = run(
            scenarios,
            replications=args.replications,
            precision=args.precision,
            seed=args.seed,
            horizon=args.horizon,
            workers=args.workers,
            progress=False if args.quiet else None,
            force=args.force,
        )
        results.record.argv = list(sys.argv)
        results.record.overrides = list(args.set)
        if earlier is not None:
            results.record.details["replaced"] = {"folder": out, **earlier}
        if not args.quiet:
            print(format_table(results))
            print()
        folder = results.save(out, excel=args.excel)
    except KeyboardInterrupt as exc:
        if str(exc):  # Ctrl-C came while the files were moved in: they were
            raise
        kept = f" ({out}{os.sep} is as it was)" if earlier is not None else ""
        raise KeyboardInterrupt(f"nothing was written{kept}") from None
    except OSError as exc:  # a full disk, a read-only folder: save() left nothing behind
        kept = f" ({out}{os.sep} is as it was)" if earlier is not None else ""
        raise Stopped(*cannot_write(out, exc, f"nothing was written{kept}")) from None
    except SimulationError as exc:
        if isinstance(exc.__cause__, WorkerDied):  # the message is all there is to know
            raise Stopped(f"error: {exc}; nothing was written") from None
        raise
    written = [*FILES, WARMUP_FILE] if results.warmup_choice is not None else list(FILES)
    written += [EXCEL_FILE] if args.excel else []
    print(f"Results written to {folder}{os.sep}: {', '.join(written)}")
    return EXIT_OK


def _earlier_results(out: str) -> dict[str, Any] | None:
    """What ``out`` holds of an earlier run (its ``run.json``'s start and command), or None."""
    from sim.output.report import FILES

    if not any(os.path.isfile(os.path.join(out, name)) for name in FILES):
        return None
    try:
        with open(os.path.join(out, "run.json"), encoding="utf-8") as handle:
            earlier = json.load(handle)
    except (OSError, ValueError):
        return {"started": None, "argv": None}
    if not isinstance(earlier, dict):
        return {"started": None, "argv": None}
    return {"started": earlier.get("started"), "argv": earlier.get("argv")}


def _validate(args: argparse.Namespace) -> int:
    from sim.data.store import prepare
    from sim.errors import ScenarioError
    from sim.scenario.checks import check
    from sim.scenario.loader import load

    status = EXIT_OK
    for file in args.files:
        try:
            scenario = load(file, overrides=args.set)
            prepare(scenario.variant_scenarios())  # its orders files, read and checked
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"{file}: ok")
            _print_findings(check(scenario), sys.stdout)
    return status


def _print_findings(findings: Sequence[Any], stream: Any) -> None:
    """Print what the checks found, one line each, level first."""
    for finding in findings:
        print(finding.labelled(), file=stream)


def _only_variants(scenarios: Sequence[Any], text: str) -> list[Any]:
    """Each scenario with only the variants named in ``--variants`` (``""``: none), in file
    order."""
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    known = list(dict.fromkeys(name for s in scenarios for name in s.variants))
    for name in wanted:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            listed = ", ".join(known) if known else "the file has none"
            raise BadInput(f'--variants: no variant "{name}"{hint}; known: {listed}')
    return [
        s.with_changes({"variants": {n: dict(c) for n, c in s.variants.items() if n in wanted}})
        for s in scenarios
    ]


def _schema(args: argparse.Namespace) -> int:
    from sim.scenario.schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return EXIT_OK


def _fit(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only; before pyplot is imported anywhere

    from sim.experiment.fit import fit
    from sim.output.fit import format_fit_report, write_fit

    if os.path.isdir(args.out):
        raise BadInput(f"--out: {args.out} is a folder; give the YAML file to write")
    fitted = fit(args.file, start=args.start)
    print(format_fit_report(fitted))
    yaml_file, figure = write_fit(fitted, args.out)
    print(f"\nWrote {yaml_file} and {figure}")
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from sim.cli.sweep import main as sweep_main

    if args.scheduler and importlib.util.find_spec("distributed") is None:
        raise BadInput(
            "--scheduler needs Dask's distributed package, which is not installed: "
            'pip install "opsim[dask]" (or python3 bootstrap.py dask)'
        )
    return sweep_main(args)


def _optimize(args: argparse.Namespace) -> int:
    from sim.cli.optimize import main as optimize_main

    return optimize_main(args)
