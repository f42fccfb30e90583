"""Fixtures shared by several test modules."""

import pytest


@pytest.fixture
def quick_figures(monkeypatch):
    """Replace the result figures by an empty one: for tests about files and flags."""
    import matplotlib.pyplot as plt

    def empty(_results):
        fig, _ax = plt.subplots(figsize=(1, 1))
        plt.close(fig)
        return fig

    figures = ("comparison_figure", "cost_breakdown_figure", "timeseries_figure", "warmup_figure")
    for name in figures:
        monkeypatch.setattr(f"sim.output.plots.{name}", empty)
