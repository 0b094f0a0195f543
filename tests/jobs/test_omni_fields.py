"""Every request field Omni documents is accepted with its behaviour (or the nearest
one), unknown fields are ignored, and known fields of the wrong type stay 400s."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parley.jobs.attachments import MAX_FILE_BYTES
from tests.factories import Org, bearer
from tests.omni.shapes import DocsConversationDetail, SdkConversationDetail, check
from tests.support.jobs import JOBS, submit, wait_final

GENERATE = "/api/v1/ai/generate-query"
PICK = "/api/v1/ai/pick-topic"
CONVERSATIONS = "/api/v1/ai/conversations"

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.7\n" + b"x" * 40


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_attachments_are_kept_listed_and_named_in_the_answer(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    files = [
        {"data": encoded(PNG), "mimeType": "image/png", "name": "old-dashboard.png"},
        {"data": encoded(PDF), "mimeType": "application/pdf"},
    ]
    submitted = await submit(client, token, model_id, "Revenue by region", attachments=files)
    assert submitted.status_code == 201, submitted.text
    ids = submitted.json()
    job = await wait_final(client, token, ids["jobId"])
    assert job["state"] == "COMPLETE", job
    result = (await client.get(f"{JOBS}/{ids['jobId']}/result", headers=bearer(token))).json()
    # The built-in planner reads text only; the answer says which files it did not read.
    assert "old-dashboard.png (image/png)" in result["message"]
    assert "unnamed (application/pdf)" in result["message"]
    thread = (
        await client.get(f"{CONVERSATIONS}/{ids['conversationId']}", headers=bearer(token))
    ).json()
    check(DocsConversationDetail, thread)
    check(SdkConversationDetail, thread)
    prompt, answer = thread["messages"]
    assert prompt["attachments"] == [
        {"name": "old-dashboard.png", "mimeType": "image/png", "sizeBytes": len(PNG)},
        {"name": None, "mimeType": "application/pdf", "sizeBytes": len(PDF)},
    ]
    assert "attachments" not in answer


@pytest.mark.parametrize("workers", [0])
async def test_bad_attachments_are_400_and_store_nothing(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    png = {"data": encoded(PNG), "mimeType": "image/png"}
    for bad in (
        [png] * 6,
        [{**png, "mimeType": "text/plain"}],
        [{**png, "mimeType": "image/svg+xml"}],
        [{**png, "data": "not base64!"}],
        [{**png, "mimeType": "application/pdf"}],
        [{**png, "data": encoded(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_FILE_BYTES)}],
        [{"mimeType": "image/png"}],
        [{**png, "data": 5}],
        "one file",
    ):
        response = await submit(client, token, model_id, "Revenue by region", attachments=bad)
        assert response.status_code == 400, (response.text, str(bad)[:80])
        assert set(response.json()) == {"detail", "status"}
    listed = (await client.get(CONVERSATIONS, headers=bearer(token))).json()
    assert listed["pageInfo"]["totalRecords"] == 0


@pytest.mark.parametrize("workers", [0])
async def test_unknown_fields_are_ignored_known_ones_checked(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    accepted = await submit(client, token, model_id, "Revenue by region", colour="blue")
    assert accepted.status_code == 201, accepted.text
    for bad in ({"branchId": "main"}, {"progressWebhookEnabled": "sometimes"}):
        response = await submit(client, token, model_id, "Revenue by region", **bad)
        assert response.status_code == 400, bad
    body: dict[str, Any] = {"modelId": model_id, "prompt": "Revenue by region", "runQuery": False}
    ok = await client.post(GENERATE, json={**body, "newOmniField": 1}, headers=bearer(token))
    assert ok.status_code == 200, ok.text
    wrong: list[dict[str, Any]] = [{"queryAllViews": "all"}, {"workbookUrl": [1]}, {"branchId": 7}]
    for bad in wrong:
        response = await client.post(GENERATE, json={**body, **bad}, headers=bearer(token))
        assert response.status_code == 400, bad
    picked = await client.post(
        PICK, json={"modelId": model_id, "prompt": "revenue", "x": 1}, headers=bearer(token)
    )
    assert picked.status_code == 200


@pytest.mark.parametrize("workers", [0])
async def test_a_branch_id_is_not_a_branch_of_the_model(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    branch = str(uuid.uuid4())
    job = await submit(client, token, model_id, "Revenue by region", branchId=branch)
    assert job.status_code == 404 and branch in job.json()["detail"]
    body = {"modelId": model_id, "prompt": "Revenue by region", "branchId": branch}
    for url in (GENERATE, PICK):
        response = await client.post(url, json=body, headers=bearer(token))
        assert response.status_code == 404, url
        assert response.json()["detail"] == f"No branch {branch} of model {model_id}"
    # Nothing was queued.
    listed = (await client.get(CONVERSATIONS, headers=bearer(token))).json()
    assert listed["pageInfo"]["totalRecords"] == 0


@pytest.mark.parametrize("workers", [0])
async def test_workbook_url_and_query_all_views(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    body = {
        "modelId": model_id,
        "prompt": "Revenue by region",
        "runQuery": False,
        "queryAllViews": True,
    }
    plain = (await client.post(GENERATE, json=body, headers=bearer(org.owner.token))).json()
    assert "workbookUrl" not in plain
    linked = (
        await client.post(
            GENERATE, json={**body, "workbookUrl": True}, headers=bearer(org.owner.token)
        )
    ).json()
    assert linked["query"] == plain["query"]
    url = urlsplit(linked["workbookUrl"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://parley.example/"
    assert parse_qs(url.query) == {"model": [model_id], "prompt": ["Revenue by region"]}
