"""The check that every number of a written answer comes from the rows."""

from __future__ import annotations

from parley.llm.numbers import unsupported_numbers

COLUMNS = ["users.region", "order_items.revenue"]
ROWS: list[list[str | int | float | bool | None]] = [
    ["Europe", 1234567.891],
    ["Americas", 800000.0],
    ["Asia", 365432.1],
]


def check(text: str, question: str = "") -> list[str]:
    return unsupported_numbers(text, COLUMNS, ROWS, question=question)


def test_values_as_written_or_rounded_pass() -> None:
    assert check("Europe leads with $1,234,567.89, then Americas with 800,000.") == []
    assert check("Europe brought in about 1.23 million, or $1.2M.") == []
    assert check("Asia: 365,432 (rounded).") == []


def test_derived_numbers_pass() -> None:
    total = 1234567.891 + 800000.0 + 365432.1
    assert check(f"Together {total:,.0f}.") == []
    share = 100 * 1234567.891 / total
    assert check(f"Europe is {share:.1f}% of the total.") == []
    assert check("Europe is 434,568 ahead of the Americas.") == []  # a difference
    assert check("Europe earned 54.3% more than the Americas.") == []  # a change
    assert check("The three regions, ranked:\n1. Europe\n2. Americas\n3. Asia") == []


def test_numbers_from_the_question_pass() -> None:
    assert check("In 2025, Europe led.", question="Revenue by region in 2025") == []


def test_invented_numbers_fail() -> None:
    assert check("Europe made 1,500,000 and grew 12% year over year.") == ["1,500,000", "12%"]
    assert check("Asia made $2.1M.") == ["$2.1M"]
    # Rounding tolerance is the precision written: 1.24 million is not 1,234,568.
    assert check("Europe: 1.24 million.") == ["1.24 million"]
