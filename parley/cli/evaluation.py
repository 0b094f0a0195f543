"""`parley eval`: ask every question of a set and grade the answers."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from parley.assistant.evaluation import EvalReport, run_eval, run_remote_eval
from parley.assistant.runtime import open_warehouse
from parley.assistant.semantic_model import ModelError, load_model
from parley.cli.ask import ask_defaults
from parley.cli.options import DatasetOption, JsonFlag, pick_dataset, warehouse_path
from parley.cli.running import console, fail
from parley.config import Settings
from parley.datasets import Dataset
from parley.kit import clock


def eval_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Question sets in the eval format (default: eval/questions.yaml for the "
            "demo, eval/DATASET.yaml and eval/DATASET-heldout.yaml otherwise).",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="One question set (same as FILES).")
    ] = None,
    dataset_name: DatasetOption = "demo",
    warehouse: Annotated[
        Path | None,
        typer.Option(
            help="Warehouse for the expected answers, and in process for the answers too "
            "(default: DATASET.duckdb in PARLEY_HOME)."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Ask a running Parley instead, through AI jobs (set PARLEY_NOW alike)."),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Token for --url.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model ID for --url (default: the first one listed).")
    ] = None,
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model-file", help="Semantic model (YAML) in process (default: the dataset's)."
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="Run the answers on this warehouse URL instead (a copy of the dataset's data "
            "in PostgreSQL, ClickHouse, Spark, ...); expected answers still come from "
            "--warehouse."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask every question of each set; print each answer as right, WRONG or REFUSED, then
    the counts per set. Exits 1 unless every answer is right."""
    chosen = pick_dataset(dataset_name)
    settings = Settings()
    path = warehouse or warehouse_path(settings, chosen)
    if not path.exists():
        fail(
            as_json,
            f"no warehouse at {path}; build one with `parley demo-data --dataset {chosen.name}`",
            400,
        )
    sets = [*(files or []), *([file] if file else [])] or _default_sets(chosen)
    missing = [str(f) for f in sets if not f.exists()]
    if missing:
        fail(as_json, f"no question set at {', '.join(missing)}", 400)
    now = settings.now or clock.utcnow()
    secret = None
    if url is not None:
        secret = token or ask_defaults(settings).get("personalToken")
        if not secret:
            fail(as_json, "--url needs --token", 401)
    semantic_model = None
    if url is None:
        try:
            semantic_model = load_model(model_file or chosen.model_path)
        except OSError as error:
            fail(as_json, f"cannot read {model_file}: {error}", 400)
        except ModelError as error:
            fail(as_json, "\n".join(str(p) for p in error.problems), 400)
    other = None
    if target is not None:
        if url is not None:
            fail(as_json, "--target and --url do not go together", 400)
        try:
            other = open_warehouse(target)
        except Exception as error:  # any driver's failure to connect is the user's to fix
            fail(as_json, f"cannot open the warehouse: {error}", 400)
    reports: list[tuple[Path, EvalReport]] = []
    try:
        for questions in sets:
            if semantic_model is not None:
                report = run_eval(questions, path, semantic_model, now, target=other)
            elif secret is not None:
                report = _remote_eval(questions, path, now, str(url), secret, model, as_json)
            else:
                raise AssertionError("either a model or a server answers")
            reports.append((questions, report))
    finally:
        if other is not None:
            other.close()
    if as_json:
        sets_json = [{"file": str(f), **r.to_json()} for f, r in reports]
        # One set keeps the flat shape scripts already read.
        out = sets_json[0] if len(sets_json) == 1 else {"sets": sets_json}
        sys.stdout.write(json.dumps(out, default=str) + "\n")
    else:
        for questions, report in reports:
            _print_report(questions, report)
    if any(r.passed < r.total for _, r in reports):
        raise typer.Exit(1)


_MARKS = {
    "right": "[green]right[/green]  ",
    "wrong": "[red]WRONG[/red]  ",
    "refused": "[yellow]REFUSED[/yellow]",
}


def _default_sets(chosen: Dataset) -> list[Path]:
    if chosen.name == "demo":
        return [Path("eval/questions.yaml")]
    return [Path(f"eval/{chosen.name}.yaml"), Path(f"eval/{chosen.name}-heldout.yaml")]


def _print_report(questions: Path, report: EvalReport) -> None:
    console.print(f"[bold]{questions}[/bold]", highlight=False)
    for result in report.results:
        console.print(
            f"{_MARKS[result.outcome]}  {result.question.prompt}", highlight=False, soft_wrap=True
        )
        if not result.passed:
            console.print(f"           {result.difference}", highlight=False, soft_wrap=True)
    console.print(
        f"{questions}: {report.total} questions, {report.passed} right, {report.wrong} wrong, "
        f"{report.refused} refused (accuracy {report.accuracy:.1%})",
        highlight=False,
        soft_wrap=True,
    )


def _remote_eval(
    file: Path, path: Path, now: datetime, url: str, token: str, model: str | None, as_json: bool
) -> EvalReport:
    from parley.jobs import asking

    def ask_turn(
        prompt: str, conversation: str | None
    ) -> tuple[str | None, dict[str, Any] | None, dict[str, Any]]:
        outcome = asking.ask(
            url.rstrip("/"), token, prompt, conversation_id=conversation, model_id=model
        )
        job = outcome["job"]
        return (
            job["conversationId"],
            outcome["result"],
            job.get("error") or {"message": job["state"]},
        )

    try:
        return run_remote_eval(file, path, now, ask_turn)
    except asking.AskError as error:
        fail(as_json, error.detail, error.status)
