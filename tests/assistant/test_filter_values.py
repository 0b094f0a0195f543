"""Filter values are checked against the warehouse before a query runs, whichever planner
(or client) wrote the query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.assistant.filter_values import check_filter_values
from parley.assistant.planner import BuiltinPlanner
from parley.assistant.query import SemanticQuery
from tests.assistant import own_data


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
