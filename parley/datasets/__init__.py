"""Synthetic warehouses with their semantic models: the demo shop and worked examples of
other domains (`parley demo-data --dataset NAME`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from parley.datasets.logistics import build_logistics_warehouse
from parley.datasets.saas import build_saas_warehouse
from parley.datasets.tables import Progress
from parley.demo.model import MODEL_PATH as DEMO_MODEL_PATH
from parley.demo.warehouse import build_demo_warehouse

Builder = Callable[[Path, date, int, Progress | None], None]
_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str  # the registered model's default name
    build: Builder
    model_path: Path

    def warehouse_file(self) -> str:
        return f"{self.name}.duckdb"


DATASETS: dict[str, Dataset] = {
    "demo": Dataset("demo", "Demo e-commerce", build_demo_warehouse, DEMO_MODEL_PATH),
    "saas": Dataset("saas", "SaaS subscriptions", build_saas_warehouse, _HERE / "saas.yaml"),
    "logistics": Dataset(
        "logistics", "Logistics operations", build_logistics_warehouse, _HERE / "logistics.yaml"
    ),
}


def dataset(name: str) -> Dataset:
    """The dataset called `name` (ValueError listing the known ones otherwise)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r} (expected one of {', '.join(DATASETS)})"
        ) from None
