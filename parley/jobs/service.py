"""Rules of AI jobs (docs/api.md): submit, look up, cancel, and their wire shapes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.auth.actors import acting_member, require_ai
from parley.auth.principal import Principal
from parley.config import Settings
from parley.conversations import repository as conversations
from parley.db.database import Database
from parley.http.errors import BadRequest, Conflict, NotFound, UnprocessableContent
from parley.jobs import attachments, repository, states, webhooks
from parley.jobs.records import Job, JobState
from parley.jobs.schemas import SubmitJobRequest
from parley.kit import clock
from parley.kit.json import JsonObject
from parley.llm import usage
from parley.models import repository as models
from parley.models.branches import no_branch

IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 255


def chat_url(public_url: str, conversation_id: uuid.UUID | str) -> str:
    return f"{public_url}/chat/{conversation_id}"


def _idempotency_hash(caller: Principal, header: str) -> str:
    if not header.strip() or len(header) > MAX_IDEMPOTENCY_KEY:
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    # Bound to the key that sent it: another caller's equal header is another request.
    return hashlib.sha256(f"{caller.key_id.hex}:{header}".encode()).hexdigest()


def _submitted(public_url: str, job_id: uuid.UUID, conversation_id: uuid.UUID) -> dict[str, str]:
    return {
        "jobId": str(job_id),
        "conversationId": str(conversation_id),
        "omniChatUrl": chat_url(public_url, conversation_id),
    }


def _fingerprint(body: SubmitJobRequest, user_id: uuid.UUID | None) -> str:
    """What a submit asked for, independent of JSON spacing and key order."""
    request = {"body": body.model_dump(mode="json"), "userId": str(user_id or "")}
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def _replay(
    conn: AsyncConnection,
    caller: Principal,
    key: str,
    fingerprint: str,
    now: datetime,
    public_url: str,
) -> dict[str, str] | None:
    """The first response to a retried submit, if it is recent enough to be a retry."""
    earlier = await repository.by_idempotency_key(conn, caller.organization_id, key)
    if earlier is None:
        return None
    if now - earlier.created_at < IDEMPOTENCY_WINDOW:
        # Jobs stored before fingerprints were kept have none; they replay as before.
        if earlier.idempotency_fingerprint not in (None, fingerprint):
            raise UnprocessableContent(
                "This Idempotency-Key was already used with a different request; "
                "use a new key for a new request"
            )
        return _submitted(public_url, earlier.id, earlier.conversation_id)
    await repository.forget_idempotency_key(conn, earlier.id)
    return None


async def submit(
    database: Database,
    caller: Principal,
    body: SubmitJobRequest,
    *,
    user_id: uuid.UUID | None,
    idempotency_key: str | None,
    settings: Settings,
) -> dict[str, str]:
    """Queue a job, creating or continuing its conversation, in one transaction: a 201
    means the job, the prompt and the conversation's new state are all durable."""
    require_ai(caller)
    public_url = settings.resolved_public_url
    key = _idempotency_hash(caller, idempotency_key) if idempotency_key is not None else None
    # Vetted (a DNS lookup) before the write transaction, which must stay short.
    webhook = await webhooks.job_settings(body, settings)
    fingerprint = _fingerprint(body, user_id) if key is not None else None
    files = attachments.decode(body.attachments)
    now = clock.utcnow()
    try:
        async with database.write() as conn:
            if key is not None and fingerprint is not None:
                replayed = await _replay(conn, caller, key, fingerprint, now, public_url)
                if replayed is not None:
                    return replayed
            member = await acting_member(conn, caller, user_id)
            await usage.check_limit(conn, caller.organization_id, now)
            model = await models.get_model(conn, caller.organization_id, body.modelId)
            if model is None:
                raise NotFound(f"No model {body.modelId}")
            if body.branchId is not None:
                raise NotFound(no_branch(body.branchId, body.modelId))
            if body.topicName is not None and body.topicName not in (
                model.definition.get("topics") or {}
            ):
                raise NotFound(f"No topic {body.topicName!r} in this model")
            if body.conversationId is not None:
                # An organization key without userId may continue anyone's thread (as
                # its owner); otherwise the thread must be the acting member's.
                scope = None if caller.is_organization_key and user_id is None else member
                found = await conversations.get(
                    conn, caller.organization_id, scope, body.conversationId
                )
                if found is None:
                    raise NotFound(f"No conversation {body.conversationId}")
                member, conversation_id = found.membership_id, found.id
                await conversations.touch(
                    conn, caller.organization_id, conversation_id, now, last_user_prompt=body.prompt
                )
            else:
                conversation_id = await conversations.insert(
                    conn,
                    org_id=caller.organization_id,
                    member_id=member,
                    name=None,
                    last_user_prompt=body.prompt,
                    created_at=now,
                    updated_at=now,
                )
            job_id = uuid.uuid4()
            await repository.insert(
                conn,
                {
                    "id": job_id,
                    "organization_id": caller.organization_id,
                    "membership_id": member,
                    "conversation_id": conversation_id,
                    "model_id": body.modelId,
                    "topic_name": body.topicName,
                    "prompt": body.prompt,
                    "state": JobState.QUEUED,
                    "attempts": 0,
                    "idempotency_key": key,
                    "idempotency_fingerprint": fingerprint,
                    "cancel_requested": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            if webhook is not None:
                await repository.add_webhook(conn, job_id, webhook)
            await repository.add_message(
                conn,
                org_id=caller.organization_id,
                conversation_id=conversation_id,
                role="user",
                text=body.prompt,
                job_id=job_id,
                now=now,
            )
            await attachments.store(conn, job_id, files)
    except IntegrityError as error:
        if key is not None and fingerprint is not None and "idempotency" in str(error.orig):
            # A twin of this request won the race; answer as it did.
            async with database.read() as conn:
                replayed = await _replay(conn, caller, key, fingerprint, now, public_url)
            if replayed is not None:
                return replayed
        raise Conflict(
            "The conversation already has an unfinished job; wait for it or cancel it"
        ) from error
    return _submitted(public_url, job_id, conversation_id)


def _scope(caller: Principal, user_id: uuid.UUID | None) -> uuid.UUID | None:
    return caller.member_filter(user_id)


async def find(
    conn: AsyncConnection, caller: Principal, job_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> Job:
    job = await repository.get(conn, caller.organization_id, _scope(caller, user_id), job_id)
    if job is None:
        raise NotFound(f"No job {job_id}")
    return job


def status(job: Job, public_url: str) -> JsonObject:
    """The status endpoint's body (``Job.to_wire``)."""
    return job.to_wire(chat_url(public_url, job.conversation_id))


def result(job: Job, public_url: str) -> JsonObject:
    """The result endpoint's body; only a COMPLETE job has one."""
    if job.state != JobState.COMPLETE or not job.result:
        raise NotFound(f"Job {job.id} has no result (it is {job.state})")
    stored = dict(job.result)
    body = {
        "message": stored["message"],
        "resultSummary": stored.get("resultSummary"),
        "topic": stored.get("topic"),
        "omniChatUrl": chat_url(public_url, job.conversation_id),
        "actions": stored.get("actions", []),
    }
    if stored.get("usage"):
        body["usage"] = stored["usage"]
    return body


def chart_data(job: Job) -> tuple[list[str], list[list[Any]], JsonObject | None]:
    """The last query's table of a COMPLETE job, for the chart endpoint."""
    if job.state != JobState.COMPLETE or not job.result:
        raise NotFound(f"Job {job.id} is not complete")
    stored = dict(job.result)
    table = stored.get("table") or {"columns": [], "rows": []}
    query = None
    for action in stored.get("actions", []):
        query = (action.get("result") or {}).get("query") or query
    return list(table["columns"]), [list(r) for r in table["rows"]], query


async def cancel(
    database: Database,
    caller: Principal,
    job_id: uuid.UUID,
    settings: Settings,
    user_id: uuid.UUID | None = None,
) -> dict[str, str]:
    """QUEUED stops at once, EXECUTING at the end of its iteration, anything later is
    left as it is.

    Only a job the caller can see is touched, seen exactly as GET shows it: a personal
    token its own member's jobs (an org admin's included: it cancels other members'
    jobs with an organization key), an organization key everyone's or, with ``userId``,
    that member's. Anything else is a 404 that tells nothing of the job (decision 0010).
    """
    scope = _scope(caller, user_id)
    actor = caller.acting_member(user_id)
    async with database.write() as conn:
        if await repository.get(conn, caller.organization_id, scope, job_id) is None:
            raise NotFound(f"No job {job_id}")
        job = await repository.lock(conn, job_id)
        assert job is not None
        state = job.state
        if state == JobState.QUEUED:
            await states.cancel(
                conn,
                job,
                now=clock.utcnow(),
                by=actor,
                webhook_attempts=settings.webhook_max_attempts,
            )
            state = JobState.CANCELLED
        elif state == JobState.EXECUTING and not job.cancel_requested:
            await repository.set_values(conn, job_id, cancel_requested=True, cancelled_by=actor)
    return {"jobId": str(job_id), "state": state.value}
