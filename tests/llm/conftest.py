from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.fake_llm import FakeLLM, serving


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    yield FakeLLM()


@pytest.fixture
def llm_url(fake_llm: FakeLLM) -> Iterator[str]:
    with serving(fake_llm) as url:
        yield url
