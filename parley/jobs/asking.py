"""``parley ask``: a question over HTTP, as any Omni client would ask it — submit a job,
poll it while showing progress, then fetch the answer."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from parley.jobs.records import FINAL, JobState

POLL_SECONDS = 0.1


class AskError(Exception):
    def __init__(self, detail: str, status: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            detail = str(response.json().get("detail"))
        except ValueError:
            detail = response.text[:200]
        raise AskError(detail, response.status_code)
    data: dict[str, Any] = response.json()
    return data


def ask(
    base_url: str,
    token: str,
    question: str,
    *,
    conversation_id: str | None = None,
    model_id: str | None = None,
    timeout: float = 120.0,
    on_progress: Callable[[str], None] | None = None,
    on_draft: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The final job status and, when COMPLETE, its result. ``on_draft`` gets each new
    piece of the answer as a model writes it."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            if model_id is None:
                records = _checked(http.get("/api/v1/models", params={"pageSize": 1}))["records"]
                if not records:
                    raise AskError("the organization has no semantic model; add one", 404)
                model_id = str(records[0]["id"])
            body: dict[str, Any] = {"modelId": model_id, "prompt": question}
            if conversation_id:
                body["conversationId"] = conversation_id
            job_id = _checked(http.post("/api/v1/ai/jobs", json=body))["jobId"]
            deadline = time.monotonic() + timeout
            shown = drafted = ""
            while True:
                job = _checked(http.get(f"/api/v1/ai/jobs/{job_id}"))
                progress = job.get("progress") or {}
                message = progress.get("message") or job["state"].lower()
                draft = progress.get("draft") or ""
                if on_draft is not None and draft.startswith(drafted) and draft != drafted:
                    on_draft(draft[len(drafted) :])
                    drafted = draft
                elif on_progress is not None and message != shown and not drafted:
                    shown = message
                    on_progress(message)
                if job["state"] in FINAL:
                    break
                if time.monotonic() > deadline:
                    raise AskError(f"no answer after {timeout:.0f} s (job {job_id})", 504)
                time.sleep(POLL_SECONDS)
            result = None
            if job["state"] == JobState.COMPLETE:
                result = _checked(http.get(f"/api/v1/ai/jobs/{job_id}/result"))
    except httpx.HTTPError as error:
        raise AskError(f"cannot reach {base_url}: {error}", 503) from error
    return {"job": job, "result": result}


def show(console: Console, err_console: Console, outcome: dict[str, Any]) -> None:
    job, result = outcome["job"], outcome["result"]
    if result is None:
        error = job.get("error") or {}
        err_console.print(f"[red]{job['state']}:[/red] {error.get('message', '')}", highlight=False)
        if error.get("detail"):
            err_console.print(error["detail"], highlight=False)
        return
    # The Markdown answer without its table: the CSV below is the whole table.
    console.print(Markdown(result["message"].split("\n\n| ", 1)[0]))
    for action in result["actions"]:
        data = action.get("result") or {}
        if not data.get("csvResult"):
            continue
        rows = list(csv.reader(io.StringIO(data["csvResult"])))
        table = Table(*rows[0], show_lines=False)
        for row in rows[1:51]:
            table.add_row(*row)
        console.print(table)
        if len(rows) > 51:
            console.print(f"({len(rows) - 51} more rows)", highlight=False)
    console.print(f"conversation {job['conversationId']}  {job['omniChatUrl']}", highlight=False)
