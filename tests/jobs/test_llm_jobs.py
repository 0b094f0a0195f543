"""Jobs with a language model behind them, against the fake OpenAI-compatible endpoint
(bench/fake_llm.py): plans and answers written by the model, retries, the circuit,
cancellation, the analyst's loop, usage and the monthly limit."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from sqlalchemy import select

from bench.fake_llm import FakeLLM, Hang, Status, Text, ToolCall
from parley.config import Settings
from parley.db.database import Database
from parley.jobs import states
from parley.kit import clock
from parley.llm import usage
from parley.tables import llm_usage
from tests.factories import Org, bearer, register_demo_model
from tests.support.jobs import JOBS, submit, wait_final
from tests.support.warehouses import NOW

GOOD = {
    "table": "order_items",
    "fields": ["users.region", "order_items.revenue"],
    "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
}
# A query that is valid and names real values, but matches no rows.
NOWHERE = {**GOOD, "filters": {"order_items.created_at": {"gte": "1990-01-01", "lt": "1991-01-01"}}}
# A query naming a value the warehouse does not hold.
ATLANTIS = {**GOOD, "filters": {"users.region": "Atlantis"}}


@pytest.fixture
def llm_options() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, fake_llm: FakeLLM, llm_options: dict[str, Any]
) -> Settings:
    values: dict[str, Any] = {
        "llm_base_url": fake_llm.base_url,
        "llm_model": "fake-model",
        "llm_retry_seconds": 0.01,
        "llm_timeout": 10,
        **llm_options,
    }
    return Settings(
        _env_file=None,
        database_url=database_url,
        home=tmp_path / "home",
        public_url="https://parley.example",
        workers=2,
        job_poll_interval=0.05,
        now=NOW,
        **values,
    )


async def _result(client: httpx.AsyncClient, token: str, job_id: str) -> dict[str, Any]:
    response = await client.get(f"{JOBS}/{job_id}/result", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_model_plans_and_writes_the_answer(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM, database: Database
) -> None:
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    job = await wait_final(client, token, submitted["jobId"])
    assert job["state"] == "COMPLETE", job
    result = await _result(client, token, submitted["jobId"])
    # How the question was read comes first; then the fake's text, which quotes the
    # first row it was shown; the table follows the text.
    reading, written = result["message"].split("\n\n", 1)
    assert reading == "Revenue by region, highest first."
    assert written.startswith("The first row leads: **Region: ")
    assert "| Region | Revenue |" in result["message"]
    use = result["usage"]
    assert use["calls"] == 2 and use["answerWrittenBy"] == "model" and use["iterations"] == 1
    assert use["promptTokens"] > 0 and use["completionTokens"] > 0 and use["retries"] == 0
    answer_request = fake_llm.requests[1]["body"]
    assert answer_request["stream"] is True and "Question: Revenue by region" in str(
        answer_request["messages"]
    )
    async with database.read() as conn:
        rows = (await conn.execute(select(llm_usage))).all()
    assert sorted(r.purpose for r in rows) == ["answer", "plan"]
    assert {r.membership_id for r in rows} == {org.owner.id}
    assert sum(r.prompt_tokens for r in rows) == use["promptTokens"]
    metrics = (await client.get("/metrics")).text
    assert 'parley_llm_calls_total{outcome="ok",purpose="plan"} 1.0' in metrics
    assert 'parley_llm_answers_total{writer="model"} 1.0' in metrics


async def test_an_answer_with_an_invented_number_is_replaced_by_the_template(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(ToolCall("semantic_query", GOOD), Text("Revenue reached 987,654,321."))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    result = await _result(client, token, submitted["jobId"])
    assert "987,654,321" not in result["message"] and "Highest revenue" in result["message"]
    assert result["usage"]["answerWrittenBy"] == "template"


async def test_429s_and_a_500_are_absorbed_and_shown(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(Status(429, retry_after=0.01), Status(500), ToolCall("semantic_query", GOOD))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    job = await wait_final(client, token, submitted["jobId"])
    assert job["state"] == "COMPLETE", job
    assert (await _result(client, token, submitted["jobId"]))["usage"]["retries"] == 2
    metrics = (await client.get("/metrics")).text
    assert 'parley_llm_retries_total{reason="rate_limited"} 1.0' in metrics
    assert 'parley_llm_retries_total{reason="server_error"} 1.0' in metrics


@pytest.mark.parametrize(
    "llm_options", [{"llm_max_retries": 1, "llm_breaker_failures": 2, "llm_breaker_seconds": 60}]
)
async def test_a_provider_that_is_down_fails_jobs_fast_and_plainly(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.behaviour.down = True
    token = org.owner.token
    first = (await submit(client, token, model_id, "Revenue by region")).json()
    job = await wait_final(client, token, first["jobId"])
    assert job["state"] == "FAILED" and job["error"]["code"] == "LLM_UNAVAILABLE"
    assert "try again in a few minutes" in job["error"]["message"]
    assert "503" in job["error"]["detail"]
    assert len(fake_llm.requests) == 2
    # The circuit is open: the next job fails without troubling the provider.
    second = (await submit(client, token, model_id, "Orders by status")).json()
    job = await wait_final(client, token, second["jobId"])
    assert job["error"]["code"] == "LLM_UNAVAILABLE" and len(fake_llm.requests) == 2
    assert "parley_llm_circuit_open 1.0" in (await client.get("/metrics")).text


async def test_an_empty_result_is_shown_to_the_model_which_corrects_it(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(ToolCall("semantic_query", NOWHERE), ToolCall("semantic_query", GOOD))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    result = await _result(client, token, submitted["jobId"])
    assert result["usage"]["iterations"] == 2
    assert result["actions"][0]["result"]["totalRowCount"] == 5
    correction = fake_llm.requests[1]["body"]["messages"][-1]
    assert correction["role"] == "tool" and "returned no rows" in correction["content"]


async def test_a_value_the_warehouse_lacks_is_shown_to_the_model_which_corrects_it(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(ToolCall("semantic_query", ATLANTIS), ToolCall("semantic_query", GOOD))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    result = await _result(client, token, submitted["jobId"])
    assert result["usage"]["iterations"] == 2
    correction = fake_llm.requests[1]["body"]["messages"][-1]
    assert "I could not find 'Atlantis'" in correction["content"]


async def test_a_value_the_warehouse_lacks_is_refused_on_the_last_round(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(*[ToolCall("semantic_query", ATLANTIS)] * 3)
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue in Atlantis")).json()
    job = await wait_final(client, token, submitted["jobId"])
    assert job["state"] == "FAILED" and job["error"]["code"] == "CANNOT_ANSWER", job
    assert "Atlantis" in job["error"]["message"]
    # Nothing ran: no rows were ever fetched for a value that does not exist.
    assert len(fake_llm.requests) == 3


async def test_an_empty_result_the_model_stands_by_is_the_answer(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(ToolCall("semantic_query", NOWHERE), ToolCall("semantic_query", NOWHERE))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue in 1990")).json()
    assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    result = await _result(client, token, submitted["jobId"])
    assert result["message"].endswith("No data matched the question.")
    # Two plans, no answer to write from no rows.
    assert result["usage"]["iterations"] == 2 and len(fake_llm.requests) == 2


async def test_cancel_stops_the_call_in_flight(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    fake_llm.replies(Hang(60))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    for _ in range(500):
        if fake_llm.in_flight:
            break
        await asyncio.sleep(0.02)
    cancelled = await client.post(f"{JOBS}/{submitted['jobId']}/cancel", headers=bearer(token))
    assert cancelled.json()["state"] == "EXECUTING"
    job = await wait_final(client, token, submitted["jobId"], seconds=10)
    assert job["state"] == "CANCELLED"
    for _ in range(250):
        if fake_llm.cancelled:
            break
        await asyncio.sleep(0.02)
    assert fake_llm.cancelled == 1


async def test_jobs_waiting_on_the_model_hold_no_worker(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    """Two workers, eight jobs: all eight wait on the model at once."""
    fake_llm.behaviour.latency = 0.5
    token = org.owner.token
    ids = [
        (await submit(client, token, model_id, f"Revenue by region {i}")).json() for i in range(8)
    ]
    for submitted in ids:
        assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    assert fake_llm.most_in_flight >= 6


async def test_over_the_monthly_limit_submits_and_generate_query_answer_402(
    client: httpx.AsyncClient, org: Org, model_id: str, database: Database
) -> None:
    token = org.owner.token
    first = (await submit(client, token, model_id, "Revenue by region")).json()
    assert (await wait_final(client, token, first["jobId"]))["state"] == "COMPLETE"
    async with database.write() as conn:
        await usage.set_limit(conn, org.id, 1, now=clock.utcnow())
    refused = await submit(client, token, model_id, "Orders by status")
    assert refused.status_code == 402
    body = refused.json()
    assert body["code"] == "shutoff" and body["status"] == 402 and "limit" in body["detail"]
    generated = await client.post(
        "/api/v1/ai/generate-query",
        json={"modelId": model_id, "prompt": "Orders by status"},
        headers=bearer(token),
    )
    assert generated.status_code == 402 and generated.json()["code"] == "shutoff"
    async with database.write() as conn:
        await usage.set_limit(conn, org.id, None, now=clock.utcnow())
    assert (await submit(client, token, model_id, "Orders by status")).status_code == 201


async def test_the_event_stream_carries_the_answer_as_it_is_written(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM
) -> None:
    words = "Europe leads the regions by revenue, well ahead of every other region here."
    fake_llm.replies(ToolCall("semantic_query", GOOD), Text(words, pause=0.3))
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    drafts: list[str] = []
    states: list[str] = []
    async with client.stream(
        "GET", f"{JOBS}/{submitted['jobId']}/events", headers=bearer(token)
    ) as events:
        async for line in events.aiter_lines():
            if line.startswith("data: "):
                data = json.loads(line[6:])
                states.append(data["state"])
                draft = (data.get("progress") or {}).get("draft")
                if draft and draft not in drafts:
                    drafts.append(draft)
    assert states[-1] == "COMPLETE"
    # Several drafts, each the one before it and more, all of them the answer's start.
    assert len(drafts) >= 2
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(drafts))
    assert all(words.startswith(draft) for draft in drafts)
    message = (await _result(client, token, submitted["jobId"]))["message"]
    # The stored answer: how the question was read, then the text the drafts built up.
    assert message.split("\n\n", 1)[1].startswith(words)


async def test_generate_query_plans_with_the_model_and_records_its_spend(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM, database: Database
) -> None:
    fake_llm.replies(ToolCall("semantic_query", GOOD))
    response = await client.post(
        "/api/v1/ai/generate-query",
        json={"modelId": model_id, "prompt": "Which region sells most?"},
        headers=bearer(org.owner.token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"]["fields"] == GOOD["fields"] and body["error"] is None
    assert len(body["result"]["rows"]) == 5
    async with database.read() as conn:
        (row,) = (await conn.execute(select(llm_usage))).all()
    assert row.purpose == "plan" and row.job_id is None and row.membership_id == org.owner.id


async def test_usage_outlives_a_final_write_that_rolls_back(
    client: httpx.AsyncClient,
    org: Org,
    model_id: str,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer's transaction writes the job's usage, then fails and rolls back: the
    failure's own transaction records the usage, so the monthly count misses nothing."""

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the write failed")

    # The write that completes a job still held by its worker (as one statement on
    # PostgreSQL, in a transaction on SQLite), and the one for a job found changed
    # meanwhile.
    monkeypatch.setattr(states, "complete_held_at_once", broken)
    monkeypatch.setattr(states, "complete_held", broken)
    monkeypatch.setattr(states, "complete", broken)
    token = org.owner.token
    submitted = (await submit(client, token, model_id, "Revenue by region")).json()
    job = await wait_final(client, token, submitted["jobId"])
    assert job["state"] == "FAILED" and job["error"]["code"] == "INTERNAL", job
    async with database.read() as conn:
        rows = (await conn.execute(select(llm_usage))).all()
    assert sorted(r.purpose for r in rows) == ["answer", "plan"]
    assert {str(r.job_id) for r in rows} == {submitted["jobId"]}


