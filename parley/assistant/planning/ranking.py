"""Ranking words: top/bottom N, superlatives and which way each one sorts.

A superlative about size ("highest", "most", "longest", "cheapest") sorts by the value
itself. "Best" and "worst" depend on the measure: for a delay, a cost or churn the best
is the lowest. A measure says so with `better: lower` in the model; without it the
planner guesses from the measure's name, label and synonyms (`better`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parley.assistant.planning.reading import Reading
from parley.assistant.semantic_model import Measure, ModelField
from parley.assistant.words import tokens

DEFAULT_TOP = 10

# Superlatives of how often something happens ("busiest", "most common") rank by the
# row count when no measure is named, like "most" does.
_UP = (
    "most expensive",
    "most popular",
    "most common",
    "most frequent",
    "busiest",
    "commonest",
    "top",
    "highest",
    "most",
    "largest",
    "biggest",
    "greatest",
    "leading",
    "longest",
    "slowest",
    "priciest",
    "costliest",
    "maximum",
)
_DOWN = (
    "least expensive",
    "least popular",
    "least common",
    "least frequent",
    "least busy",
    "quietest",
    "rarest",
    "bottom",
    "lowest",
    "least",
    "fewest",
    "smallest",
    "weakest",
    "shortest",
    "fastest",
    "quickest",
    "cheapest",
    "minimum",
)
_GOOD = ("best", "strongest")
_BAD = ("worst", "poorest")
_ALL = sorted(_UP + _DOWN + _GOOD + _BAD, key=len, reverse=True)
_WORDS = "|".join(w.replace(" ", r"\s+") for w in _ALL)
_RANK_N = re.compile(rf"\b({_WORDS})\s+(\d{{1,5}})\b|\b(\d{{1,5}})\s+({_WORDS})\b")
_RANK = re.compile(rf"\b({_WORDS})\b")
# "which 3 suppliers had the worst ...", "the 5 slowest", "show 10 products with the most".
_COUNT = re.compile(
    r"\b(?:which|what|the|show|list|name|give me|find|get)\s+(\d{1,4})\b|^\s*(\d{1,4})\s+[a-z]"
)
WHICH = re.compile(r"^\s*(?:(?:so|and|ok|okay|now|then)\s+)?(which|what)\b")
RANK_NOUN = {"top", "bottom", "best", "worst", "leading"}  # "top products": a dimension
RANK_NOUN_MARK = "xxranknoun"
RANK_MEASURE_MARK = "xxrankmeasure"  # "the most users": a measure
_KEPT = "xxkeptphrase"
# Superlatives that can only be about how long something takes (or how long it is).
DURATION_WORDS = frozenset(("fastest", "slowest", "quickest", "longest", "shortest"))
_TAKE = re.compile(r"\b(?:take|takes|took|taking)\b")
_HOW_LONG = re.compile(r"\bhow\s+long\b")
_DESCENDING_HINT = re.compile(r"\b(desc|descending|highest first|largest first|most first)\b")
_ASCENDING_HINT = re.compile(r"\b(asc|ascending|lowest first|smallest first|least first)\b")

# Words in a measure's name that suggest a smaller number is better, when the model does
# not say (`better:`). Descriptions are not read: they mention costs and times in passing.
_LOWER_IS_BETTER = frozenset(
    tokens(
        "delay delays late lateness cost costs expense expenses churn churned time duration "
        "lead latency wait waiting spend"
    )
)


def better(found: ModelField) -> str:
    """`higher` or `lower`: which way is good for a measure."""
    definition = found.definition
    if isinstance(definition, Measure) and definition.better is not None:
        return definition.better
    words = set(tokens(" ".join([found.name.replace("_", " "), found.label, *definition.synonyms])))
    return "lower" if words & _LOWER_IS_BETTER else "higher"


def descending(word: str, measure: ModelField | None) -> bool:
    """Whether `word` ranks the largest values first for `measure`."""
    word = " ".join(word.split())
    if word in _GOOD or word in _BAD:
        good_is_high = measure is None or better(measure) == "higher"
        return good_is_high if word in _GOOD else not good_is_high
    return word not in _DOWN


def read_ranking(text: str, reading: Reading, kept: Sequence[tuple[int, int]] = ()) -> str:
    """Note the ranking asked for and cut it out of `text`.

    A rank word is replaced by a marker that matches no phrase ("tops" is a value) but
    still tells the next phrase its meaning: after "top" a dimension ("top products"),
    after "most" a measure ("the most users"). The spans `kept` (a measure's own name,
    such as "longest ride") are no ranking words: they are read as the measure."""
    masked = text
    for i, (start, end) in sorted(enumerate(kept), key=lambda k: -k[1][0]):
        masked = masked[:start] + f" {_KEPT}{i}x " + masked[end:]
    masked = _read_ranking(masked, reading)
    for i, (start, end) in enumerate(kept):
        masked = masked.replace(f"{_KEPT}{i}x", text[start:end], 1)
    return masked


def _read_ranking(text: str, reading: Reading) -> str:
    how_long = _HOW_LONG.search(text)
    if how_long:
        # "How long does it take to ..." asks for a duration, like "slowest" does.
        reading.implied_word = "how long"
        text = text[: how_long.start()] + " " + text[how_long.end() :]
    text = _ranked(text, reading)
    if reading.implied_word is not None or reading.rank_word in DURATION_WORDS:
        # "takes the longest", "how long does it take": the verb of a duration.
        text = _TAKE.sub(" ", text)
    return text


def _ranked(text: str, reading: Reading) -> str:
    match = _RANK_N.search(text)
    if match:
        word = " ".join((match.group(1) or match.group(4)).split())
        reading.rank_word = word
        reading.rank_limit = max(1, int(match.group(2) or match.group(3)))
        reading.rank_explicit = True
        reading.rank_descending = descending(word, None)
        return text[: match.start()] + f" {_marker(word)} " + text[match.end() :]
    match = _RANK.search(text)
    if match:
        word = " ".join(match.group(1).split())
        reading.rank_word = word
        reading.rank_descending = descending(word, None)
        counted = _COUNT.search(text[: match.start()])
        if counted:
            reading.rank_limit = max(1, int(counted.group(1) or counted.group(2)))
            reading.rank_explicit = True
            number = 1 if counted.group(1) else 2
            text = text[: counted.start(number)] + " " + text[counted.end(number) :]
            match = _RANK.search(text)
            assert match is not None
        else:
            reading.rank_limit = 1 if WHICH.search(text) else DEFAULT_TOP
        return text[: match.start()] + f" {_marker(word)} " + text[match.end() :]
    if _DESCENDING_HINT.search(text):
        reading.rank_descending = True
    elif _ASCENDING_HINT.search(text):
        reading.rank_descending = False
    return text


def _marker(word: str) -> str:
    return RANK_NOUN_MARK if word in RANK_NOUN else RANK_MEASURE_MARK
