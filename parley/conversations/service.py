"""Rules of the conversation list (SPEC §4.1): scope, order, pages, totals."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from parley.auth.principal import Principal
from parley.conversations import repository
from parley.errors import BadRequest
from parley.kit.cursors import CursorCodec, InvalidCursor
from parley.kit.timestamps import wire_millis

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ConversationPage:
    rows: list[Any]
    next_cursor: str | None
    page_size: int
    total: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "data": [
                {
                    "id": row.id,
                    "name": row.name,
                    "lastUserPrompt": row.last_user_prompt,
                    "updatedAt": wire_millis(row.updated_at),
                    "createdAt": wire_millis(row.created_at),
                }
                for row in self.rows
            ],
            "pageInfo": {
                "hasNextPage": self.next_cursor is not None,
                "nextCursor": self.next_cursor,
                "pageSize": self.page_size,
                "totalRecords": self.total,
            },
        }


def _scope_key(org_id: uuid.UUID, member_id: uuid.UUID | None, search: str | None) -> str:
    # What a cursor is bound to. The search text is hashed so cursors stay short.
    searched = hashlib.sha256(search.encode()).hexdigest()[:16] if search else ""
    return f"{org_id.hex}:{member_id.hex if member_id else '*'}:{searched}"


def _position(codec: CursorCodec, cursor: str, scope: str) -> tuple[datetime, uuid.UUID]:
    try:
        updated_at, conversation_id = codec.decode(cursor, scope)
        position = datetime.fromisoformat(updated_at), uuid.UUID(conversation_id)
    except (InvalidCursor, ValueError) as exc:
        raise BadRequest(f"Invalid cursor: {exc}") from exc
    if position[0].tzinfo is None:
        raise BadRequest("Invalid cursor: malformed cursor")
    return position


async def list_conversations(
    conn: AsyncConnection,
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
    after = _position(codec, cursor, scope) if cursor else None
    # One row more than the page tells whether another page follows.
    if search:
        rows = await repository.page(
            conn,
            caller.organization_id,
            member_id,
            after=after,
            limit=page_size + 1,
            search=search,
        )
        total = await repository.count_matching(conn, caller.organization_id, member_id, search)
    else:
        rows, total = await repository.page_with_total(
            conn, caller.organization_id, member_id, after=after, limit=page_size + 1
        )
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = None
    if has_next:
        last = rows[-1]
        next_cursor = codec.encode(scope, [last.updated_at, last.id])
    return ConversationPage(rows, next_cursor, page_size, total)
