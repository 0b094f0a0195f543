"""Charts of a query result: a Vega-Lite spec chosen from the columns, rendered to PNG."""

from parley.charts.render import render_png
from parley.charts.spec import NothingToChart, chart_spec

__all__ = ["NothingToChart", "chart_spec", "render_png"]
