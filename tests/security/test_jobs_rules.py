"""Job endpoints an attacker probes: cancel with ``userId``, an admin token's cancel of
a job it cannot see, a reused ``Idempotency-Key``, and event streams without bounds."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from parley.db.database import Database
from tests.factories import Member, Org, make_member
from tests.support.served import Served, bearer, new_home, serve
from tests.support.sync import run_sync

JOBS = "/api/v1/ai/jobs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = new_home(tmp_path_factory.mktemp("jobs") / "home", tmp_path_factory)
    with serve(
        home,
        None,
        PARLEY_WORKERS="0",  # jobs stay QUEUED: cancels and streams have time to act
        PARLEY_EVENT_STREAMS_PER_TOKEN="2",
        PARLEY_EVENT_STREAM_SECONDS="1",
    ) as running:
        yield running


def members(server: Served, count: int) -> tuple[Org, list[Member]]:
    creds = server.credentials()
    org = Org(
        id=uuid.UUID(creds["organizationId"]),
        owner=Member(uuid.UUID(creds["membershipId"]), creds["personalToken"]),
        org_key=creds["organizationKey"],
    )

    async def add() -> list[Member]:
        database = Database(f"sqlite+aiosqlite:///{server.home / 'parley.db'}")
        try:
            return [await make_member(database, org) for _ in range(count)]
        finally:
            await database.dispose()

    return org, run_sync(add())


def submit(server: Served, token: str, prompt: str, **extra: Any) -> httpx.Response:
    model = server.credentials()["modelId"]
    return httpx.post(
        server.url + JOBS,
        json={"modelId": model, "prompt": prompt},
        headers={**bearer(token), **extra.pop("headers", {})},
        params=extra.pop("params", None),
    )


def state(server: Served, token: str, job: str) -> str:
    found: str = httpx.get(f"{server.url}{JOBS}/{job}", headers=bearer(token)).json()["state"]
    return found


def test_cancel_sees_jobs_as_get_does(server: Served) -> None:
    org, (ann, bob) = members(server, 2)
    job = submit(server, bob.token, "Revenue by region").json()["jobId"]
    cancel = f"{server.url}{JOBS}/{job}/cancel"
    # The organization key acting as Ann cannot see, or cancel, Bob's job.
    as_ann = {"userId": str(ann.id)}
    get = httpx.get(f"{server.url}{JOBS}/{job}", params=as_ann, headers=bearer(org.org_key))
    refused = httpx.post(cancel, params=as_ann, headers=bearer(org.org_key))
    assert get.status_code == refused.status_code == 404
    assert refused.json() == {"detail": f"No job {job}", "status": 404}
    # The owner's personal token (an org admin) gets 404 from GET, and the same 404 from
    # cancel: no state, nothing cancelled.
    admin = httpx.post(cancel, headers=bearer(org.owner.token))
    assert admin.status_code == 404 and "QUEUED" not in admin.text
    # A personal token may not pass userId at all.
    assert httpx.post(cancel, params=as_ann, headers=bearer(bob.token)).status_code == 403
    assert state(server, bob.token, job) == "QUEUED"
    # As Bob, the organization key may; the job is cancelled by Bob.
    as_bob = httpx.post(cancel, params={"userId": str(bob.id)}, headers=bearer(org.org_key))
    assert as_bob.json() == {"jobId": job, "state": "CANCELLED"}
    shown = httpx.get(f"{server.url}{JOBS}/{job}", headers=bearer(bob.token)).json()
    assert shown["cancelledBy"] == str(bob.id)


def test_an_idempotency_key_reused_with_another_request_is_422(server: Served) -> None:
    _org, (carol,) = members(server, 1)
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    first = submit(server, carol.token, "Orders by status", headers=key)
    assert first.status_code == 201
    # The same request again, spelled differently: the first answer, no second job.
    model = server.credentials()["modelId"]
    again = httpx.post(
        server.url + JOBS,
        content=json.dumps({"prompt": "Orders by status", "modelId": model}, indent=4),
        headers={**bearer(carol.token), **key, "Content-Type": "application/json"},
    )
    assert again.status_code == 201 and again.json() == first.json()
    other = submit(server, carol.token, "Revenue by brand", headers=key)
    assert other.status_code == 422
    assert other.json()["status"] == 422
    assert "Idempotency-Key" in other.json()["detail"] and "different" in other.json()["detail"]
    listed = httpx.get(server.url + "/api/v1/ai/conversations", headers=bearer(carol.token))
    assert listed.json()["pageInfo"]["totalRecords"] == 1
    too_long = submit(server, carol.token, "x", headers={"Idempotency-Key": "k" * 256})
    assert too_long.status_code == 400


def read_stream(response: httpx.Response) -> list[dict[str, str]]:
    """The stream's blocks as field dictionaries, until the server ends it."""
    blocks = []
    for block in response.read().decode().split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            blocks.append(fields)
    return blocks


def test_event_streams_are_capped_per_token_and_end_for_a_reconnect(server: Served) -> None:
    _org, (dan, erin) = members(server, 2)
    job = submit(server, dan.token, "Revenue by region").json()["jobId"]
    events = f"{server.url}{JOBS}/{job}/events"
    with httpx.Client(timeout=10) as client:
        with (
            client.stream("GET", events, headers=bearer(dan.token)) as one,
            client.stream("GET", events, headers=bearer(dan.token)) as two,
        ):
            assert one.status_code == two.status_code == 200
            third = client.get(events, headers=bearer(dan.token))
            assert third.status_code == 429 and third.json()["status"] == 429
            assert "event streams" in third.json()["detail"]
            # Another token has its own allowance.
            other_job = submit(server, erin.token, "Orders by status").json()["jobId"]
            theirs = client.get(
                f"{server.url}{JOBS}/{other_job}/events", headers=bearer(erin.token)
            )
            assert theirs.status_code == 200
            started = time.monotonic()
            first = read_stream(one)
            read_stream(two)
        # The stream ended on its own after PARLEY_EVENT_STREAM_SECONDS (1 s here) with a
        # retry hint, having sent the job's state with an id.
        assert time.monotonic() - started < 5
        assert first[0]["event"] == "state" and json.loads(first[0]["data"])["state"] == "QUEUED"
        assert first[-1] == {"retry": "1000"}
        seen = first[0]["id"]
        # Closed streams give their places back; a reconnect with Last-Event-ID sends
        # nothing it has seen, only the retry hint when its time is up.
        resumed = client.get(events, headers={**bearer(dan.token), "Last-Event-ID": seen})
        assert resumed.status_code == 200
        assert read_stream(resumed) == [{"retry": "1000"}]
        # After a change the reconnect gets the new state; once the client has the
        # final state, 204 tells it to stop reconnecting.
        httpx.post(f"{server.url}{JOBS}/{job}/cancel", headers=bearer(dan.token))
        changed = read_stream(
            client.get(events, headers={**bearer(dan.token), "Last-Event-ID": seen})
        )
        assert [json.loads(block["data"])["state"] for block in changed] == ["CANCELLED"]
        final = client.get(events, headers={**bearer(dan.token), "Last-Event-ID": changed[0]["id"]})
        assert final.status_code == 204
