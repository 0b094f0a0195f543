"""`parley ask`: a question over HTTP, its progress and its answer."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from parley.cli.options import JsonFlag
from parley.cli.running import console, err_console, fail
from parley.config import Settings


def ask_defaults(settings: Settings) -> dict[str, str]:
    try:
        data: dict[str, str] = json.loads(settings.credentials_path.read_text())
        return data
    except (OSError, ValueError):
        return {}


def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    conversation: Annotated[
        str | None, typer.Option(help="Continue this conversation (its ID).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Parley's base URL (default: PARLEY_PUBLIC_URL).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="API key or personal token (default: the first-run personal token)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Semantic model ID (default: the first one listed).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer.")] = 120.0,
    as_json: JsonFlag = False,
) -> None:
    """Ask a question over HTTP: submit a job, show its progress, print the answer."""
    from parley.jobs import asking

    settings = Settings()
    defaults = ask_defaults(settings)
    base = (url or defaults.get("baseUrl") or settings.resolved_public_url).rstrip("/")
    secret = token or defaults.get("personalToken")
    if not secret:
        fail(as_json, "no token: pass --token (or run `parley serve` once for demo keys)", 401)
    drafted: list[str] = []
    try:
        outcome = asking.ask(
            base,
            secret,
            question,
            conversation_id=conversation,
            model_id=model,
            timeout=timeout,
            on_progress=None if as_json else lambda text: err_console.print(f"[dim]… {text}[/dim]"),
            on_draft=None if as_json else _draft_printer(drafted),
        )
    except asking.AskError as error:
        fail(as_json, error.detail, error.status)
    if as_json:
        sys.stdout.write(json.dumps(outcome, default=str) + "\n")
        if outcome["job"]["state"] != "COMPLETE":
            raise typer.Exit(1)
        return
    if drafted:
        err_console.print()  # end the line the draft was written on
    asking.show(console, err_console, outcome)
    if outcome["job"]["state"] != "COMPLETE":
        raise typer.Exit(1)


def _draft_printer(drafted: list[str]) -> Callable[[str], None]:
    """Prints the answer as the model writes it, on stderr (the finished answer goes
    to stdout)."""

    def show(piece: str) -> None:
        drafted.append(piece)
        err_console.print(piece, end="", style="dim", highlight=False)

    return show
