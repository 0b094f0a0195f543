"""The accounts commands print each record through its ``to_wire``: the same keys as
before for every command, and the record's fields in one form wherever it is printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import json_cli


def test_accounts_json_keeps_its_keys_and_one_form_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parley = json_cli(tmp_path, monkeypatch)

    org = parley("orgs", "create", "Shop", "--owner-email", "o@shop.io", "--rate-limit", "7")
    assert set(org) == {"id", "name", "ownerMembershipId", "ownerEmail", "rateLimitPerMinute"}
    assert (org["name"], org["ownerEmail"], org["rateLimitPerMinute"]) == ("Shop", "o@shop.io", 7)
    listed = {o["id"]: o for o in parley("orgs", "list")["organizations"]}
    assert listed[org["id"]] == {"id": org["id"], "name": "Shop", "rateLimitPerMinute": 7}

    member = parley("members", "add", "--org", org["id"], "--email", "ann@shop.io")
    assert member == {
        "id": member["id"],
        "organizationId": org["id"],
        "email": "ann@shop.io",
        "role": "MEMBER",
    }
    members = {m["id"]: m for m in parley("members", "list", "--org", org["id"])["members"]}
    assert members[member["id"]] == {"id": member["id"], "email": "ann@shop.io", "role": "MEMBER"}
    assert members[org["ownerMembershipId"]]["role"] == "ORG_ADMIN"

    key = parley("keys", "create", "--org", org["id"], "--member", member["id"], "--name", "ci")
    assert set(key) == {"id", "kind", "organizationId", "membershipId", "expiresAt", "token"}
    assert (key["kind"], key["membershipId"], key["expiresAt"]) == ("personal", member["id"], None)
    keys = {k["id"]: k for k in parley("keys", "list", "--org", org["id"])["keys"]}
    shared = {k: key[k] for k in ("id", "kind", "membershipId", "expiresAt")}
    assert keys[key["id"]] == {**shared, "name": "ci", "revoked": False}
    parley("keys", "revoke", key["id"])
    assert parley("keys", "list", "--org", org["id"])["keys"][0]["revoked"] is True
