"""Synthetic members and conversations for demos and benchmarks.

Deterministic for a given seed: the same command builds the same names, prompts and
timestamps (ids are random UUIDs from the same generator, so they repeat too).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parley.accounts import repository as accounts
from parley.conversations import repository
from parley.db.database import Database
from parley.http.errors import BadRequest, NotFound
from parley.kit import clock
from parley.tables import conversations, memberships, messages

FIRST = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Ben",
    "Carla",
    "Chen",
    "Dara",
    "Diego",
    "Elena",
    "Emil",
    "Fatima",
    "Grace",
    "Hana",
    "Ian",
    "Ines",
    "Jonas",
    "Kai",
    "Lena",
    "Leo",
    "Maya",
    "Mateo",
    "Mei",
    "Nadia",
    "Noah",
    "Omar",
    "Priya",
    "Rafael",
    "Sara",
    "Tariq",
    "Uma",
    "Yuki",
    "Zoe",
]
LAST = [
    "Adams",
    "Baker",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
]
MEASURES = (
    "revenue",
    "orders",
    "items sold",
    "average sale price",
    "gross margin",
    "new customers",
    "returned items",
    "sales",
)
DIMENSIONS = (
    "region",
    "product category",
    "brand",
    "department",
    "traffic source",
    "country",
    "order status",
    "distribution center",
)
PERIODS = (
    "last month",
    "this year",
    "last quarter",
    "in 2025",
    "for Q1",
    "last week",
    "since March",
    "year to date",
    "in the last 30 days",
)
PROMPTS = (
    "Show me {m} by {d} {p}",
    "What were our top selling products {p}?",
    "How did {m} trend {p}?",
    "Which {d} had the highest {m} {p}?",
    "Compare {m} across {d} {p}",
    "Monthly {m} {p}",
    "Top 5 brands by {m} {p}",
    "Break down {m} by {d}",
    "What is the {m} {p}?",
)
FOLLOW_UPS = (
    "now break it down by {d}",
    "what about last year?",
    "only Europe",
    "sort by {m}",
    "top 10 only",
    "just for Women",
)
ANSWERS = (
    "Here is {m} by {d} {p}. The leader accounts for {x}% of the total.",
    "{m} {p} came to {n:,} across all {d}s; the table below has the details.",
    "{m} rose {x}% {p}, led by the strongest {d}.",
)


@dataclass(frozen=True)
class SeedReport:
    members: int
    conversations: int
    messages: int


def _title(rng: random.Random, measure: str, dimension: str) -> str:
    return rng.choice(
        (
            f"{measure.capitalize()} by {dimension}",
            f"{measure.capitalize()} trends",
            f"Top {dimension}s by {measure}",
            f"{rng.choice(('Q1', 'Q2', 'Q3', 'Q4'))} {measure} review",
            f"{dimension.capitalize()} performance",
        )
    )


def _conversation(
    rng: random.Random, org_id: uuid.UUID, member_id: uuid.UUID, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    measure, dimension, period = rng.choice(MEASURES), rng.choice(DIMENSIONS), rng.choice(PERIODS)
    created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
    conversation_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    turns = rng.choice((1, 1, 2, 2, 3))
    at = created
    rows: list[dict[str, Any]] = []
    prompt = ""
    for turn in range(turns):
        template = rng.choice(PROMPTS) if turn == 0 else rng.choice(FOLLOW_UPS)
        prompt = template.format(m=measure, d=dimension, p=period)
        prompt = prompt[0].upper() + prompt[1:]
        rows.append(_message(rng, org_id, conversation_id, "user", prompt, at))
        at = min(now, at + timedelta(seconds=rng.uniform(1, 30)))
        answer = rng.choice(ANSWERS).format(
            m=measure.capitalize(),
            d=dimension,
            p=period,
            x=rng.randint(2, 60),
            n=rng.randint(1_000, 9_000_000),
        )
        rows.append(_message(rng, org_id, conversation_id, "assistant", answer, at))
        if turn + 1 < turns:
            at = min(now, at + timedelta(seconds=rng.uniform(30, 3 * 86400)))
    # About one conversation in six was never named (its first answer failed, say).
    name = None if rng.random() < 0.16 else _title(rng, measure, dimension)
    row = {
        "id": conversation_id,
        "organization_id": org_id,
        "membership_id": member_id,
        "name": name,
        "last_user_prompt": prompt,
        "created_at": created,
        "updated_at": at,
    }
    return row, rows


def _message(
    rng: random.Random,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    role: str,
    text: str,
    at: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
        "organization_id": org_id,
        "conversation_id": conversation_id,
        "role": role,
        "text": text,
        "job_id": None,
        "created_at": at,
    }


def _batches(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


async def seed_conversations(
    database: Database,
    org_id: uuid.UUID,
    *,
    members: int,
    conversations_count: int,
    seed: int = 1,
    with_messages: bool = True,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 20_000,
) -> SeedReport:
    """Add ``members`` synthetic members and spread ``conversations_count`` conversations
    over them, with timestamps across the year before now."""
    if members < 1 or conversations_count < 0:
        raise BadRequest("--members must be at least 1 and --conversations at least 0")
    async with database.read() as conn:
        if await accounts.get_organization(conn, org_id) is None:
            raise NotFound(f"no organization {org_id}")
    rng = random.Random(seed)
    now = clock.utcnow()
    member_ids: list[uuid.UUID] = []
    member_rows: list[dict[str, Any]] = []
    tag = f"{seed}-{rng.getrandbits(24):06x}"  # keeps emails unique across seed runs
    for i in range(members):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        member_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        member_ids.append(member_id)
        member_rows.append(
            {
                "id": member_id,
                "organization_id": org_id,
                "email": f"{first.lower()}.{last.lower()}.{i}.{tag}@example.com",
                "display_name": f"{first} {last}",
                "role": "ORG_ADMIN" if i == 0 else "MEMBER",
                "created_at": now - timedelta(days=400),
            }
        )
    async with database.write() as conn:
        for start in range(0, len(member_rows), batch_size):
            await conn.execute(memberships.insert(), member_rows[start : start + batch_size])
    per_member: Counter[uuid.UUID] = Counter()
    message_count = 0
    for size in _batches(conversations_count, batch_size):
        conversation_rows: list[dict[str, Any]] = []
        message_rows: list[dict[str, Any]] = []
        for _ in range(size):
            member_id = rng.choice(member_ids)
            row, turns = _conversation(rng, org_id, member_id, now)
            per_member[member_id] += 1
            conversation_rows.append(row)
            if with_messages:
                message_rows.extend(turns)
        async with database.write() as conn:
            await conn.execute(conversations.insert(), conversation_rows)
            if message_rows:
                await conn.execute(messages.insert(), message_rows)
        message_count += len(message_rows)
        if progress:
            progress(size)
    async with database.write() as conn:
        await repository.adjust_totals(conn, org_id, per_member)
    return SeedReport(members, conversations_count, message_count)
