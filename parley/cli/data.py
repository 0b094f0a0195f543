"""Synthetic data: warehouses (`parley demo-data`) and conversations
(`parley seed-conversations`)."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from parley.assistant.runtime import DUCKDB_PREFIX
from parley.cli.models import register_model
from parley.cli.options import (
    DatasetOption,
    JsonFlag,
    OptionalOrgOption,
    OrgOption,
    pick_dataset,
    warehouse_path,
)
from parley.cli.running import emit, progress_bar, run
from parley.config import Settings
from parley.conversations import synthetic
from parley.db.database import Database
from parley.kit import clock


def demo_data(
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Data ends the day before (default: today)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed and date, same data.")] = 42,
    path: Annotated[
        Path | None,
        typer.Option(help="Output file (default: DATASET.duckdb in PARLEY_HOME)."),
    ] = None,
    dataset_name: DatasetOption = "demo",
    register: Annotated[
        bool,
        typer.Option(
            "--register", help="Also register the dataset's model for --org, on this file."
        ),
    ] = False,
    org_id: OptionalOrgOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Build a synthetic warehouse (DuckDB): the demo shop, or another worked example."""
    chosen = pick_dataset(dataset_name)
    if register and org_id is None:
        raise typer.BadParameter("--register needs --org ORG_ID")
    settings = Settings()
    target = path or warehouse_path(settings, chosen)
    day = as_of.date() if as_of else clock.utcnow().date()
    started = time.perf_counter()
    with progress_bar(as_json) as bar:
        task = bar.add_task(f"{chosen.name} warehouse", total=None)
        chosen.build(
            target, day, seed, lambda done, total: bar.update(task, completed=done, total=total)
        )
    seconds = time.perf_counter() - started
    data: dict[str, Any] = {
        "dataset": chosen.name,
        "path": str(target),
        "asOf": day.isoformat(),
        "seed": seed,
        "seconds": round(seconds, 2),
    }
    human = f"Built {target} ({chosen.name}, as of {day}, seed {seed}) in {seconds:.1f} s"
    if org_id is not None and register:
        model = register_model(
            as_json, org_id, chosen.model_path, DUCKDB_PREFIX + str(target.resolve()), chosen.title
        )
        data["model"] = {"id": str(model.id), "name": model.name, "topics": model.topics}
        human += f"\nModel {model.id} ({model.name}); topics: {', '.join(model.topics)}"
    emit(as_json, data, human)


def seed_conversations(
    org_id: OrgOption,
    members: Annotated[int, typer.Option(help="Synthetic members to add.")],
    conversations: Annotated[int, typer.Option(help="Conversations to spread over them.")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 1,
    messages: Annotated[bool, typer.Option(help="Also write each conversation's messages.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Add synthetic members and conversations, for demos and benchmarks."""

    async def work(database: Database) -> synthetic.SeedReport:
        with progress_bar(as_json) as bar:
            task = bar.add_task("conversations", total=conversations)
            return await synthetic.seed_conversations(
                database,
                org_id,
                members=members,
                conversations_count=conversations,
                seed=seed,
                with_messages=messages,
                progress=lambda n: bar.advance(task, n),
            )

    report = run(as_json, work)
    emit(
        as_json,
        asdict(report),
        f"Added {report.members} members, {report.conversations} conversations and "
        f"{report.messages} messages.",
    )
