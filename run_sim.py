"""Command-line entry point: ``python run_sim.py SCENARIO.yaml`` (see ``sim.cli.app``)."""

import sys

if __name__ == "__main__":
    try:
        from sim.cli import main
    except KeyboardInterrupt:  # Ctrl-C while Python was still starting: nothing was done
        print("interrupted: nothing was written", file=sys.stderr)
        raise SystemExit(130) from None
    raise SystemExit(main())
