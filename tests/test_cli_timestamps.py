"""The CLI's JSON writes times as the API does: RFC 3339, UTC, milliseconds, ``Z``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import json_cli

API_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_key_and_usage_times_are_in_the_api_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parley = json_cli(tmp_path, monkeypatch)

    org = parley("orgs", "create", "Shop")["id"]
    created = parley("keys", "create", "--org", org, "--expires-in", "3")
    assert API_TIME.match(created["expiresAt"]), created
    listed = {k["id"]: k for k in parley("keys", "list", "--org", org)["keys"]}
    assert listed[created["id"]]["expiresAt"] == created["expiresAt"]
    revoked = parley("keys", "revoke", created["id"])
    assert API_TIME.match(revoked["revokedAt"]), revoked
    usage = parley("orgs", "usage", org, "--since", "2026-05-01")
    assert usage["since"] == "2026-05-01T00:00:00.000Z"
