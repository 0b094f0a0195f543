"""How a command talks and runs: its output (human or ``--json``), its errors and the
migrated database it works on."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from parley import migrate
from parley.config import Settings
from parley.db.database import Database
from parley.http.errors import ApiError

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, default=str) + "\n")
    else:
        console.print(human, highlight=False, soft_wrap=True)


def run(as_json: bool, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against a migrated database; a domain error ends the command cleanly."""

    async def runner() -> T:
        database = Database(Settings().resolved_database_url)
        try:
            await migrate.upgrade(database)
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(runner())
    except ApiError as exc:
        fail(as_json, exc.detail, exc.status)


def fail(as_json: bool, detail: str, status: int) -> NoReturn:
    if as_json:
        sys.stdout.write(json.dumps({"detail": detail, "status": status}) + "\n")
    else:
        err_console.print(f"[red]error:[/red] {detail}", highlight=False)
    raise typer.Exit(1)


def progress_bar(as_json: bool) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=as_json or not err_console.is_terminal,
    )
