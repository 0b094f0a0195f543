"""Option types every command group shares: ``--json``, ``--org`` and ``--dataset``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from parley.config import Settings
from parley.datasets import DATASETS, Dataset, dataset

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{what} must be a UUID, got {value!r}") from None


def _organization_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"must be a UUID, got {value!r}") from None


# One --org for every command: parsed to a UUID before the command runs, so a typo is a
# usage error and never reaches the database.
OrgOption = Annotated[
    uuid.UUID,
    typer.Option("--org", help="Organization ID.", parser=_organization_id),
]
OptionalOrgOption = Annotated[
    uuid.UUID | None,
    typer.Option(
        "--org",
        help="Organization ID for --register.",
        parser=_organization_id,
    ),
]

DatasetOption = Annotated[
    str,
    typer.Option("--dataset", help=f"Which synthetic warehouse: {', '.join(DATASETS)}."),
]


def pick_dataset(name: str) -> Dataset:
    try:
        return dataset(name)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--dataset") from None


def warehouse_path(settings: Settings, chosen: Dataset) -> Path:
    return settings.home / chosen.warehouse_file()
