"""Render a chart spec to PNG with vl-convert, offline."""

from __future__ import annotations

from typing import Any

import vl_convert

from parley.charts.spec import chart_spec

# Twice the spec's size: sharp on high-density screens, still a few tens of kilobytes.
SCALE = 2.0


def render_png(columns: list[str], rows: list[list[Any]], query: dict[str, Any] | None) -> bytes:
    """A PNG chart of a query result; raises `NothingToChart` when there is none to draw."""
    spec = chart_spec(columns, rows, query)
    # No base URL is allowed: the spec carries its data inline, and a chart must never
    # make the server fetch anything.
    png: bytes = vl_convert.vegalite_to_png(spec, scale=SCALE, allowed_base_urls=[])
    return png
