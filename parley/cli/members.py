"""`parley members`: an organization's members."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from parley.accounts import repository as accounts
from parley.accounts import service as account_service
from parley.cli.options import JsonFlag, OrgOption
from parley.cli.running import emit, run
from parley.db.database import Database

app = typer.Typer(no_args_is_help=True, help="Members of an organization.")


@app.command("add")
def members_add(
    org_id: OrgOption,
    email: Annotated[str, typer.Option(help="The member's email.")],
    role: Annotated[str, typer.Option(help="MEMBER or ORG_ADMIN.")] = "MEMBER",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a member to an organization."""

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            member = await account_service.add_member(conn, org_id, email, role.upper(), name)
        return {**member.to_wire(), "organizationId": str(member.organization_id)}

    data = run(as_json, work)
    emit(as_json, data, f"Membership {data['id']} ({data['email']}, {data['role']})")


@app.command("list")
def members_list(
    org_id: OrgOption,
    as_json: JsonFlag = False,
) -> None:
    """List an organization's members."""

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            members = await accounts.list_memberships(conn, org_id)
        return [m.to_wire() for m in members]

    rows = run(as_json, work)
    emit(
        as_json,
        {"members": rows},
        "\n".join(f"{r['id']}  {r['role']:<9}  {r['email']}" for r in rows),
    )
