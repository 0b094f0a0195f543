"""The ``parley`` command. Every command also takes ``--json`` for scripts."""

from __future__ import annotations

import typer

from parley.cli import (
    ask,
    connections,
    data,
    evaluation,
    keys,
    members,
    models,
    orgs,
    server,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

# Every group and command is added here, in the order `parley --help` lists them.
app.add_typer(orgs.app, name="orgs")
app.add_typer(members.app, name="members")
app.add_typer(keys.app, name="keys")
app.add_typer(models.app, name="models")
app.add_typer(connections.app, name="connections")
app.command()(server.serve)
app.command("migrate")(server.migrate_command)
app.command("demo-data")(data.demo_data)
app.command("eval")(evaluation.eval_command)
app.command("seed-conversations")(data.seed_conversations)
app.command()(server.worker)
app.command("mcp")(server.mcp_command)
app.command()(ask.ask)


def main() -> None:
    app()
