"""The published contract: /openapi.json documents the list with its error responses."""

from __future__ import annotations

import httpx


async def test_openapi_documents_the_list_and_its_errors(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/v1/ai/conversations"]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
    error_ref = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.endswith("/ErrorBody")
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"pageSize", "cursor", "userId", "q"}
    assert params["pageSize"]["schema"]["minimum"] == 1
    assert params["pageSize"]["schema"]["maximum"] == 100
    assert params["pageSize"]["schema"]["default"] == 50
    assert params["userId"]["schema"]["anyOf"][0]["format"] == "uuid"
    listing = schema["components"]["schemas"]["ConversationList"]
    assert set(listing["properties"]) == {"data", "records", "pageInfo"}
    # No route anywhere advertises FastAPI's 422.
    for path in schema["paths"].values():
        for op in path.values():
            assert "422" not in op["responses"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    # Every API route says it takes the bearer token, including the list, which
    # authenticates without the shared dependency.
    for route, methods in schema["paths"].items():
        if route.startswith("/api/v1/"):
            for op in methods.values():
                assert op.get("security") == [{"HTTPBearer": []}], route


async def test_docs_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "openapi.json" in response.text
