"""What answering questions over one registered model needs, built once per process.

A runtime holds the parsed semantic model, an open warehouse and a planner (with the
value index of the warehouse's low-cardinality dimensions, which takes a few tens of
milliseconds to build). Runtimes are a cache: any replica rebuilds one from the
model's row, so nothing here has to be shared.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from parley.assistant.executor import (
    ChDBWarehouse,
    DuckDBWarehouse,
    SparkConnectWarehouse,
    SQLAlchemyWarehouse,
    Warehouse,
)
from parley.assistant.planner import BuiltinPlanner, Planner
from parley.assistant.semantic_model import SemanticModel, validate_model
from parley.assistant.value_index import ValueIndex
from parley.config import Settings
from parley.kit.secretbox import SecretBox
from parley.warehouses.kinds import kind_of_url

DUCKDB_PREFIX = "duckdb:///"


class PlannerKind(Protocol):
    """What builds a model's language-model planner (``parley.llm.planner.LLMPlanner``).
    It is handed in by the app and the worker command, which sit above ``parley.llm``:
    the engine does not import the gateway its planner calls."""

    def __call__(
        self, model: SemanticModel, settings: Settings, *, values: ValueIndex | None = None
    ) -> Planner: ...


def open_warehouse(connection_url: str) -> Warehouse:
    """``duckdb:///path/to/file.duckdb`` opens a DuckDB file read-only and
    ``chdb:///path/to/dir`` a chDB data directory, ``sc://host:port`` is Spark Connect;
    any other URL is handed to SQLAlchemy
    (a synchronous driver, e.g. ``postgresql://...`` through psycopg)."""
    if connection_url.startswith(DUCKDB_PREFIX):
        return DuckDBWarehouse(Path(connection_url[len(DUCKDB_PREFIX) :]))
    kind = kind_of_url(connection_url)
    if kind.name == "chdb":
        kind.require_driver()
        return ChDBWarehouse(Path(connection_url.partition("://")[2] or "."))
    if kind.name == "spark":
        kind.require_driver()
        return SparkConnectWarehouse(connection_url)
    return SQLAlchemyWarehouse(connection_url)


@dataclass
class ModelRuntime:
    model: SemanticModel
    warehouse: Warehouse
    planner: Planner
    builtin: BuiltinPlanner
    # Builds ``planner`` again for a wider model over the same values; None when
    # ``planner`` is the built-in one.
    widen: Callable[[SemanticModel], Planner] | None = None
    _all_views: ModelRuntime | None = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def all_views(self) -> ModelRuntime:
        """This runtime with every view of the model open to its planners
        (``queryAllViews``): the same warehouse and value index, planners over the model
        with a topic of its own for each view outside topics. Built on first use
        (blocking: call it from a worker thread) and kept."""
        with self._lock:
            if self._all_views is None:
                wide = self.model.with_all_views()
                if wide is self.model:
                    self._all_views = self
                else:
                    values = self.builtin.values
                    builtin = BuiltinPlanner(wide, values)
                    planner = builtin if self.widen is None else self.widen(wide)
                    self._all_views = ModelRuntime(
                        wide, self.warehouse, planner, builtin, self.widen
                    )
            return self._all_views


class Runtimes:
    def __init__(self, settings: Settings, llm_planner: PlannerKind | None) -> None:
        """``llm_planner`` plans when the settings name a language model; None keeps
        every model on the built-in planner."""
        self._settings = settings
        self._llm_planner = llm_planner
        self._cache: dict[uuid.UUID, ModelRuntime] = {}
        self._lock = threading.Lock()
        self._secrets: SecretBox | None = None

    @property
    def secrets(self) -> SecretBox:
        """What opens the stored credentials of connections (its key read on first use)."""
        if self._secrets is None:
            self._secrets = SecretBox.from_settings(self._settings)
        return self._secrets

    def cached(self, model_id: uuid.UUID) -> ModelRuntime | None:
        """The model's runtime if it is built, without waiting: safe from the event loop
        (``get`` may hold the lock for as long as a build takes)."""
        return self._cache.get(model_id)

    def get(
        self, model_id: uuid.UUID, definition: dict[str, Any], connection_url: str
    ) -> ModelRuntime:
        """The runtime of a model (blocking: call it from a worker thread)."""
        with self._lock:
            runtime = self._cache.get(model_id)
            if runtime is None:
                runtime = self._build(definition, connection_url)
                self._cache[model_id] = runtime
            return runtime

    def _build(self, definition: dict[str, Any], connection_url: str) -> ModelRuntime:
        model = validate_model(definition)
        warehouse = open_warehouse(connection_url)
        try:
            values = ValueIndex.build(model, warehouse, timeout=self._settings.query_timeout)
        except BaseException:
            # Nothing keeps this warehouse: close it, or every retry would leak one.
            warehouse.close()
            raise
        builtin = BuiltinPlanner(model, values)
        settings = self._settings
        kind = self._llm_planner
        if kind is None or not (settings.llm_base_url and settings.llm_model):
            return ModelRuntime(model, warehouse, builtin, builtin)

        def widen(wide: SemanticModel) -> Planner:
            return kind(wide, settings, values=values)

        return ModelRuntime(model, warehouse, widen(model), builtin, widen)

    def close(self) -> None:
        with self._lock:
            for runtime in self._cache.values():
                runtime.warehouse.close()
            self._cache.clear()
