"""The fake OpenAI-compatible provider (bench/fake_llm.py), served on 127.0.0.1 per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.fake_llm import FakeLLM, serving


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A fake provider already listening; script its replies before the calls."""
    fake = FakeLLM()
    with serving(fake):
        yield fake


@pytest.fixture
def llm_url(fake_llm: FakeLLM) -> str:
    """The served fake's base URL, as ``PARLEY_LLM_BASE_URL`` takes it."""
    return fake_llm.base_url
