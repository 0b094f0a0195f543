"""A query string validated by one pydantic model.

FastAPI validates each declared query parameter on its own, with per-request work that
cost the conversation list about 40 microseconds, more than its database reads
(docs/decisions/0008-direct-reads.md). A route on a hot path can validate the whole
query string with one model instead, and publish the same model's fields as its OpenAPI
parameters, so the document and the checks cannot drift apart.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def parse_query(model: type[Model], request: Request) -> Model:
    """The query string as ``model``; a repeated parameter counts with its last value, as
    in FastAPI. Invalid values raise the same error FastAPI would (a 400 here)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """``model``'s fields as OpenAPI query parameters (for a route's ``openapi_extra``)."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field,
        }
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters
