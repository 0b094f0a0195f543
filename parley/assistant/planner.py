"""The built-in planner: a prompt (and the conversation so far) → a semantic query.

Offline and deterministic (DESIGN §5.2-§5.4). The prompt is read in passes, each
cutting out what it understood so later passes cannot misread it:

1. time ranges ("last month", "Q1", "in 2025") and grains ("monthly", "trend");
2. ranking ("top 5", "bottom 3", "which X had the most" → one row);
3. measures, dimensions and filter values, longest phrase first (`vocabulary.py`),
   with context deciding between the meanings of a word ("how many products" is a
   count, "top products" a dimension, "from Facebook" a value).

A follow-up ("by X", "break it down by X", "only X", "what about <period>", "top N",
"sort by") edits the previous query; anything else is a new question. When nothing in
the prompt fits the model the answer is a plain `CannotAnswer` with suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from parley.assistant.query import FilterValue, Scalar, SemanticQuery, Sort, parse_field
from parley.assistant.semantic_model import (
    TIME_TYPES,
    Dimension,
    SemanticModel,
    Timeframe,
)
from parley.assistant.timewords import TimeRange, find_grain, find_time_range
from parley.assistant.value_index import ValueIndex
from parley.assistant.vocabulary import Candidate, Mention, Vocabulary
from parley.assistant.words import BLOCK, STOP_WORDS, lower_text, raw_tokens, stem

MAX_PROMPT = 10_000
DEFAULT_TOP = 10

_RANK_UP = ("top", "best", "highest", "most", "largest", "biggest", "greatest", "leading")
_RANK_DOWN = ("bottom", "worst", "lowest", "least", "fewest", "smallest", "weakest")
_RANK_WORDS = "|".join(_RANK_UP + _RANK_DOWN)
_RANK_N = re.compile(rf"\b({_RANK_WORDS})\s+(\d{{1,5}})\b|\b(\d{{1,5}})\s+({_RANK_WORDS})\b")
_RANK = re.compile(rf"\b({_RANK_WORDS})\b")
_WHICH = re.compile(r"^\s*(?:(?:so|and|ok|okay|now|then)\s+)?(which|what)\b")
_BY = {"by", "per", "each", "every", "across", "vs", "versus", "among", "within"}
_RANK_NOUN = {"top", "bottom", "best", "worst", "leading"}  # "top products": a dimension
_RANK_NOUN_MARK = "xxranknoun"
_RANK_MEASURE_MARK = "xxrankmeasure"  # "the most users": a measure
_FILLERS = {"the", "a", "an", "our", "of", "my", "their", "its"}
_WEAK = {("selling",), ("sold",), ("sell",), ("popular",)}
_COUNTING = {"many", "number", "count", "total", "much", "amount", "sum"}
_VALUE_CONTEXT = {
    "in",
    "from",
    "for",
    "only",
    "just",
    "via",
    "through",
    "with",
    "at",
    "on",
    "to",
    "excluding",
    "except",
    "without",
    "not",
    "are",
    "is",
    "were",
    "was",
}
_LISTING = re.compile(r"^\s*(?:list|show all|what are the|which are the|name the|enumerate)\b")
_SORT_BY = re.compile(r"\b(?:sort|sorted|order|ordered|rank|ranked)\s+(?:it\s+|them\s+)?by\b")
_DESCENDING_HINT = re.compile(r"\b(desc|descending|highest first|largest first|most first)\b")
_ASCENDING_HINT = re.compile(r"\b(asc|ascending|lowest first|smallest first|least first)\b")
_FOLLOW_UP_CUE = re.compile(
    r"^\s*(?:(?:and|now|also|ok|okay|then|great|cool|thanks|nice|so|but|please|can you|could you)"
    r"[\s,]+)*(?:break|split|slice|drill|group|segment|by|per|only|just|what about|how about"
    r"|and for|same|instead|top|bottom|sort|order|rank|show only|filter|exclude|excluding"
    r"|without|except|limit|add|include|also show)\b"
)
_ADD_MEASURE = re.compile(r"\b(also|add|include|plus|as well|too|along with)\b")
_NEGATION = re.compile(r"\b(?:excluding|exclude|except|without|not|other than|besides)\s*$")


@dataclass(frozen=True)
class Plan:
    query: SemanticQuery
    topic: str
    follow_up: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CannotAnswer:
    message: str
    suggestions: tuple[str, ...] = ()


class Planner(Protocol):
    def plan(
        self,
        prompt: str,
        *,
        topic: str | None = None,
        previous: SemanticQuery | None = None,
        now: datetime,
    ) -> Plan | CannotAnswer: ...


@dataclass
class _Reading:
    """What one pass over the prompt understood."""

    measures: list[str] = field(default_factory=list)
    dimensions: list[tuple[str, bool]] = field(default_factory=list)  # (field, asked as plural)
    filters: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # value, negated
    time_field: str | None = None
    time_range: TimeRange | None = None
    grain: Timeframe | None = None
    rank_descending: bool | None = None
    rank_limit: int | None = None
    rank_measure: str | None = None
    sort_measure: str | None = None
    unknown: list[str] = field(default_factory=list)
    listing: bool = False
    grouped: set[str] = field(default_factory=set)  # dimensions asked "by"


class BuiltinPlanner:
    """Deterministic planner over one semantic model (and optionally its value index)."""

    def __init__(self, model: SemanticModel, values: ValueIndex | None = None) -> None:
        self.model = model
        self.values = values
        self.vocabulary = Vocabulary(model, values)

    # -- topics --------------------------------------------------------------------------

    def pick_topic(self, prompt: str, candidates: list[str] | None = None) -> str:
        """The topic whose fields best cover the prompt; the first declared on a tie."""
        names = [t for t in (candidates or list(self.model.topics)) if t in self.model.topics]
        if not names:
            raise ValueError("the model has no topics")
        text, _ = _cut_time(lower_text(prompt[:MAX_PROMPT]), datetime(2000, 1, 1))
        raw = raw_tokens(text)
        words = [stem(w) for w in raw]
        best, best_score = names[0], float("-inf")
        for name in names:
            topic = self.model.topics[name]
            views = self.model.topic_views(name)
            score = 0.0
            for mention in self.vocabulary.find(words, raw, views):
                kinds = mention.kinds()
                on_base = any(
                    self.model.field(c.field).view == topic.base_view for c in mention.candidates
                )
                weight = 2.0 if "measure" in kinds else 1.0
                score += weight * (1.5 if on_base else 1.0)
            spoken = {topic.base_view.replace("_", " "), *(s.lower() for s in topic.synonyms)}
            score += 0.5 * sum(1 for s in spoken if re.search(rf"\b{re.escape(s)}\b", text))
            if score > 0:  # a smaller topic asks less of the warehouse: prefer it on a tie
                score -= 0.01 * len(views)
            if score > best_score:
                best, best_score = name, score
        return best

    # -- planning ------------------------------------------------------------------------

    def plan(
        self,
        prompt: str,
        *,
        topic: str | None = None,
        previous: SemanticQuery | None = None,
        now: datetime,
    ) -> Plan | CannotAnswer:
        prompt = prompt[:MAX_PROMPT]
        if not prompt.strip():
            return CannotAnswer("The question is empty.", self.suggestions(topic))
        if topic is not None and topic not in self.model.topics:
            return CannotAnswer(f"There is no topic called {topic!r}.", tuple(self.model.topics))
        follow_up = previous is not None and (_FOLLOW_UP_CUE.search(lower_text(prompt)) is not None)
        if topic is None:
            topic = (
                previous.table
                if previous is not None and previous.table in self.model.topics
                else self.pick_topic(prompt)
            )
        reading = self.read(prompt, topic, now)
        if previous is not None and previous.table == topic and not follow_up:
            # Bare refinements ("in 2024?", "for Europe") with nothing new to measure or
            # group by are follow-ups too.
            follow_up = (
                not reading.measures
                and not reading.dimensions
                and bool(
                    reading.filters or reading.time_range or reading.grain or reading.rank_limit
                )
            )
        if follow_up and previous is not None and previous.table == topic:
            return self.follow_up(prompt, topic, previous, reading)
        return self.new_question(topic, reading)

    def suggestions(self, topic: str | None) -> tuple[str, ...]:
        names = [topic] if topic in self.model.topics else list(self.model.topics)
        measures = [
            self.model.field(key).label
            for name in names
            for view in self.model.topic_views(name)[:1]
            for key in (f"{view}.{m}" for m in self.model.views[view].measures)
        ]
        dimensions = [
            self.model.field(f"{view}.{d}").label
            for name in names
            for view in self.model.topic_views(name)
            for d, definition in self.model.views[view].dimensions.items()
            if definition.type == "string" and definition.index_values
        ]
        out = [f"Ask about {', '.join(measures[:6])}"] if measures else []
        if dimensions:
            out.append(f"Group or filter by {', '.join(dimensions[:8])}")
        out.append("Add a period such as 'last month', 'in 2025' or 'this year'")
        return tuple(out)

    def read(self, prompt: str, topic: str, now: datetime) -> _Reading:
        """Everything the prompt says, resolved against `topic`."""
        reading = _Reading()
        text = lower_text(prompt)
        reading.listing = _LISTING.search(text) is not None
        text, found_range = _cut_time(text, now)
        reading.time_range = found_range
        grain = find_grain(text)
        if grain is not None:
            reading.grain = grain.value
            text = _blank(text, grain.start, grain.end)
        text = self._read_ranking(text, reading)
        raw = raw_tokens(text)
        words = [stem(w) for w in raw]
        views = self.model.topic_views(topic)
        base = self.model.topics[topic].base_view
        mentions = self.vocabulary.find(words, raw, views)
        self._choose(mentions, words, base, views, reading)
        covered = {i for m in mentions for i in range(m.start, m.end)}
        reading.unknown = [
            w
            for i, w in enumerate(words)
            if i not in covered
            and w not in STOP_WORDS
            and not w.isdigit()
            and w not in (_RANK_NOUN_MARK, _RANK_MEASURE_MARK)
        ]
        sort_by = _SORT_BY.search(text)
        if sort_by:
            # The measure named after "sort by" (tokens are counted up to the match).
            first = len(raw_tokens(text[: sort_by.end()]))
            named = [
                m.chosen.field
                for m in mentions
                if m.chosen and m.chosen.kind == "measure" and m.start >= first
            ]
            reading.sort_measure = named[0] if named else None
        return reading

    def _read_ranking(self, text: str, reading: _Reading) -> str:
        # A rank word is replaced by a marker that matches no phrase ("tops" is a value)
        # but still tells the next phrase its meaning: after "top" a dimension ("top
        # products"), after "most" a measure ("the most users").
        match = _RANK_N.search(text)
        if match:
            word = match.group(1) or match.group(4)
            reading.rank_limit = max(1, int(match.group(2) or match.group(3)))
            reading.rank_descending = word not in _RANK_DOWN
            return text[: match.start()] + f" {_rank_marker(word)} " + text[match.end() :]
        match = _RANK.search(text)
        if match:
            word = match.group(1)
            reading.rank_descending = word not in _RANK_DOWN
            reading.rank_limit = 1 if _WHICH.search(text) else DEFAULT_TOP
            return text[: match.start()] + f" {_rank_marker(word)} " + text[match.end() :]
        if _DESCENDING_HINT.search(text):
            reading.rank_descending = True
        elif _ASCENDING_HINT.search(text):
            reading.rank_descending = False
        return text

    def _choose(
        self,
        mentions: list[Mention],
        words: list[str],
        base: str,
        views: list[str],
        reading: _Reading,
    ) -> None:
        """Settle what each mention means, from its candidates and the word before it."""
        order = {view: i for i, view in enumerate(views)}

        def rank(candidate: Candidate) -> tuple[int, int, int]:
            found = self.model.field(candidate.field)
            exact = 0 if candidate.value is None or candidate.value.exact else 1
            return (0 if found.view == base else 1, exact, order.get(found.view, 99))

        measure_words = {
            i for m in mentions if m.kinds() == {"measure"} for i in range(m.start, m.end)
        }

        def previous_word(mention: Mention) -> str:
            i = mention.start - 1
            while i >= 0 and (words[i] in _FILLERS or words[i].isdigit() or i in measure_words):
                if words[i] == "of" and i > 0 and words[i - 1] in _COUNTING:
                    return "number"
                i -= 1
            return words[i] if i >= 0 else ""

        measures_named = sum(1 for m in mentions if m.kinds() == {"measure"})
        values_end = {m.end for m in mentions if m.kinds() == {"value"}}
        for mention in mentions:
            kinds = mention.kinds()
            before = previous_word(mention)
            grouping = before in _BY or before == _RANK_NOUN_MARK or before in ("which", "what")
            others = measures_named - 1 if kinds == {"measure"} else measures_named
            kind: str | None
            if len(kinds) == 1:
                kind = next(iter(kinds))
            elif before in _COUNTING and "measure" in kinds:
                kind = "measure"
            elif grouping and "dimension" in kinds:
                kind = "dimension"
            elif "value" in kinds and (before in _VALUE_CONTEXT or before not in _BY):
                kind = "value"
            elif "measure" in kinds and (not others or before == _RANK_MEASURE_MARK):
                kind = "measure"
            else:
                # A noun beside the real question ("average age of users") adds nothing.
                kind = None
            if (
                kind == "measure"
                and others
                and (mention.start in values_end or (before == "per" and "dimension" not in kinds))
            ):
                # "revenue excluding cancelled orders", "price per item": a noun, not a
                # second measure.
                kind = None
            if kind is None:
                continue
            options = sorted((c for c in mention.candidates if c.kind == kind), key=rank)
            mention.chosen = chosen = options[0]
            if chosen.kind == "measure":
                if chosen.field not in reading.measures:
                    reading.measures.append(chosen.field)
            elif chosen.kind == "dimension":
                definition = self.model.field(chosen.field).definition
                if isinstance(definition, Dimension) and definition.type in TIME_TYPES:
                    reading.time_field = chosen.field
                    continue
                plural = any(w != stem(w) for w in mention.raw[-1:])
                if chosen.field not in [d for d, _ in reading.dimensions]:
                    reading.dimensions.append((chosen.field, plural))
                    if grouping:
                        reading.grouped.add(chosen.field)
            elif chosen.value is not None:
                window = " ".join(words[max(0, mention.start - 3) : mention.start])
                negated = bool(_NEGATION.search(window))
                entries = reading.filters.setdefault(chosen.field, [])
                if (chosen.value.value, negated) not in entries:
                    entries.append((chosen.value.value, negated))
        # "the Jeans category", "the Email channel": naming a value's own dimension
        # filters by it; only "by category" would group.
        reading.dimensions = [
            (d, plural)
            for d, plural in reading.dimensions
            if d in reading.grouped or len(reading.filters.get(d, ())) != 1
        ]
        # A weak verb ("selling", "sold") only names a measure when nothing better does.
        if len(reading.measures) > 1:
            weak = {
                m.chosen.field
                for m in mentions
                if m.chosen and m.chosen.kind == "measure" and m.words in _WEAK
            }
            strong = [f for f in reading.measures if f not in weak]
            if strong and reading.rank_descending is not None:
                reading.measures = strong

    # -- building queries ----------------------------------------------------------------

    def new_question(self, topic: str, reading: _Reading) -> Plan | CannotAnswer:
        understood = reading.measures or reading.dimensions or reading.filters
        if not understood and not (reading.time_range and not reading.unknown):
            return CannotAnswer(
                "I could not match this question to the fields of topic "
                f"{topic!r}"
                + (f" (unknown words: {', '.join(reading.unknown[:5])})" if reading.unknown else "")
                + ".",
                self.suggestions(topic),
            )
        if not reading.measures and not reading.dimensions and reading.unknown:
            return CannotAnswer(
                f"I do not know what to measure for '{' '.join(reading.unknown[:5])}' in topic "
                f"{topic!r}.",
                self.suggestions(topic),
            )
        measures = list(reading.measures)
        if not measures and not (reading.listing and reading.dimensions):
            measures = [self.default_measure(topic)]
        fields = [d for d, _ in reading.dimensions]
        time_field = reading.time_field or self.model.topics[topic].default_time_field
        if reading.grain and time_field:
            fields.append(f"{time_field}[{reading.grain}]")
        fields.extend(measures)
        filters: dict[str, FilterValue] = {}
        for key, entries in reading.filters.items():
            filters[key] = _filter_value(entries)
        if reading.time_range and time_field:
            filters[time_field] = dict(reading.time_range.as_filter())
        sorts, limit = self.ordering(fields, measures, reading, reading.dimensions)
        return Plan(
            SemanticQuery(table=topic, fields=fields, filters=filters, sorts=sorts, limit=limit),
            topic,
        )

    def default_measure(self, topic: str) -> str:
        base = self.model.topics[topic].base_view
        return f"{base}.{next(iter(self.model.views[base].measures))}"

    def ordering(
        self,
        fields: list[str],
        measures: list[str],
        reading: _Reading,
        dimensions: list[tuple[str, bool]],
    ) -> tuple[list[Sort], int | None]:
        grouped = [f for f in fields if f not in measures]
        time_fields = [f for f in grouped if "[" in f]
        if reading.rank_descending is not None and measures and grouped:
            measure = reading.sort_measure or reading.rank_measure or measures[0]
            limit = reading.rank_limit
            # "Which X had the most" asks for one X; "which Xs" or "top Xs" for a list.
            if limit == 1 and dimensions and dimensions[0][1]:
                limit = DEFAULT_TOP
            return [Sort(column_name=measure, sort_descending=reading.rank_descending)], limit
        if reading.sort_measure and reading.sort_measure in fields:
            return [
                Sort(
                    column_name=reading.sort_measure,
                    sort_descending=reading.rank_descending is not False,
                )
            ], None
        if time_fields:
            return [Sort(column_name=time_fields[0], sort_descending=False)], None
        if measures and grouped:
            return [Sort(column_name=measures[0], sort_descending=True)], None
        if grouped:
            return [Sort(column_name=grouped[0], sort_descending=False)], None
        return [], None

    def follow_up(
        self, prompt: str, topic: str, previous: SemanticQuery, reading: _Reading
    ) -> Plan:
        text = lower_text(prompt)
        fields = list(previous.fields)
        old_measures = [f for f in fields if self.model.field(parse_field(f)[0]).is_measure]
        dimensions = [f for f in fields if f not in old_measures]
        filters: dict[str, Any] = dict(previous.filters)
        notes = []
        if reading.sort_measure:
            # "sort by margin" re-orders; it neither replaces nor drops the measures.
            measures = old_measures + [m for m in [reading.sort_measure] if m not in old_measures]
        elif reading.measures:
            if _ADD_MEASURE.search(text):
                measures = old_measures + [m for m in reading.measures if m not in old_measures]
            else:
                measures = list(reading.measures)
            notes.append("measures")
        else:
            measures = old_measures
        for key, _ in reading.dimensions:
            if key not in dimensions:
                dimensions.append(key)
                notes.append(f"added {key}")
        time_field = (
            reading.time_field
            or self._previous_time_field(previous)
            or (self.model.topics[topic].default_time_field)
        )
        if reading.grain and time_field:
            dimensions = [d for d in dimensions if parse_field(d)[0] != time_field]
            dimensions.append(f"{time_field}[{reading.grain}]")
        for key, entries in reading.filters.items():
            filters[key] = _filter_value(entries)
        if reading.time_range and time_field:
            for key in list(filters):
                if parse_field(key)[0] == time_field:
                    del filters[key]
            filters[time_field] = dict(reading.time_range.as_filter())
        fields = dimensions + measures
        ranking_changed = reading.rank_descending is not None or reading.sort_measure is not None
        if ranking_changed:
            sorts, limit = self.ordering(
                fields, measures, reading, reading.dimensions or [(d, True) for d in dimensions]
            )
        else:
            sorts = [s for s in previous.sorts if s.column_name in fields]
            limit = previous.limit
            if not sorts:
                sorts, _ = self.ordering(fields, measures, reading, [])
        return Plan(
            SemanticQuery(table=topic, fields=fields, filters=filters, sorts=sorts, limit=limit),
            topic,
            follow_up=True,
            notes=tuple(notes),
        )

    def _previous_time_field(self, previous: SemanticQuery) -> str | None:
        for key in [*previous.filters, *previous.fields]:
            name = parse_field(key)[0]
            found = self.model.fields.get(name)
            if (
                found is not None
                and isinstance(found.definition, Dimension)
                and (found.definition.type in TIME_TYPES)
            ):
                return name
        return None


def _filter_value(entries: list[tuple[str, bool]]) -> FilterValue:
    keep: list[Scalar] = [v for v, negated in entries if not negated]
    drop: list[Scalar] = [v for v, negated in entries if negated]
    if keep:
        return keep[0] if len(keep) == 1 else keep
    return {"not": drop[0] if len(drop) == 1 else drop}


def _rank_marker(word: str) -> str:
    return _RANK_NOUN_MARK if word in _RANK_NOUN else _RANK_MEASURE_MARK


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + f" {BLOCK} " + text[end:]


def _cut_time(text: str, now: datetime) -> tuple[str, TimeRange | None]:
    found = find_time_range(text, now)
    if found is None:
        return text, None
    return _blank(text, found.start, found.end), found.value


def pick_topic(
    prompt: str,
    model: SemanticModel,
    candidates: list[str] | None = None,
    values: ValueIndex | None = None,
) -> str:
    """The best topic for `prompt` (SPEC §6.4); reuse a BuiltinPlanner when you have one."""
    return BuiltinPlanner(model, values).pick_topic(prompt, candidates)
