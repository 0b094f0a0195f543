"""Jobs over HTTP on both state databases, with in-process workers: the life of a job
and of its conversation, follow-ups, conflicts, idempotency and every scope rule."""

from __future__ import annotations

import uuid

import httpx
import pytest

from parley.db.database import Database
from tests.factories import Org, bearer, make_member, make_org
from tests.omni.shapes import DocsConversationDetail, SdkConversationDetail, check
from tests.support.jobs import JOBS, submit, wait_final

CONVERSATIONS = "/api/v1/ai/conversations"


async def test_a_job_answers_and_makes_its_conversation(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    submitted = await submit(client, token, model_id, "Show me revenue by region")
    assert submitted.status_code == 201, submitted.text
    ids = submitted.json()
    assert set(ids) == {"jobId", "conversationId", "omniChatUrl"}
    assert ids["omniChatUrl"] == f"https://parley.example/chat/{ids['conversationId']}"
    job = await wait_final(client, token, ids["jobId"])
    assert job["state"] == "COMPLETE", job
    assert job["userId"] == str(org.owner.id) and job["organizationId"] == str(org.id)
    assert job["modelId"] == model_id and job["branchId"] is None
    assert job["topicName"] == "order_items"
    assert job["executionStartedAt"] <= job["completedAt"]
    assert "Revenue by region" in job["resultSummary"]
    assert "progress" not in job and "error" not in job

    result = (await client.get(f"{JOBS}/{ids['jobId']}/result", headers=bearer(token))).json()
    assert set(result) == {"message", "resultSummary", "topic", "omniChatUrl", "actions"}
    assert result["topic"] == "order_items" and "North America" in result["message"]
    # How the question was read comes first, before the numbers.
    assert result["message"].startswith("Revenue by region, highest first.\n\n")
    (action,) = result["actions"]
    assert action["type"] == "generate_query"
    data = action["result"]
    assert data["status"] == "success" and data["hasResults"] is True
    assert data["query"]["fields"] == ["users.region", "order_items.revenue"]
    assert data["totalRowCount"] == 5 and data["csvResultWasTruncated"] is False
    lines = data["csvResult"].strip().splitlines()
    assert lines[0] == "users.region,order_items.revenue" and len(lines) == 6
    # The number in the Markdown answer is the CSV's.
    top = max(lines[1:], key=lambda line: float(line.split(",")[1]))
    region, revenue = top.split(",")
    assert f"**{region}** with **{float(revenue):,.2f}**" in result["message"]

    thread = (
        await client.get(f"{CONVERSATIONS}/{ids['conversationId']}", headers=bearer(token))
    ).json()
    # Both of Omni's spellings: its docs page's and its SDK's.
    docs = check(DocsConversationDetail, thread)
    sdk = check(SdkConversationDetail, thread)
    assert str(docs.userId) == str(org.owner.id) and str(docs.organizationId) == str(org.id)
    assert [m.content for m in docs.messages] == [m.text for m in sdk.messages]
    assert [m.timestamp for m in docs.messages] == [m.createdAt for m in sdk.messages]
    assert thread["name"] == "Revenue by region"
    assert thread["updatedAt"] == job["completedAt"]
    assert [(m["role"], m["jobId"]) for m in thread["messages"]] == [
        ("user", None),
        ("assistant", ids["jobId"]),
    ]
    assert thread["messages"][0]["text"] == "Show me revenue by region"
    assert thread["messages"][0]["omniChatUrl"] is None
    assert thread["messages"][1]["omniChatUrl"] == ids["omniChatUrl"]
    assert thread["messages"][1]["text"] == result["message"]
    listed = (await client.get(CONVERSATIONS, headers=bearer(token))).json()
    assert listed["pageInfo"]["totalRecords"] == 1
    assert listed["data"][0]["lastUserPrompt"] == "Show me revenue by region"


async def test_three_turns_follow_up_on_each_other(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    turns = ["Revenue by region in 2025", "now break it down by department", "only Europe"]
    conversation = None
    queries = []
    for prompt in turns:
        extra: dict[str, str] = {"conversationId": conversation} if conversation else {}
        ids = (await submit(client, token, model_id, prompt, **extra)).json()
        conversation = ids["conversationId"]
        assert (await wait_final(client, token, ids["jobId"]))["state"] == "COMPLETE"
        result = (await client.get(f"{JOBS}/{ids['jobId']}/result", headers=bearer(token))).json()
        queries.append(result["actions"][0]["result"]["query"])
    assert "products.department" in queries[1]["fields"]
    assert "users.region" in queries[1]["fields"]
    assert queries[2]["filters"]["users.region"] == "Europe"
    assert "order_items.created_at" in queries[2]["filters"]
    thread = (await client.get(f"{CONVERSATIONS}/{conversation}", headers=bearer(token))).json()
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"] * 3
    assert [m["text"] for m in thread["messages"][::2]] == turns
    assert thread["name"] == "Revenue by region in 2025"
    listed = (await client.get(CONVERSATIONS, headers=bearer(token))).json()
    assert listed["pageInfo"]["totalRecords"] == 1
    assert listed["data"][0]["lastUserPrompt"] == "only Europe"


async def test_a_question_it_cannot_answer_fails_clearly(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    ids = (await submit(client, token, model_id, "What is the meaning of life?")).json()
    job = await wait_final(client, token, ids["jobId"])
    assert job["state"] == "FAILED"
    assert job["error"]["message"] and job["error"]["code"] == "CANNOT_ANSWER"
    assert "revenue" in job["error"]["detail"].lower()
    assert (
        await client.get(f"{JOBS}/{ids['jobId']}/result", headers=bearer(token))
    ).status_code == 404
    thread = (
        await client.get(f"{CONVERSATIONS}/{ids['conversationId']}", headers=bearer(token))
    ).json()
    assert thread["name"] is None
    assert thread["messages"][1]["text"].startswith("I could not answer that.")


@pytest.mark.parametrize("workers", [0])
async def test_one_unfinished_job_per_conversation_and_idempotent_submits(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    first = (await submit(client, token, model_id, "Revenue by region")).json()
    again = await submit(
        client, token, model_id, "and by brand", conversationId=first["conversationId"]
    )
    assert again.status_code == 409 and again.json()["status"] == 409
    # A retried submit with the same key gets the first answer, not a second job.
    key = {"Idempotency-Key": "abc-123"}
    one = await submit(client, token, model_id, "Orders by status", headers=key)
    two = await submit(client, token, model_id, "Orders by status", headers=key)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    # The same key from another token is another request.
    three = await submit(client, org.org_key, model_id, "Orders by status", headers=key)
    assert three.json()["jobId"] != one.json()["jobId"]
    listed = (await client.get(CONVERSATIONS, headers=bearer(org.org_key))).json()
    assert listed["pageInfo"]["totalRecords"] == 3
    job = (await client.get(f"{JOBS}/{first['jobId']}", headers=bearer(token))).json()
    assert job["state"] == "QUEUED" and "executionStartedAt" not in job


async def test_token_and_user_id_rules(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    member = await make_member(database, org)
    other = await make_org(database, "Globex")
    # An organization key acts as the owner, or as the member named by userId.
    as_owner = (await submit(client, org.org_key, model_id, "Revenue by region")).json()
    as_member = (
        await submit(
            client, org.org_key, model_id, "Orders by status", params={"userId": str(member.id)}
        )
    ).json()
    assert (await wait_final(client, org.org_key, as_owner["jobId"]))["userId"] == str(org.owner.id)
    assert (await wait_final(client, member.token, as_member["jobId"]))["userId"] == str(member.id)
    # A personal token may not pass userId; a stranger's userId is a 404.
    pat_user = await submit(client, member.token, model_id, "x", params={"userId": str(member.id)})
    assert pat_user.status_code == 403
    stranger = await submit(
        client, org.org_key, model_id, "x", params={"userId": str(other.owner.id)}
    )
    assert stranger.status_code == 404
    # Other members' and other organizations' jobs and conversations are 404, never 403.
    for token in (member.token, other.org_key, other.owner.token):
        for path in (
            f"{JOBS}/{as_owner['jobId']}",
            f"{JOBS}/{as_owner['jobId']}/result",
            f"{CONVERSATIONS}/{as_owner['conversationId']}",
        ):
            assert (await client.get(path, headers=bearer(token))).status_code == 404, path
        cancel = await client.post(f"{JOBS}/{as_owner['jobId']}/cancel", headers=bearer(token))
        assert cancel.status_code == 404
    cont = await submit(
        client, member.token, model_id, "and by brand", conversationId=as_owner["conversationId"]
    )
    assert cont.status_code == 404
    other_model = await submit(client, other.org_key, model_id, "Revenue by region")
    assert other_model.status_code == 404
    # The organization key sees everyone's; with userId only that member's.
    for path in (f"{JOBS}/{as_member['jobId']}", f"{CONVERSATIONS}/{as_member['conversationId']}"):
        assert (await client.get(path, headers=bearer(org.org_key))).status_code == 200
        scoped = await client.get(
            path, params={"userId": str(org.owner.id)}, headers=bearer(org.org_key)
        )
        assert scoped.status_code == 404
    # The organization key continues a member's thread as that member.
    followed = (
        await submit(
            client, org.org_key, model_id, "only Europe", conversationId=as_member["conversationId"]
        )
    ).json()
    assert (await wait_final(client, org.org_key, followed["jobId"]))["userId"] == str(member.id)
    mine = (await client.get(CONVERSATIONS, headers=bearer(member.token))).json()
    assert [c["id"] for c in mine["data"]] == [as_member["conversationId"]]
    assert (await client.get(f"{JOBS}/nope", headers=bearer(org.org_key))).status_code == 400
    missing = await client.get(f"{JOBS}/{uuid.uuid4()}", headers=bearer(org.org_key))
    assert missing.status_code == 404 and set(missing.json()) == {"detail", "status"}
    assert (await client.get(f"{JOBS}/{as_owner['jobId']}")).status_code == 401


@pytest.mark.parametrize("workers", [0])
async def test_bad_submits_are_400_or_404(
    client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    base = {"modelId": model_id, "prompt": "Revenue by region"}
    for bad in (
        {**base, "prompt": "  "},
        {**base, "prompt": "x" * 10_001},
        {**base, "modelId": "nope"},
        {"prompt": "x"},
        {**base, "webhookUrl": "https://example.com/hook"},
        {**base, "webhookUrl": "ftp://example.com/hook", "webhookSigningSecret": "s"},
        {**base, "progressWebhookEnabled": True},
        {**base, "topicName": "t" * 257},
        {**base, "conversationId": "nope"},
    ):
        response = await client.post(JOBS, json=bad, headers=bearer(org.org_key))
        assert response.status_code == 400, bad
        assert set(response.json()) == {"detail", "status"}
    for missing in (
        {**base, "modelId": str(uuid.uuid4())},
        {**base, "topicName": "nope"},
        {**base, "conversationId": str(uuid.uuid4())},
    ):
        response = await client.post(JOBS, json=missing, headers=bearer(org.org_key))
        assert response.status_code == 404, missing
    long_key = await submit(
        client, org.org_key, model_id, "x", headers={"Idempotency-Key": "k" * 300}
    )
    assert long_key.status_code == 400
