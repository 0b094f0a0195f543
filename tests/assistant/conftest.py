from __future__ import annotations

import pytest

from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.value_index import ValueIndex


@pytest.fixture(scope="session")
def planner(model: SemanticModel, duck: DuckDBWarehouse) -> BuiltinPlanner:
    return BuiltinPlanner(model, ValueIndex.build(model, duck))
