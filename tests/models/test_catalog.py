"""The models list as Omni's API shows it, tested on the catalog directly: records,
filters, sorting, pages whose cursors are bound to the query that made them, and a
model's topics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.assistant.semantic_model import SemanticModel
from parley.http.errors import BadRequest
from parley.kit.cursors import CursorCodec
from parley.models import catalog
from parley.models.catalog import ModelsQuery
from parley.models.records import Model

ORG = uuid.UUID("00000000-0000-4000-8000-000000000001")
START = datetime(2026, 1, 1, tzinfo=UTC)
codec = CursorCodec(b"c" * 32)


def stored_model(
    name: str,
    created_at: datetime,
    connection_url: str | None = "duckdb:///warehouse.duckdb",
    connection_id: uuid.UUID | None = None,
) -> Model:
    """A stored model as the repository returns it."""
    return Model(
        id=uuid.uuid4(),
        organization_id=ORG,
        name=name,
        connection_url=connection_url,
        connection_id=connection_id,
        definition={"topics": {"orders": {}}},
        created_at=created_at,
    )


def rows(count: int) -> list[Model]:
    # Names run against creation order, so the two sorts differ.
    return [
        stored_model(name=f"model {count - n:02}", created_at=START + timedelta(hours=n))
        for n in range(count)
    ]


def query(**params: Any) -> ModelsQuery:
    return ModelsQuery.model_validate(params)


def all_pages(stored: list[Model], **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    totals = set()
    cursor = None
    while True:
        body = catalog.page(stored, ORG, query(cursor=cursor, **params), codec)
        seen.extend(body["records"])
        totals.add(body["pageInfo"]["totalRecords"])
        cursor = body["pageInfo"]["nextCursor"]
        assert body["pageInfo"]["hasNextPage"] == (cursor is not None)
        if cursor is None:
            assert totals == {len(seen)}  # every page counts the filtered list
            return seen


def test_pages_visit_every_model_once_newest_first_by_default() -> None:
    stored = rows(7)
    seen = all_pages(stored, pageSize=3)
    assert [r["id"] for r in seen] == [str(r.id) for r in reversed(stored)]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorted_by_name_either_way(direction: str) -> None:
    stored = rows(5)
    names = [r["name"] for r in all_pages(stored, sortField="name", sortDirection=direction)]
    assert names == sorted(names, reverse=direction == "desc")


def test_equal_sort_keys_fall_back_to_the_id() -> None:
    twins = [stored_model(name="same", created_at=START) for _ in range(4)]
    ids = [r["id"] for r in all_pages(twins, sortField="name", sortDirection="asc", pageSize=1)]
    assert ids == sorted(str(t.id) for t in twins)


def test_filters() -> None:
    on_connection = uuid.uuid4()
    stored = [
        *rows(3),
        stored_model(
            name="shared", created_at=START, connection_url=None, connection_id=on_connection
        ),
    ]
    assert [r["name"] for r in all_pages(stored, name="model 02")] == ["model 02"]
    assert [r["name"] for r in all_pages(stored, connectionId=str(on_connection))] == ["shared"]
    assert [r["id"] for r in all_pages(stored, modelId=str(stored[0].id))] == [str(stored[0].id)]
    assert all_pages(stored, modelKind="WORKBOOK") == []
    assert all_pages(stored, baseModelId=str(uuid.uuid4())) == []
    assert len(all_pages(stored, modelKind="SHARED")) == 4


def test_a_cursor_only_continues_the_query_that_made_it() -> None:
    stored = rows(5)
    first = catalog.page(stored, ORG, query(pageSize=2), codec)
    cursor = first["pageInfo"]["nextCursor"]
    with pytest.raises(BadRequest, match="Invalid cursor"):
        catalog.page(stored, ORG, query(pageSize=2, cursor=cursor, sortField="name"), codec)
    with pytest.raises(BadRequest, match="Invalid cursor"):
        catalog.page(stored, uuid.uuid4(), query(pageSize=2, cursor=cursor), codec)
    with pytest.raises(BadRequest, match="Invalid cursor"):
        catalog.page(stored, ORG, query(pageSize=2, cursor=cursor[:-2] + "AA"), codec)
    # The page size is not part of the binding: a client may ask for more at once.
    rest = catalog.page(stored, ORG, query(pageSize=10, cursor=cursor), codec)
    assert len(rest["records"]) == 3


def test_a_record_in_omnis_shape() -> None:
    stored = stored_model(
        name="Demo", created_at=datetime(2026, 5, 15, 14, 32, 10, 123456, tzinfo=UTC)
    )
    plain = catalog.record(stored, branches=False)
    assert plain == {
        "id": str(stored.id),
        "name": "Demo",
        "modelKind": "SHARED",
        "baseModelId": None,
        "connectionId": catalog.connection_id(ORG, "duckdb:///warehouse.duckdb"),
        "createdAt": "2026-05-15T14:32:10.123Z",
        "updatedAt": "2026-05-15T14:32:10.123Z",
        "deletedAt": None,
        "topics": ["orders"],
    }
    assert catalog.record(stored, branches=True)["branches"] == []
    body = catalog.page([stored], ORG, query(include="activeBranches"), codec)
    assert body["records"][0]["branches"] == []


def test_a_url_of_its_own_gets_a_stable_id_that_hides_the_url() -> None:
    url = "postgresql://reader:hunter2@127.0.0.1/shop"
    same = catalog.connection_id(ORG, url)
    assert same == catalog.connection_id(ORG, url)
    assert same != catalog.connection_id(uuid.uuid4(), url)
    assert same != catalog.connection_id(ORG, url + "2")
    assert "hunter2" not in same and uuid.UUID(same)


def test_topics_of_the_demo_model(model: SemanticModel) -> None:
    name = next(iter(model.topics))
    summary = catalog.topic_summary(model, name)
    assert summary["name"] == name and summary["hidden"] is False
    detail = catalog.topic_detail(model, name)
    views = {view["name"] for view in detail["views"]}
    assert set(model.topic_views(name)) == views
    for join in detail["relationships"]:
        assert {join["join_from_view"], join["join_to_view"]} <= views
    fields = [f for view in detail["views"] for f in view["dimensions"] + view["measures"]]
    assert fields and all(f["field_name"] == f"{f['view_name']}.{f['name']}" for f in fields)
    actions = catalog.sample_actions(model)
    assert actions and all(a["prompt"] and a["kind"] == "sample" for a in actions)
