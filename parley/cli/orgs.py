"""`parley orgs`: organizations, their rate limit, their monthly LLM limit and usage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from parley.accounts import repository as accounts
from parley.accounts import service as account_service
from parley.cli.options import JsonFlag, parse_uuid
from parley.cli.running import emit, run
from parley.db.database import Database
from parley.http.errors import NotFound
from parley.kit import clock
from parley.kit.timestamps import to_wire
from parley.llm import usage as llm_usage

app = typer.Typer(no_args_is_help=True, help="Organizations.")


@app.command("create")
def orgs_create(
    name: Annotated[str, typer.Argument(help="The organization's name.")],
    owner_email: Annotated[
        str, typer.Option(help="Email of the owner (an ORG_ADMIN member).")
    ] = "owner@example.com",
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute per token (default: no limit).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an organization and its owner membership."""

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            org, owner = await account_service.create_organization(
                conn, name, owner_email, rate_limit=rate_limit
            )
        return {**org.to_wire(), "ownerMembershipId": str(owner.id), "ownerEmail": owner.email}

    data = run(as_json, work)
    emit(
        as_json,
        data,
        f"Organization {data['id']} ({data['name']}); owner {data['ownerEmail']} is "
        f"membership {data['ownerMembershipId']}",
    )


@app.command("list")
def orgs_list(as_json: JsonFlag = False) -> None:
    """List organizations."""

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            orgs = await accounts.list_organizations(conn)
        return [o.to_wire() for o in orgs]

    rows = run(as_json, work)
    emit(as_json, {"organizations": rows}, "\n".join(f"{r['id']}  {r['name']}" for r in rows))


@app.command("update")
def orgs_update(
    org: Annotated[str, typer.Argument(help="Organization ID.")],
    rate_limit: Annotated[int | None, typer.Option(help="Requests per minute per token.")] = None,
    no_rate_limit: Annotated[bool, typer.Option(help="Remove the rate limit.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Change an organization's settings."""
    org_id = parse_uuid(org, "ORG_ID")
    if rate_limit is None and not no_rate_limit:
        raise typer.BadParameter("give --rate-limit N or --no-rate-limit")

    async def work(database: Database) -> None:
        async with database.write() as conn:
            await account_service.set_rate_limit(
                conn, org_id, None if no_rate_limit else rate_limit
            )

    run(as_json, work)
    limit = None if no_rate_limit else rate_limit
    emit(
        as_json,
        {"id": str(org_id), "rateLimitPerMinute": limit},
        f"Rate limit: {limit or 'none'}",
    )


@app.command("limit")
def orgs_limit(
    org: Annotated[str, typer.Argument(help="Organization ID.")],
    monthly_tokens: Annotated[
        int | None,
        typer.Option(help="LLM tokens (prompt and completion) the organization may use a month."),
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Remove the limit.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Set an organization's monthly LLM limit; over it, submits and generate-query
    answer 402."""
    org_id = parse_uuid(org, "ORG_ID")
    if (monthly_tokens is None) == (not none):
        raise typer.BadParameter("give --monthly-tokens N or --none")
    if monthly_tokens is not None and monthly_tokens < 0:
        raise typer.BadParameter("--monthly-tokens must be 0 or more")

    async def work(database: Database) -> dict[str, Any]:
        now = clock.utcnow()
        async with database.write() as conn:
            if await accounts.get_organization(conn, org_id) is None:
                raise NotFound(f"No organization {org_id}")
            await llm_usage.set_limit(conn, org_id, monthly_tokens, now=now)
            used = await llm_usage.month_tokens(conn, org_id, now)
        return {"id": str(org_id), "monthlyTokens": monthly_tokens, "usedThisMonth": used}

    data = run(as_json, work)
    limit = "none" if data["monthlyTokens"] is None else f"{data['monthlyTokens']:,} tokens a month"
    emit(as_json, data, f"LLM limit: {limit} (used this month: {data['usedThisMonth']:,})")


@app.command("usage")
def orgs_usage(
    org: Annotated[str, typer.Argument(help="Organization ID.")],
    by: Annotated[str, typer.Option(help="Group by member, purpose, day or job.")] = "member",
    since: Annotated[
        str | None, typer.Option(help="From this date (YYYY-MM-DD; default: this month).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Where an organization's LLM tokens went: calls and tokens by member, purpose
    (plan, answer), day or job."""
    org_id = parse_uuid(org, "ORG_ID")
    if by not in ("member", "purpose", "day", "job"):
        raise typer.BadParameter("--by must be member, purpose, day or job")
    try:
        start = (
            datetime.fromisoformat(since).replace(tzinfo=UTC)
            if since
            else llm_usage.month_start(clock.utcnow())
        )
    except ValueError:
        raise typer.BadParameter(f"--since must be a date, got {since!r}") from None

    async def work(database: Database) -> dict[str, Any]:
        async with database.read() as conn:
            if await accounts.get_organization(conn, org_id) is None:
                raise NotFound(f"No organization {org_id}")
            rows = await llm_usage.spend(conn, org_id, start, by)
            limit = await llm_usage.get_limit(conn, org_id)
            used = await llm_usage.month_tokens(conn, org_id, clock.utcnow())
            emails: dict[str, str] = {}
            if by == "member":
                members = await accounts.list_memberships(conn, org_id)
                emails = {str(m.id): m.email for m in members}
        return {
            "id": str(org_id),
            "since": to_wire(start),
            "by": by,
            "monthlyTokens": limit,
            "usedThisMonth": used,
            "rows": [
                {**row.to_wire(), **({"email": emails[row.key]} if row.key in emails else {})}
                for row in rows
            ],
        }

    data = run(as_json, work)
    lines = [
        f"Since {data['since'][:10]}, by {by}:",
        f"{'':40} {'calls':>7} {'tokens in':>12} {'tokens out':>12}",
    ]
    for row in data["rows"]:
        name = row.get("email") or row["key"]
        lines.append(
            f"{name[:40]:40} {row['calls']:>7,} {row['promptTokens']:>12,} "
            f"{row['completionTokens']:>12,}"
        )
    limit = data["monthlyTokens"]
    lines.append(
        f"This month: {data['usedThisMonth']:,} tokens"
        + (f" of {limit:,}" if limit is not None else " (no limit)")
    )
    emit(as_json, data, "\n".join(lines))
