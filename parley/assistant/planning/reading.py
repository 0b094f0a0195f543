"""What one pass over a prompt understood, filled in step by step."""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.assistant.outcome import Unclear
from parley.assistant.semantic_model import Timeframe
from parley.assistant.timewords import TimeRange


@dataclass
class Reading:
    measures: list[str] = field(default_factory=list)
    dimensions: list[tuple[str, bool]] = field(default_factory=list)  # (field, asked as plural)
    filters: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # value, negated
    time_field: str | None = None
    time_range: TimeRange | None = None
    grain: Timeframe | None = None
    rank_word: str | None = None  # "top", "worst", "cheapest"...
    rank_descending: bool | None = None  # from the word alone; "best"/"worst" wait for a measure
    rank_limit: int | None = None
    rank_explicit: bool = False  # the prompt gave the number ("top 5", "which 3")
    implied_word: str | None = None  # "how long": a measure implied with no ranking
    rank_measure: str | None = None
    sort_measure: str | None = None
    unknown: list[str] = field(default_factory=list)
    listing: bool = False
    grouped: set[str] = field(default_factory=set)  # dimensions asked "by"
    # Words that could name a value, field or period and matched nothing (or too much).
    unclear: list[Unclear] = field(default_factory=list)
    # Words read loosely ("Acme" as "Acme Industries Inc."), for the read-back sentence.
    notes: list[str] = field(default_factory=list)
    # Words neither used nor known to be filler: reported, not silently dropped.
    ignored: list[str] = field(default_factory=list)
    # Filters whose several values one phrase named as a group (a shared value synonym):
    # one number for the group, not a row per value.
    groups: set[str] = field(default_factory=set)
    nulls_asked: bool = False  # "including unknown", "null": keep empty values in a ranking
