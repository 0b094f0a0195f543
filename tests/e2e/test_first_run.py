"""End to end over real HTTP: a fresh ``parley serve``, its first-run keys, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bench.support.server import cli, cli_json, environment, running_server

LIST = "/api/v1/ai/conversations"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_first_run_keys_work_and_the_cli_manages_an_organization(
    database_url: str, tmp_path: Path
) -> None:
    env = environment(tmp_path / "home", database_url)
    with running_server(env) as server:
        creds = server.credentials()
        assert oct((server.home / "credentials.json").stat().st_mode & 0o777) == "0o600"
        # The README's curl example: the personal token lists (no) conversations.
        first = httpx.get(server.url + LIST, headers=bearer(creds["personalToken"]))
        assert first.status_code == 200
        assert first.json()["pageInfo"]["totalRecords"] == 0
        who = httpx.get(server.url + "/api/v1/whoami", headers=bearer(creds["organizationKey"]))
        assert who.json()["keyScope"] == "organization"
        # The demo model answers from the demo warehouse built on first run.
        models = httpx.get(server.url + "/api/v1/models", headers=bearer(creds["personalToken"]))
        assert [m["id"] for m in models.json()["records"]] == [creds["modelId"]]
        answer = httpx.post(
            server.url + "/api/v1/ai/generate-query",
            json={"modelId": creds["modelId"], "prompt": "How many orders by status?"},
            headers=bearer(creds["personalToken"]),
            timeout=30,
        ).json()
        assert answer["error"] is None
        statuses = {row[0] for row in answer["result"]["rows"]}
        assert statuses == {"Processing", "Shipped", "Complete", "Cancelled", "Returned"}
        assert sum(row[1] for row in answer["result"]["rows"]) == 50_000

        org = cli_json(env, "orgs", "create", "Initech", "--owner-email", "boss@initech.io")
        member = cli_json(env, "members", "add", "--org", org["id"], "--email", "ann@initech.io")
        assert member["role"] == "MEMBER"
        org_key = cli_json(env, "keys", "create", "--org", org["id"], "--name", "ci")
        pat = cli_json(env, "keys", "create", "--org", org["id"], "--member", member["id"])
        assert org_key["kind"] == "organization" and pat["kind"] == "personal"
        seeded = cli_json(
            env,
            "seed-conversations",
            "--org",
            org["id"],
            "--members",
            "4",
            "--conversations",
            "250",
            "--seed",
            "7",
        )
        assert seeded["conversations"] == 250 and seeded["messages"] >= 500

        everyone = httpx.get(
            server.url + LIST, params={"pageSize": 100}, headers=bearer(org_key["token"])
        ).json()
        assert everyone["pageInfo"]["totalRecords"] == 250
        assert len(everyone["data"]) == 100 and everyone["pageInfo"]["hasNextPage"]
        names = [c["name"] for c in everyone["data"]]
        assert None in names and any(names)
        assert all(c["lastUserPrompt"] for c in everyone["data"])
        # The new member has no conversations; the demo organization's keys see none of these.
        mine = httpx.get(server.url + LIST, headers=bearer(pat["token"])).json()
        assert mine["pageInfo"]["totalRecords"] == 0
        demo = httpx.get(server.url + LIST, headers=bearer(creds["organizationKey"])).json()
        assert demo["pageInfo"]["totalRecords"] == 0

        keys = cli_json(env, "keys", "list", "--org", org["id"])["keys"]
        assert {k["id"] for k in keys} >= {org_key["id"], pat["id"]}
        assert "token" not in str(keys)
        cli_json(env, "keys", "revoke", org_key["id"])
        revoked = httpx.get(server.url + LIST, headers=bearer(org_key["token"]))
        assert revoked.status_code == 401

        metrics = httpx.get(server.url + "/metrics").text
        assert 'route="/api/v1/ai/conversations"' in metrics
        assert httpx.get(server.url + "/readyz").status_code == 200

    # A second start finds organizations and creates no second demo.
    with running_server(env) as again:
        assert again.credentials() == creds
        orgs = cli_json(env, "orgs", "list")["organizations"]
        assert [o["name"] for o in orgs].count("Demo") == 1


def test_cli_errors_are_clear_and_change_nothing(database_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path / "home", database_url)
    org = cli_json(env, "orgs", "create", "Umbrella")
    bad_role = cli(
        env,
        "members",
        "add",
        "--org",
        org["id"],
        "--email",
        "a@b.io",
        "--role",
        "KING",
        "--json",
        check=False,
    )
    assert bad_role.returncode == 1
    assert '"status": 400' in bad_role.stdout
    missing = cli(
        env, "keys", "create", "--org", "00000000-0000-0000-0000-000000000000", check=False
    )
    assert missing.returncode == 1 and "no organization" in missing.stderr
    not_uuid = cli(env, "keys", "revoke", "nope", check=False)
    assert not_uuid.returncode != 0 and "UUID" in not_uuid.stderr
    cli_json(env, "members", "add", "--org", org["id"], "--email", "a@b.io")
    duplicate = cli(env, "members", "add", "--org", org["id"], "--email", "A@B.io", check=False)
    assert duplicate.returncode == 1 and "already a member" in duplicate.stderr
    members = cli_json(env, "members", "list", "--org", org["id"])["members"]
    assert sorted(m["email"] for m in members) == ["a@b.io", "owner@example.com"]


def test_demo_data_models_and_eval_from_the_command_line(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = environment(tmp_path / "home", None, PARLEY_NOW="2026-11-26T12:00:00Z")
    path = tmp_path / "demo.duckdb"
    built = cli_json(env, "demo-data", "--as-of", "2026-11-26", "--seed", "42", "--path", str(path))
    assert built["asOf"] == "2026-11-26" and path.exists()
    report = cli_json(
        env, "eval", "--file", str(repo / "eval" / "examples.yaml"), "--warehouse", str(path)
    )
    assert report["total"] == 15 and report["passed"] == 15
    org = cli_json(env, "orgs", "create", "Evaluators")
    model = cli_json(
        env,
        "models",
        "add",
        "--org",
        org["id"],
        "--file",
        str(repo / "parley/demo/model.yaml"),
        "--connection",
        f"duckdb:///{path}",
    )
    assert model["topics"] == ["order_items", "users"]
    assert [m["id"] for m in cli_json(env, "models", "list", "--org", org["id"])["models"]] == [
        model["id"]
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (repo / "parley/demo/model.yaml").read_text().replace("type: sum", "type: summ", 1)
    )
    refused = cli(
        env,
        "models",
        "add",
        "--org",
        org["id"],
        "--file",
        str(broken),
        "--connection",
        f"duckdb:///{path}",
        check=False,
    )
    assert refused.returncode == 1
    assert "broken.yaml:" in refused.stderr and "summ" in refused.stderr


def test_eval_against_a_running_server(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = environment(
        tmp_path / "home",
        None,
        PARLEY_NOW="2026-11-26T12:00:00Z",
        PARLEY_DEMO_AS_OF="2026-11-26",
    )
    with running_server(env) as server:
        report = cli_json(
            env,
            "eval",
            "--file",
            str(repo / "eval" / "examples.yaml"),
            "--url",
            server.url,
            "--token",
            server.credentials()["personalToken"],
        )
    assert (report["passed"], report["total"]) == (15, 15), report


def test_an_example_dataset_is_built_registered_and_evaluated_from_the_command_line(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path / "home", None, PARLEY_NOW="2026-11-26T12:00:00Z")
    org = cli_json(env, "orgs", "create", "Saas Co")
    built = cli_json(
        env,
        "demo-data",
        "--dataset",
        "saas",
        "--as-of",
        "2026-11-26",
        "--register",
        "--org",
        org["id"],
    )
    assert built["dataset"] == "saas"
    assert built["path"] == str(tmp_path / "home" / "saas.duckdb")
    assert built["model"]["topics"] == ["accounts", "subscriptions", "invoices"]
    listed = cli_json(env, "models", "list", "--org", org["id"])["models"]
    assert [(m["id"], m["name"]) for m in listed] == [(built["model"]["id"], "SaaS subscriptions")]
    assert listed[0]["connection"] == f"duckdb:///{tmp_path / 'home' / 'saas.duckdb'}"

    right = tmp_path / "right.yaml"
    right.write_text("- q: How many accounts do we have?\n  sql: SELECT COUNT(*) FROM accounts\n")
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(
        "- q: How many accounts do we have?\n  sql: SELECT COUNT(*) + 1 FROM accounts\n"
        "- q: What is the weather in Paris?\n  sql: SELECT 1\n"
        "- q: What is the weather in Paris?\n  expect: refusal\n"
    )
    both = cli(env, "eval", "--dataset", "saas", str(right), str(mixed), "--json", check=False)
    assert both.returncode == 1
    sets = json.loads(both.stdout)["sets"]
    assert [(s["file"], s["right"], s["wrong"], s["refused"]) for s in sets] == [
        (str(right), 1, 0, 0),
        (str(mixed), 1, 1, 1),
    ]
    text = cli(env, "eval", "--dataset", "saas", str(mixed), check=False)
    assert f"{mixed}: 3 questions, 1 right, 1 wrong, 1 refused" in text.stdout
    assert "WRONG" in text.stdout and "REFUSED" in text.stdout
    # Any model and warehouse: the user's own are evaluated the same way.
    own = cli_json(
        env,
        "eval",
        "--model-file",
        str(Path(__file__).resolve().parents[2] / "parley/datasets/saas.yaml"),
        "--warehouse",
        built["path"],
        str(right),
    )
    assert (own["right"], own["total"]) == (1, 1)
    missing = cli(env, "eval", "--dataset", "logistics", str(right), check=False)
    assert missing.returncode == 1 and "parley demo-data --dataset logistics" in missing.stderr
    unknown = cli(env, "demo-data", "--dataset", "retail", check=False)
    assert unknown.returncode == 2 and "unknown dataset 'retail'" in unknown.stderr
