"""Output: the only code that draws figures, prints tables or writes result files.

:mod:`~sim.output.report` formats tables and writes a run's files,
:mod:`~sim.output.plots` draws a run's figures and :mod:`~sim.output.sweep_plots` a
sweep's. matplotlib is imported here and nowhere below.
"""
