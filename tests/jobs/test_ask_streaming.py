"""`parley ask` against a real server whose jobs are answered by a language model (the
fake endpoint): the answer shows on stderr as the model writes it, then in full."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.fake_llm import FakeLLM, Text, ToolCall
from bench.support.server import cli, environment, running_server
from tests.support.warehouses import NOW, small_warehouse_path

WORDS = "North America brought in the most revenue of all regions, ahead of Europe by a margin."
PLAN = {
    "table": "order_items",
    "fields": ["users.region", "order_items.revenue"],
    "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
}


def test_ask_shows_the_answer_as_it_is_written(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, fake_llm: FakeLLM
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(small_warehouse_path(tmp_path_factory), home / "demo.duckdb")
    # Eight chunks, 0.3 s apart: several drafts reach the job's progress.
    fake_llm.replies(ToolCall("semantic_query", PLAN), Text(WORDS, pause=0.3))
    env = environment(
        home,
        f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
        PARLEY_NOW=NOW.isoformat() + "Z",
        PARLEY_ACCESS_LOG="false",
        PARLEY_LLM_BASE_URL=fake_llm.base_url,
        PARLEY_LLM_MODEL="fake-model",
    )
    with running_server(env) as server:
        token = server.credentials()["personalToken"]
        asked = cli(env, "ask", "Revenue by region", "--url", server.url, "--token", token)
    # The answer, in full, on stdout; on stderr the progress and the draft as it grew.
    assert WORDS in " ".join(asked.stdout.split())
    drafted = "".join(asked.stderr.split())
    assert WORDS.replace(" ", "")[:20] in drafted
