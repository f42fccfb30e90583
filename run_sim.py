"""Command-line entry point: ``python run_sim.py SCENARIO.yaml`` (see ``sim.cli.app``)."""
from sim.cli import main

if __name__ == "__main__":  # worker processes re-import this file: they must not run main()
    raise SystemExit(main())
