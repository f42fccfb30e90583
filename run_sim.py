"""Command-line entry point: ``python run_sim.py SCENARIO.yaml`` (see ``sim.cli.app``)."""

import sys

if __name__ == "__main__":
    try:
        from sim.cli import main

        status = main()  # handles Ctrl-C itself, from reading the flags on
    except KeyboardInterrupt:  # Ctrl-C while Python was still importing: nothing was done
        print("interrupted: nothing was written", file=sys.stderr)
        status = 130
    raise SystemExit(status)
