"""Command-line entry point: ``python run_sim.py SCENARIO.yaml`` (see ``sim.cli``)."""
from sim.cli import main

raise SystemExit(main())
