"""Real rendering with vl-convert: valid PNGs of a sensible size that show the data."""

from __future__ import annotations

from typing import Any

import pytest

from parley.charts import NothingToChart, render_png
from parley.charts.spec import HEIGHT, WIDTH
from tests.charts.png import decode

STATUSES: list[list[Any]] = [
    ["Complete", 20020],
    ["Shipped", 9869],
    ["Cancelled", 7588],
    ["Processing", 7500],
    ["Returned", 5023],
]
BAR_BLUE = (0x2F, 0x5D, 0x9E)


def _is(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 2 for a, b in zip(pixel[:3], colour, strict=True))


def test_a_bar_chart_renders_as_a_png_with_its_bars_drawn() -> None:
    image = decode(render_png(["order_items.status", "order_items.order_count"], STATUSES, None))
    # Twice the plot size (scale 2) plus axes and title, but not wildly more.
    assert 2 * WIDTH <= image.width <= 2 * WIDTH + 400
    assert 2 * HEIGHT <= image.height <= 2 * HEIGHT + 300
    assert _is(image.pixel(0, 0), (255, 255, 255))  # an opaque white background
    blue = sum(
        _is(image.pixel(x, y), BAR_BLUE)
        for y in range(0, image.height, 4)
        for x in range(0, image.width, 4)
    )
    # Five bars over most of the plot's height: a good share of the picture is bar.
    assert blue > (image.width // 4) * (image.height // 4) // 10


def test_a_line_chart_over_months_renders() -> None:
    rows: list[list[Any]] = [[f"2025-{m:02d}-01T00:00:00", 1000.0 + m * m] for m in range(1, 13)]
    png = render_png(["order_items.created_at[month]", "order_items.revenue"], rows, None)
    image = decode(png)
    assert image.width >= 2 * WIDTH and image.height >= 2 * HEIGHT
    assert len(png) < 200_000


def test_a_single_number_is_refused_before_any_rendering() -> None:
    with pytest.raises(NothingToChart):
        render_png(["order_items.revenue"], [[9483331.78]], {"fields": ["order_items.revenue"]})


def test_a_spec_never_fetches_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    import vl_convert

    from parley.charts import render

    seen: dict[str, Any] = {}

    def spy(spec: dict[str, Any], **options: Any) -> bytes:
        seen.update(options)
        seen["data"] = spec["data"]
        return b""

    monkeypatch.setattr(vl_convert, "vegalite_to_png", spy)
    render.render_png(["order_items.status", "order_items.order_count"], STATUSES, None)
    assert seen["allowed_base_urls"] == []
    assert set(seen["data"]) == {"values"}
