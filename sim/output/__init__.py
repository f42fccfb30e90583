"""Output: the only code that draws figures, prints tables or writes result files.

:mod:`~sim.output.report` formats tables and writes a run's files,
:mod:`~sim.output.plots` draws a run's figures and :mod:`~sim.output.sweep_plots` a
sweep's. :mod:`~sim.output.html` renders ``report.html`` from its Jinja2 template (the
run's sections in :mod:`~sim.output.report`, a sweep's in
:mod:`~sim.output.sweep_report`), with the verdicts of :mod:`~sim.output.verdict`;
:mod:`~sim.output.excel` writes ``results.xlsx``. matplotlib is imported here and
nowhere below.
"""