@pytest.mark.parametrize("llm_options", [{"db_pool_size": 1}])
async def test_generate_query_holds_one_pooled_connection_at_a_time(
    client: httpx.AsyncClient, org: Org, model_id: str, fake_llm: FakeLLM, database: Database
) -> None:
    """A pool of one (and one overflow): requests that held their read while waiting on
    the model, then asked for a write, would wait on each other until the pool's
    timeout."""
    fake_llm.behaviour.latency = 0.3
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/ai/generate-query",
                json={"modelId": model_id, "prompt": "Revenue by region"},
                headers=bearer(org.owner.token),
            )
            for _ in range(3)
        )
    )
    assert [r.status_code for r in responses] == [200, 200, 200], responses[0].text
    async with database.read() as conn:
        rows = (await conn.execute(select(llm_usage))).all()
    assert len(rows) == 3


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(24)).decode()
PDF = base64.b64encode(b"%PDF-1.7\n" + bytes(24)).decode()


@pytest.mark.parametrize("llm_options", [{"llm_images": True}, {}], ids=["images", "text-only"])
async def test_images_reach_a_model_that_takes_them(
    client: httpx.AsyncClient,
    org: Org,
    model_id: str,
    fake_llm: FakeLLM,
    llm_options: dict[str, Any],
) -> None:
    token = org.owner.token
    files = [
        {"data": PNG, "mimeType": "image/png", "name": "chart.png"},
        {"data": PDF, "mimeType": "application/pdf", "name": "report.pdf"},
    ]
    submitted = (
        await submit(client, token, model_id, "Revenue by region", attachments=files)
    ).json()
    assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    message = (await _result(client, token, submitted["jobId"]))["message"]
    question = fake_llm.requests[0]["body"]["messages"][-1]
    assert question["role"] == "user"
    if llm_options:
        assert question["content"] == [
            {"type": "text", "text": "Revenue by region"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ]
        # The PDF is still named as unread; the image is not.
        assert "report.pdf (application/pdf)" in message and "chart.png" not in message
        assert "reads the question's text and images only" in message
    else:
        assert question["content"] == "Revenue by region"
        assert "chart.png (image/png), report.pdf (application/pdf)" in message


# Valid against the semantic model, but the warehouse below has lost the column.
COST = {"table": "order_items", "fields": ["users.region", "order_items.total_cost"]}


@pytest.fixture
async def altered_model_id(
    database: Database, org: Org, small_warehouse: Path, tmp_path: Path
) -> str:
    """The demo model over a warehouse whose products table lost its cost column."""
    altered = tmp_path / "altered.duckdb"
    shutil.copy(small_warehouse, altered)
    with duckdb.connect(str(altered)) as connection:
        connection.execute("ALTER TABLE products DROP COLUMN cost")
    return await register_demo_model(database, org, altered)


async def _progress_of(client: httpx.AsyncClient, token: str, job_id: str) -> list[dict[str, Any]]:
    """Every progress the job's event stream showed, until it was final."""
    seen: list[dict[str, Any]] = []
    async with client.stream("GET", f"{JOBS}/{job_id}/events", headers=bearer(token)) as events:
        async for line in events.aiter_lines():
            if line.startswith("data: "):
                progress = json.loads(line[6:]).get("progress")
                if progress:
                    seen.append(progress)
    return seen


async def test_a_warehouse_error_is_shown_to_the_model_which_corrects_it(
    client: httpx.AsyncClient, org: Org, altered_model_id: str, fake_llm: FakeLLM
) -> None:
    # Slow enough that the second round's step is written while the model works on it.
    fake_llm.behaviour.latency = 0.4
    fake_llm.replies(ToolCall("semantic_query", COST), ToolCall("semantic_query", GOOD))
    token = org.owner.token
    submitted = (await submit(client, token, altered_model_id, "Revenue by region")).json()
    progress = await _progress_of(client, token, submitted["jobId"])
    assert (await wait_final(client, token, submitted["jobId"]))["state"] == "COMPLETE"
    iterations = [p["iteration"] for p in progress]
    assert iterations[0] == 1 and 2 in iterations and iterations == sorted(iterations)
    assert any(p["message"] == "Correcting the query" and p["iteration"] == 2 for p in progress)
    result = await _result(client, token, submitted["jobId"])
    assert result["usage"]["iterations"] == 2
    assert result["actions"][0]["result"]["totalRowCount"] == 5
    correction = fake_llm.requests[1]["body"]["messages"][-1]
    assert correction["role"] == "tool"
    assert correction["content"].startswith("The warehouse could not run the query:")
    assert '"cost"' in correction["content"]


async def test_the_loop_gives_up_after_its_rounds(
    client: httpx.AsyncClient,
    org: Org,
    altered_model_id: str,
    fake_llm: FakeLLM,
    database: Database,
) -> None:
    fake_llm.replies(*[ToolCall("semantic_query", COST)] * 4)
    token = org.owner.token
    submitted = (await submit(client, token, altered_model_id, "Cost by region")).json()
    job = await wait_final(client, token, submitted["jobId"])
    assert job["state"] == "FAILED" and job["error"]["code"] == "WAREHOUSE_ERROR", job
    assert job["error"]["message"] == "The warehouse could not run the query."
    assert '"cost"' in job["error"]["detail"]
    # PARLEY_LLM_ITERATIONS (3) plans, no fourth; each one's spend is recorded.
    assert len(fake_llm.requests) == 3
    async with database.read() as conn:
        rows = (await conn.execute(select(llm_usage))).all()
    assert [r.purpose for r in rows] == ["plan"] * 3
    conversation = await client.get(
        f"/api/v1/ai/conversations/{submitted['conversationId']}", headers=bearer(token)
    )
    assert conversation.status_code == 200
    assert "could not run the query" in conversation.text
