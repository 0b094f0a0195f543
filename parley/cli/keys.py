"""`parley keys`: organization API keys and personal access tokens."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from parley.accounts import repository as accounts
from parley.accounts import service as account_service
from parley.cli.options import JsonFlag, OrgOption, parse_uuid
from parley.cli.running import emit, run
from parley.db.database import Database
from parley.kit.timestamps import to_wire

app = typer.Typer(no_args_is_help=True, help="API keys and personal access tokens.")


@app.command("create")
def keys_create(
    org_id: OrgOption,
    member: Annotated[
        str | None,
        typer.Option("--member", help="Membership ID: makes a personal access token."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
    expires_in: Annotated[
        int | None, typer.Option("--expires-in", help="Days until the key expires.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an organization key, or a personal token with --member. Shown once."""
    member_id = parse_uuid(member, "--member") if member else None

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            new = await account_service.create_key(
                conn, org_id, member_id, name=name, expires_in_days=expires_in
            )
        return {
            **new.key.to_wire(),
            "organizationId": str(new.key.organization_id),
            "token": new.token,
        }

    data = run(as_json, work)
    emit(
        as_json,
        data,
        f"Key {data['id']} ({data['kind']})\n{data['token']}\n"
        "Store the token now: it is not shown again.",
    )


@app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="API key ID.")], as_json: JsonFlag = False
) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    key_id = parse_uuid(key, "KEY_ID")

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            revoked = await account_service.revoke_key(conn, key_id)
        at = revoked.revoked_at
        return {"id": str(revoked.id), "revokedAt": to_wire(at) if at else None}

    data = run(as_json, work)
    emit(as_json, data, f"Key {data['id']} revoked at {data['revokedAt']}")


@app.command("list")
def keys_list(
    org_id: OrgOption,
    as_json: JsonFlag = False,
) -> None:
    """List an organization's keys (never their secrets)."""

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            keys = await accounts.list_api_keys(conn, org_id)
        return [{**k.to_wire(), "name": k.name, "revoked": k.revoked_at is not None} for k in keys]

    rows = run(as_json, work)
    emit(
        as_json,
        {"keys": rows},
        "\n".join(
            f"{r['id']}  {r['kind']:<12}  {'revoked' if r['revoked'] else 'active':<7}  "
            f"{r['name'] or ''}"
            for r in rows
        ),
    )
