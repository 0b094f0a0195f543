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
    # No route anywhere advertises FastAPI's validation 422 (bad input is a 400); the
    # only 422s are those a route declares itself, in the error shape.
    for route, path in schema["paths"].items():
        for op in path.values():
            assert "HTTPValidationError" not in str(op["responses"].get("422", "")), route
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    submit = schema["paths"]["/api/v1/ai/jobs"]["post"]["responses"]["422"]
    assert submit["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
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


async def test_every_length_limit_is_published(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    submit = components["SubmitJobRequest"]["properties"]
    assert submit["prompt"]["maxLength"] == 10_000 and submit["prompt"]["minLength"] == 1
    assert submit["topicName"]["anyOf"][0]["maxLength"] == 256
    assert submit["webhookSigningSecret"]["anyOf"][0]["maxLength"] == 1000
    rename = components["RenameRequest"]["properties"]["name"]
    assert (rename["minLength"], rename["maxLength"]) == (1, 500)
    assert components["GenerateQueryRequest"]["properties"]["prompt"]["maxLength"] == 10_000
    headers = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/v1/ai/jobs"]["post"]["parameters"]
        if p["in"] == "header"
    }
    key = headers["Idempotency-Key"]["anyOf"][0]
    assert (key["minLength"], key["maxLength"]) == (1, 255)
    events = schema["paths"]["/api/v1/ai/jobs/{jobId}/events"]["get"]["parameters"]
    last = next(p for p in events if p["name"] == "Last-Event-ID")
    assert last["schema"]["anyOf"][0]["maxLength"] == 64
    # The body and header caps are in the description; routes with a body document 413.
    assert "1 MiB" in schema["info"]["description"] and "431" in schema["info"]["description"]
    for route, method in [
        ("/api/v1/ai/jobs", "post"),
        ("/api/v1/ai/conversations/{conversationId}", "patch"),
        ("/api/v1/ai/generate-query", "post"),
        ("/api/v1/ai/pick-topic", "post"),
    ]:
        assert "413" in schema["paths"][route][method]["responses"], route
