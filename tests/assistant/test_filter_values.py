"""Filter values are checked against the warehouse before a query runs, whichever planner
(or client) wrote the query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fake_llm import FakeLLM, ToolCall
from parley.assistant import service
from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.filter_values import check_filter_values
from parley.assistant.planner import BuiltinPlanner
from parley.assistant.query import SemanticQuery
from parley.assistant.runtime import ModelRuntime
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.value_index import ValueIndex
from parley.config import Settings
from parley.llm.planner import LLMPlanner
from tests.assistant import own_data
from tests.support.warehouses import NOW


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltinPlanner]:
    path: Path = tmp_path_factory.mktemp("values") / "own.duckdb"
    own_data.build(path)
    planner, warehouse = own_data.planner(path)
    yield planner
    warehouse.close()


def query(table: str, field: str, condition: object) -> SemanticQuery:
    return SemanticQuery.model_validate(
        {"table": table, "fields": [f"{table}.{field}"], "filters": {f"{table}.{field}": condition}}
    )


def test_stored_values_pass(own: BuiltinPlanner) -> None:
    for condition in ("Globex Corporation", ["Initech Ltd"], {"not": "Initech Ltd"}):
        checked = check_filter_values(query("suppliers", "name", condition), own.model, own.values)
        assert checked is None
    # A large dimension is asked of the warehouse.
    assert (
        check_filter_values(query("orders", "customer", "Customer 007"), own.model, own.values)
        is None
    )


def test_an_invented_value_is_refused_with_the_closest(own: BuiltinPlanner) -> None:
    refusal = check_filter_values(query("suppliers", "name", ["Acme"]), own.model, own.values)
    assert refusal is not None and refusal.reason == "not_understood"
    assert refusal.unclear[0].text == "Acme"
    assert refusal.unclear[0].candidates[0] == "Acme Industries Inc. (supplier)"


def test_an_invented_value_of_a_large_dimension_is_refused(own: BuiltinPlanner) -> None:
    refusal = check_filter_values(query("orders", "customer", "Zephyr"), own.model, own.values)
    assert refusal is not None
    assert refusal.unclear[0].candidates == ("Zephyr Holdings Ltd (customer)",)


def test_comparisons_and_other_types_are_not_checked(own: BuiltinPlanner) -> None:
    assert (
        check_filter_values(query("suppliers", "name", {"contains": "zzz"}), own.model, own.values)
        is None
    )
    assert check_filter_values(query("staff", "fiscal_year", 1999), own.model, own.values) is None


def test_an_llm_query_naming_a_missing_value_is_refused_before_it_runs(
    model: SemanticModel, planner: BuiltinPlanner, duck: DuckDBWarehouse, fake_llm: FakeLLM
) -> None:
    settings = Settings(
        _env_file=None,
        llm_base_url=fake_llm.base_url,
        llm_model="test-model",
        llm_api_key="sk-test",
        llm_timeout=10,
    )
    subject = LLMPlanner(model, settings, values=planner.values)
    runtime = ModelRuntime(model, duck, subject, planner)
    fake_llm.replies(
        ToolCall(
            "semantic_query",
            {
                "table": "order_items",
                "fields": ["order_items.revenue"],
                "filters": {"users.region": "Europa"},
            },
        )
    )
    answer = service.answer(runtime, "Revenue in Europa", now=NOW)
    assert answer.result is None and answer.error is not None
    assert answer.error["message"] == "I could not find 'Europa'. Did you mean Europe (region)?"
    fake_llm.replies(
        ToolCall(
            "semantic_query",
            {
                "table": "order_items",
                "fields": ["order_items.revenue"],
                "filters": {"users.region": "Europe"},
            },
        )
    )
    answer = service.answer(runtime, "Revenue in Europe", now=NOW)
    assert answer.result is not None and answer.reading == "Revenue for region Europe."


def test_a_warehouse_that_cannot_answer_refuses_nothing(model: SemanticModel) -> None:
    asked: list[str] = []

    def down(field: str, condition: object, limit: int) -> list[str] | None:
        asked.append(field)
        return None

    values = ValueIndex(model, {"users.region": ["Europe"]}, search=down)
    unknown = query("users", "region", "Atlantis")
    # The index does not hold it and the warehouse could not say: not a refusal.
    assert check_filter_values(unknown, model, values) is None
    # A failed look-up is not remembered as "no such value": the next one asks again.
    check_filter_values(unknown, model, values)
    assert asked == ["users.region", "users.region"]


def test_a_value_added_after_the_index_was_read_is_found_in_the_warehouse(
    model: SemanticModel,
) -> None:
    def warehouse(field: str, condition: object, limit: int) -> list[str] | None:
        return ["Antarctica"] if condition == "Antarctica" else []

    values = ValueIndex(model, {"users.region": ["Europe"]}, search=warehouse)
    assert check_filter_values(query("users", "region", "Antarctica"), model, values) is None
    refusal = check_filter_values(query("users", "region", "Atlantis"), model, values)
    assert refusal is not None and refusal.unclear[0].text == "Atlantis"
