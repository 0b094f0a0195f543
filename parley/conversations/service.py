"""Rules of the conversation list (docs/api.md): scope, order, pages, totals."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.auth.principal import Principal
from parley.conversations import job_rows, repository
from parley.conversations.repository import (
    ROW_CREATED,
    ROW_ID,
    ROW_NAME,
    ROW_PROMPT,
    ROW_UPDATED,
)
from parley.conversations.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from parley.db.direct_sql import Reader, Row
from parley.db.wire_sql import parse_utc_text
from parley.http.errors import BadRequest, NotFound
from parley.kit.cursors import CursorCodec, InvalidCursor
from parley.kit.json import JsonObject
from parley.kit.timestamps import to_wire

MAX_NAME = 500


def wire_row(row: Row) -> JsonObject:
    """A list row (repository.ROW_*: ids as 32 hex digits, timestamps as
    ``YYYY-MM-DD HH:MM:SS.ffffff``) in the list's item shape, the one
    ``Conversation.to_wire`` gives. Slicing text, inline, because this runs fifty times
    a page (decision 0008).

    The latest prompt goes out under both names Omni uses for it: ``lastUserPrompt``
    (its docs page) and ``lastPrompt`` (its SDK), decision 0013."""
    h, updated, created, prompt = row[ROW_ID], row[ROW_UPDATED], row[ROW_CREATED], row[ROW_PROMPT]
    return {
        "id": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
        "name": row[ROW_NAME],
        "lastUserPrompt": prompt,
        "lastPrompt": prompt,
        "updatedAt": f"{updated[:10]}T{updated[11:23]}Z",
        "createdAt": f"{created[:10]}T{created[11:23]}Z",
    }


@dataclass(frozen=True)
class ConversationPage:
    rows: list[Row]
    next_cursor: str | None
    page_size: int
    total: int

    def page_info(self) -> dict[str, Any]:
        return {
            "hasNextPage": self.next_cursor is not None,
            "nextCursor": self.next_cursor,
            "pageSize": self.page_size,
            "totalRecords": self.total,
        }

    def to_wire(self) -> dict[str, Any]:
        items = [wire_row(row) for row in self.rows]
        return {"data": items, "records": items, "pageInfo": self.page_info()}

    def to_json(self) -> bytes:
        """``to_wire()`` as JSON, with the items serialized once and the same bytes
        written under ``data`` (Omni's docs page) and ``records`` (its SDK)."""
        items = orjson.dumps([wire_row(row) for row in self.rows])
        info = orjson.dumps(self.page_info())
        return b'{"data":' + items + b',"records":' + items + b',"pageInfo":' + info + b"}"


def _scope_key(org_id: uuid.UUID, member_id: uuid.UUID | None, search: str | None) -> str:
    # What a cursor is bound to. The search text is hashed so cursors stay short.
    searched = hashlib.sha256(search.encode()).hexdigest()[:16] if search else ""
    return f"{org_id.hex}:{member_id.hex if member_id else '*'}:{searched}"


async def list_conversations(
    reader: Reader,
    caller: Principal,
    codec: CursorCodec,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
    user_id: uuid.UUID | None = None,
    search: str | None = None,
) -> ConversationPage:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    member_id = caller.member_filter(user_id)
    search = search.strip() if search else None
    scope = _scope_key(caller.organization_id, member_id, search)
    after = None
    if cursor:
        try:
            after = codec.decode_position(cursor, scope)
        except InvalidCursor as exc:
            raise BadRequest(f"Invalid cursor: {exc}") from exc
    # One row more than the page tells whether another page follows.
    rows, total = await repository.page(
        reader, caller.organization_id, member_id, after=after, limit=page_size + 1, search=search
    )
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        next_cursor = codec.encode_position(
            scope, parse_utc_text(last[ROW_UPDATED]), uuid.UUID(last[ROW_ID])
        )
    return ConversationPage(rows, next_cursor, page_size, total)


async def get_conversation(
    conn: AsyncConnection,
    caller: Principal,
    conversation_id: uuid.UUID,
    *,
    public_url: str,
    user_id: uuid.UUID | None = None,
) -> JsonObject:
    """The thread with its messages, oldest first.

    Omni's docs page and its SDK name this response's fields differently; it carries
    both (decision 0013): ``userId`` and ``organizationId`` from the docs page, ``name``
    from the SDK, and each message's text and time as ``content``/``timestamp`` (docs)
    and ``text``/``createdAt`` (SDK)."""
    found = await repository.get(
        conn, caller.organization_id, caller.member_filter(user_id), conversation_id
    )
    if found is None:
        raise NotFound(f"No conversation {conversation_id}")
    chat = f"{public_url}/chat/{found.id}"
    files = await job_rows.attachments_by_job(conn, found.id)
    messages = []
    for message in await repository.messages_of(conn, found.id):
        item = message.to_wire(chat)
        if message.role == "user" and message.job_id in files:
            item["attachments"] = files[message.job_id]
        messages.append(item)
    return {
        "id": str(found.id),
        "userId": str(found.membership_id),
        "organizationId": str(found.organization_id),
        "name": found.name,
        "createdAt": to_wire(found.created_at),
        "updatedAt": to_wire(found.updated_at),
        "messages": messages,
    }


async def rename(
    conn: AsyncConnection,
    caller: Principal,
    conversation_id: uuid.UUID,
    name: str,
    *,
    user_id: uuid.UUID | None = None,
) -> JsonObject:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise BadRequest(f"name must be 1 to {MAX_NAME} characters")
    scope = caller.member_filter(user_id)
    found = await repository.get(conn, caller.organization_id, scope, conversation_id)
    if found is None:
        raise NotFound(f"No conversation {conversation_id}")
    await repository.rename(conn, caller.organization_id, conversation_id, name)
    return replace(found, name=name).to_wire()


async def delete(
    conn: AsyncConnection,
    caller: Principal,
    conversation_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    """Delete a thread with its messages, jobs, results and pending webhooks."""
    scope = caller.member_filter(user_id)
    found = await repository.get(
        conn, caller.organization_id, scope, conversation_id, for_update=True
    )
    if found is None:
        raise NotFound(f"No conversation {conversation_id}")
    await job_rows.delete_jobs(conn, conversation_id)
    await repository.remove(conn, caller.organization_id, found.membership_id, conversation_id)
