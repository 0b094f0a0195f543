"""Models as Omni's models API shows them: the list's records, filters, sorting and
pages, and a model's topics with their views and fields."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.assistant.semantic_model import SemanticModel, View
from parley.http.errors import BadRequest
from parley.kit.cursors import CursorCodec, InvalidCursor
from parley.kit.json import JsonObject
from parley.kit.timestamps import to_wire
from parley.models.records import Model

ModelKind = Literal["BRANCH", "QUERY", "SCHEMA", "SHARED", "SHARED_EXTENSION", "WORKBOOK"]
SortField = Literal["baseModelId", "connectionId", "createdAt", "modelKind", "name", "updatedAt"]
# Every Parley model is queried by everyone in its organization, as Omni's shared
# models are; Parley has no branches, workbook or schema models.
KIND: ModelKind = "SHARED"
_CONNECTIONS = uuid.UUID("5a1f0c52-8d6e-4c0e-9a55-6f1bd0c3e7a4")


class ModelsQuery(BaseModel):
    """The model list's query string, with the filters Omni's SDK sends."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    pageSize: int = Field(50, ge=1, le=100, description="1 to 100.")
    cursor: str | None = Field(None, max_length=1024, description="`pageInfo.nextCursor`.")
    modelId: uuid.UUID | None = Field(None, description="Only this model.")
    name: str | None = Field(None, max_length=200, description="Only models with this name.")
    modelKind: ModelKind | None = Field(None, description="Parley's models are all SHARED.")
    baseModelId: uuid.UUID | None = Field(None, description="No Parley model has a base model.")
    connectionId: uuid.UUID | None = Field(None, description="Only models on this warehouse.")
    includeDeleted: bool = Field(False, description="Parley deletes models outright.")
    include: str | None = Field(
        None, max_length=200, description="`activeBranches` adds `branches` (always empty)."
    )
    sortField: SortField = Field("createdAt", description="What the list is ordered by.")
    sortDirection: Literal["asc", "desc"] = Field("desc", description="Newest first by default.")


def connection_id(org_id: uuid.UUID, connection_url: str) -> str:
    """A stable id for the warehouse of a model registered with a URL of its own rather
    than a stored connection: models on the same URL share it, and it reveals nothing of
    the URL (which may hold a password)."""
    digest = hashlib.sha256(f"{org_id}:{connection_url}".encode()).hexdigest()
    return str(uuid.uuid5(_CONNECTIONS, digest))


def record(row: Model, *, branches: bool) -> JsonObject:
    """A model in the wire shape of the models list."""
    definition = row.definition if isinstance(row.definition, dict) else {}
    created = to_wire(row.created_at)
    out: dict[str, Any] = {
        "id": str(row.id),
        "name": row.name,
        "modelKind": KIND,
        "baseModelId": None,
        # A model on one of the organization's connections carries that connection's id;
        # one with a URL of its own, a stable id derived from the URL.
        "connectionId": str(row.connection_id)
        if row.connection_id is not None
        else connection_id(row.organization_id, row.connection_url or ""),
        "createdAt": created,
        # A registered model is never edited in place, so it was last updated when made.
        "updatedAt": created,
        "deletedAt": None,
        "topics": list(definition.get("topics") or {}),
    }
    if branches:
        out["branches"] = []
    return out


def _matches(item: dict[str, Any], query: ModelsQuery) -> bool:
    return (
        (query.modelId is None or item["id"] == str(query.modelId))
        and (query.name is None or item["name"] == query.name)
        and (query.modelKind is None or item["modelKind"] == query.modelKind)
        and (query.baseModelId is None or item["baseModelId"] == str(query.baseModelId))
        and (query.connectionId is None or item["connectionId"] == str(query.connectionId))
    )


def page(
    rows: list[Model], org_id: uuid.UUID, query: ModelsQuery, codec: CursorCodec
) -> dict[str, Any]:
    """One page of the organization's models. An organization has few models, so the
    filters and sorting run here on all of them and the cursor holds an offset, bound to
    the filters and order that produced it."""
    branches = "activeBranches" in (query.include or "").split(",")
    items = [r for r in (record(row, branches=branches) for row in rows) if _matches(r, query)]
    key = query.sortField
    items.sort(key=lambda item: ((item[key] or ""), item["id"]))
    if query.sortDirection == "desc":
        items.reverse()
    scope = (
        "models:"
        + hashlib.sha256(
            query.model_dump_json(exclude={"cursor", "pageSize"}).encode() + org_id.bytes
        ).hexdigest()[:24]
    )
    start = 0
    if query.cursor:
        try:
            (offset,) = codec.decode(query.cursor, scope)
            start = int(offset)
        except (InvalidCursor, ValueError) as exc:
            raise BadRequest(f"Invalid cursor: {exc}") from exc
    end = start + query.pageSize
    has_next = end < len(items)
    return {
        "pageInfo": {
            "hasNextPage": has_next,
            "nextCursor": codec.encode(scope, [str(end)]) if has_next else None,
            "pageSize": query.pageSize,
            "totalRecords": len(items),
        },
        "records": items[start:end],
    }


def _label(name: str, label: str | None) -> str:
    return label or name.replace("_", " ")


def _view(name: str, view: View) -> dict[str, Any]:
    def fields(kind: str) -> list[dict[str, Any]]:
        found = view.dimensions if kind == "dimension" else view.measures
        return [
            {
                "field_name": f"{name}.{field}",
                "name": field,
                "view_name": name,
                "label": _label(field, spec.label),
                "description": spec.description or None,
                "type": spec.type,
            }
            for field, spec in found.items()
        ]

    return {
        "name": name,
        "label": _label(name, view.label),
        "description": view.description or None,
        "dimensions": fields("dimension"),
        "measures": fields("measure"),
    }


def topic_summary(model: SemanticModel, name: str) -> dict[str, Any]:
    topic = model.topics[name]
    out: dict[str, Any] = {
        "name": name,
        "base_view_name": topic.base_view,
        "label": _label(name, topic.label),
        "hidden": False,
    }
    if topic.description:
        out["description"] = topic.description
    return out


def topic_detail(model: SemanticModel, name: str) -> dict[str, Any]:
    topic = model.topics[name]
    views = model.topic_views(name)
    return {
        **topic_summary(model, name),
        "views": [_view(view, model.views[view]) for view in views],
        "relationships": [
            {
                "join_from_view": join.foreign_key.split(".", 1)[0],
                "join_to_view": view,
                "relationship_type": join.relationship,
                "on_sql": f"${{{join.foreign_key}}} = ${{{join.primary_key}}}",
            }
            for view, join in topic.joins.items()
        ],
    }


def sample_actions(model: SemanticModel) -> list[dict[str, Any]]:
    """Sample prompts for a model: per topic, each of its base view's
    first measures alone and by the topic's first groupable text dimension. Parley's
    models declare no sample queries or skills, so these are made from the fields; the
    built-in planner answers every one of them."""
    out: list[dict[str, Any]] = []
    for name in model.topics:
        views = model.topic_views(name)
        base = model.views[views[0]]
        group = next(
            (
                model.field(f"{view}.{dim}")
                for view in views
                for dim, spec in model.views[view].dimensions.items()
                if spec.type == "string" and spec.index_values and not spec.primary_key
            ),
            None,
        )
        for measure in list(base.measures)[:2]:
            label = model.field(f"{views[0]}.{measure}").label
            prompts = [label[:1].upper() + label[1:]]
            if group is not None:
                prompts.append(f"{prompts[0]} by {group.label.lower()}")
            out.extend({"kind": "sample", "label": p, "prompt": p} for p in prompts)
    return out
