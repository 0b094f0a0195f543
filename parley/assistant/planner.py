"""The built-in planner: a prompt (and the conversation so far) → a semantic query.

Offline and deterministic. The prompt is read in steps, each in its own module under
`planning/` and each cutting out what it understood so later steps cannot misread it:

1. periods ("last month", "first week of March 2024", "H1") and grains ("monthly");
   period words left over make the planner refuse (`periods.py`);
2. ranking ("top 5", "which 3 ... had the worst", "cheapest") (`ranking.py`);
3. measures, dimensions and filter values, longest phrase first (`vocabulary.py`),
   with context deciding between the meanings of a word (`meanings.py`);
4. the words still unplaced: values by part of their name or misspelt, values looked up
   in the warehouse, misspelt fields — or a refusal naming them (`values.py`);
5. the words still unused: reported, unless leaving one out would change the answer (a
   number, a negation, a comparison, a rank with nothing to rank), which refuses
   (`unused.py`).

A follow-up ("by X", "only X", "what about <period>", "top N", "sort by") edits the
previous query (`follow_ups.py`); anything else is a new question (`building.py`). Every
plan carries a read-back sentence (`readback.py`). When the prompt cannot be read the
answer is a `CannotAnswer` whose `reason` and `unclear` say why (`outcome.py`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from parley.assistant.outcome import CannotAnswer, Plan, Planner, Unclear, not_understood
from parley.assistant.planning import follow_ups, readback
from parley.assistant.planning.building import (
    apply_time,
    drop_empty_from_ranking,
    filter_value,
    group_several_values,
    ordering,
    pinned,
    time_field,
)
from parley.assistant.planning.implied import (
    counts_only,
    event_dates,
    fitting_measures,
    implied_measures,
    is_time_word,
)
from parley.assistant.planning.meanings import choose
from parley.assistant.planning.periods import blank, cut_time, leftover_period, period_note
from parley.assistant.planning.ranking import RANK_MEASURE_MARK, RANK_NOUN_MARK, read_ranking
from parley.assistant.planning.reading import Reading
from parley.assistant.planning.unused import NEGATIONS, narrowing_left_over
from parley.assistant.planning.values import as_written, capitalised, place
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.timewords import find_grain
from parley.assistant.value_index import ValueIndex
from parley.assistant.vocabulary import Vocabulary
from parley.assistant.words import STOP_WORDS, lower_text, raw_tokens, stem

__all__ = ["BuiltinPlanner", "CannotAnswer", "Plan", "Planner", "Unclear", "pick_topic"]

MAX_PROMPT = 10_000
DEFAULT_TOP = 10

_LISTING = re.compile(r"^\s*(?:list|show all|what are the|which are the|name the|enumerate)\b")
_SORT_BY = re.compile(r"\b(?:sort|sorted|order|ordered|rank|ranked)\s+(?:it\s+|them\s+)?by\b")
_NULLS = re.compile(r"\b(?:null|nulls|empty|blank|missing|unknown|unassigned|none)\b")
_MARKS = {RANK_NOUN_MARK, RANK_MEASURE_MARK}
_TOKEN = re.compile(r"[a-z0-9]+|\|")  # the tokens of `raw_tokens`, with where they are


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
        text, _ = cut_time(lower_text(prompt[:MAX_PROMPT]), datetime(2000, 1, 1))
        raw = raw_tokens(text)
        words = [stem(w) for w in raw]
        best, best_score = names[0], float("-inf")
        for name in names:
            topic = self.model.topics[name]
            views = self.model.topic_views(name)
            score = 0.0
            mentions = self.vocabulary.find(words, raw, views)
            covered = {i for m in mentions for i in range(m.start, m.end)}
            # A word of a longer field name ("pay" of "days to pay") counts for less.
            score += sum(
                0.75
                for i, w in enumerate(words)
                if i not in covered
                and w not in STOP_WORDS
                and len(w) >= 3
                and self.vocabulary.by_name_word(w, views)
            )
            for mention in mentions:
                kinds = mention.kinds()
                on_base = any(
                    self.model.field(c.field).view == topic.base_view for c in mention.candidates
                )
                weight = 2.0 if "measure" in kinds else 1.0
                score += weight * (1.5 if on_base else 1.0)
            spoken = {topic.base_view.replace("_", " "), *(s.lower() for s in topic.synonyms)}
            # Singular or plural alike: "per subscription" names the subscriptions topic.
            stemmed = f" {' '.join(words)} "
            score += 0.5 * sum(
                1 for s in spoken if f" {' '.join(stem(w) for w in raw_tokens(s))} " in stemmed
            )
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
        follow_up = previous is not None and follow_ups.is_follow_up(prompt)
        picked = topic is None and (previous is None or previous.table not in self.model.topics)
        if topic is None:
            topic = (
                previous.table
                if previous is not None and previous.table in self.model.topics
                else self.pick_topic(prompt)
            )
        reading = self.read(prompt, topic, now)
        cannot_rank = self._cannot_rank(reading, topic)
        if (reading.unclear or reading.ignored or cannot_rank) and picked:
            # The topic that looked best left words unread or unused, or a ranking it
            # cannot apply; another that reads them all (the one field that uses them is
            # there), or leaves fewer unused, answers the question asked rather than a
            # broader one.
            for other in self.model.topics:
                if other == topic:
                    continue
                again = self.read(prompt, other, now)
                if (
                    again.unclear
                    or not (again.measures or again.dimensions)
                    or self._cannot_rank(again, other)
                ):
                    continue
                if reading.unclear or cannot_rank or len(again.ignored) < len(reading.ignored):
                    topic, reading = other, again
                    break
        if reading.unclear:
            return self.refuse(reading.unclear, topic)
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
            changed = follow_ups.follow_up(self.model, prompt, topic, previous, reading)
            if isinstance(changed, Unclear):
                return self.refuse([changed], topic)
            query, notes = changed
            return Plan(
                query,
                topic,
                follow_up=True,
                notes=tuple(notes),
                reading=readback.sentence(self.model, query, reading.notes, reading.ignored),
            )
        return self.new_question(topic, reading)

    def refuse(self, unclear: list[Unclear], topic: str) -> CannotAnswer:
        """A refusal naming what was not understood, with questions that would work."""
        return replace(not_understood(unclear), suggestions=self.suggestions(topic))

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
            if definition.type == "string" and definition.index_values and not definition.hidden
        ]
        out = [f"Ask about {', '.join(measures[:6])}"] if measures else []
        if dimensions:
            out.append(f"Group or filter by {', '.join(dimensions[:8])}")
        out.append("Add a period such as 'last month', 'in 2025' or 'this year'")
        return tuple(out)

    def read(self, prompt: str, topic: str, now: datetime) -> Reading:
        """Everything the prompt says, resolved against `topic`."""
        reading = Reading()
        text = full = lower_text(prompt)
        reading.listing = _LISTING.search(text) is not None
        reading.nulls_asked = _NULLS.search(text) is not None
        text, reading.time_range = cut_time(text, now)
        note = period_note(reading.time_range)
        if note is not None:
            reading.notes.append(note)
        views = self.model.topic_views(topic)
        grain = find_grain(text)
        if grain is not None and not self.vocabulary.names_around(
            text, grain.start, grain.end, views
        ):
            reading.grain = grain.value
            text = blank(text, grain.start, grain.end)
        text = read_ranking(text, reading, self._measure_spans(text, views))
        raw = raw_tokens(text)
        words = [stem(w) for w in raw]
        base = self.model.topics[topic].base_view
        mentions = self.vocabulary.find(words, raw, views)
        # Words naming a value are read before a period word left over, so a value such
        # as "June Street" is not taken for a month.
        covered = {i for m in mentions for i in range(m.start, m.end)}
        rest = " ".join("|" if i in covered else w for i, w in enumerate(raw))
        period = leftover_period(rest)
        if period is not None:
            reading.unclear.append(period)
            return reading
        leftovers = place(
            self.model,
            self.vocabulary,
            self.values,
            words,
            raw,
            mentions,
            views,
            capitalised(prompt),
            _MARKS,
            as_written(prompt),
        )
        reading.unclear.extend(leftovers.unclear)
        reading.notes.extend(leftovers.notes)
        reading.ignored.extend(leftovers.ignored)
        mentions = sorted([*mentions, *leftovers.mentions], key=lambda m: m.start)
        choose(self.model, mentions, words, base, views, reading, capitalised(prompt))
        if reading.time_range is not None and reading.time_field is None:
            self._event_date(mentions, full, reading)
        reading.unclear.extend(narrowing_left_over(self.model, raw, mentions, reading))
        # A negation that was applied ("except Acme") was used, whatever the run said.
        reading.ignored = [w for w in reading.ignored if w.lower() not in NEGATIONS]
        covered = {i for m in mentions for i in range(m.start, m.end)}
        reading.unknown = [
            w
            for i, w in enumerate(words)
            if i not in covered and w not in STOP_WORDS and not w.isdigit() and w not in _MARKS
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

    def _measure_spans(self, text: str, views: list[str]) -> list[tuple[int, int]]:
        """Where `text` names a measure ("longest ride", "popular"), so the words of a
        measure's own name are read as that measure, not as ranking words."""
        spans = [m.span() for m in _TOKEN.finditer(text)]
        raw = [text[a:b] for a, b in spans]
        mentions = self.vocabulary.find([stem(w) for w in raw], raw, views)
        return [
            (spans[m.start][0], spans[m.end - 1][1]) for m in mentions if "measure" in m.kinds()
        ]

    def _event_date(self, mentions: list[Any], text: str, reading: Reading) -> None:
        """A period right after an event named as a value ("churned in Q3") is about the
        date of that event: its own date field, or a question which date."""
        for mention in mentions:
            if mention.chosen is None or mention.chosen.kind != "value":
                continue
            word = mention.raw[-1]
            found = event_dates(self.model, mention.chosen.field, word, text)
            if found is None:
                continue
            matching, dates = found
            if len(matching) == 1:
                reading.time_field = matching[0]
            elif len(dates) > 1:
                period = reading.time_range.text if reading.time_range else ""
                reading.unclear.append(
                    Unclear(
                        f"{word} {period}".strip(),
                        "period",
                        tuple(f"a period by {self.model.field(d).label.lower()}" for d in dates),
                    )
                )
            return

    # -- building queries ----------------------------------------------------------------

    def new_question(self, topic: str, reading: Reading) -> Plan | CannotAnswer:
        understood = reading.measures or reading.dimensions or reading.filters
        if not understood and not (reading.time_range and not reading.unknown):
            return CannotAnswer(
                "I could not match this question to the fields of topic "
                f"{topic!r}"
                + (f" (unknown words: {', '.join(reading.unknown[:5])})" if reading.unknown else "")
                + ".",
                self.suggestions(topic),
                unclear=self._unknown_fields(reading, topic),
            )
        if not reading.measures and not reading.dimensions and reading.unknown:
            return CannotAnswer(
                f"I do not know what to measure for '{' '.join(reading.unknown[:5])}' in topic "
                f"{topic!r}.",
                self.suggestions(topic),
                reason="not_understood",
                unclear=self._unknown_fields(reading, topic),
            )
        measures = list(reading.measures)
        views = self.model.topic_views(topic)
        word = reading.implied_word or reading.rank_word
        if measures and word is not None and is_time_word(word):
            # A time word never ranks a count: "slowest for heat complaints" names the
            # count only as a noun, so the duration it implies is used (or asked for).
            fitting = fitting_measures(self.model, word, views) or []
            if not any(m in fitting for m in measures) and counts_only(self.model, measures):
                measures = []
        if not measures and word is not None:
            implied = implied_measures(self.model, word, views)
            if implied is not None and len(implied) != 1:
                return self.refuse(
                    [
                        Unclear(
                            word,
                            "field",
                            tuple(self.model.field(k).label for k in implied),
                            several=bool(implied),
                        )
                    ],
                    topic,
                )
            measures = implied or []
        if not measures and not (reading.listing and reading.dimensions):
            measures = [self.default_measure(topic)]
        dimensions = [d for d, _ in reading.dimensions]
        filters: dict[str, Any] = {}
        for key, entries in reading.filters.items():
            filters[key] = filter_value(entries)
        group_several_values(reading, dimensions)
        unclear = apply_time(
            self.model,
            topic,
            reading,
            dimensions,
            filters,
            time_field(self.model, topic, reading.time_field),
        )
        if unclear is not None:
            return self.refuse([unclear], topic)
        # "in fiscal year 2025": a field named with its one value filters, it does not group.
        dimensions = [d for d in dimensions if d in reading.grouped or not pinned(filters.get(d))]
        if reading.rank_word is not None and not dimensions:
            # "Which 5 ... had the most": with nothing to list, the ranking cannot be
            # applied, and a total without it answers another question.
            return self._nothing_to_rank(reading, topic)
        fields = dimensions + measures
        sorts, limit = ordering(self.model, fields, measures, reading, reading.dimensions)
        if (reading.rank_explicit or reading.rank_word is not None) and limit is None:
            # "Which 5 ..." or "stations with the most ..." with nothing to rank: the rank
            # would be dropped and a total answered.
            word = str(reading.rank_limit) if reading.rank_explicit else reading.rank_word
            return self.refuse([Unclear(str(word), "condition")], topic)
        drop_empty_from_ranking(self.model, fields, filters, sorts, limit, reading)
        query = SemanticQuery(table=topic, fields=fields, filters=filters, sorts=sorts, limit=limit)
        return Plan(
            query,
            topic,
            reading=readback.sentence(self.model, query, reading.notes, reading.ignored),
        )

    def _cannot_rank(self, reading: Reading, topic: str) -> bool:
        """Whether `topic` cannot apply the ranking of `reading`: nothing to list, or a
        speed, length or price word with no one measure there to be about."""
        word = reading.implied_word or reading.rank_word
        if word is None:
            return False
        if reading.rank_word is not None and not (reading.dimensions or reading.grain):
            return True
        if reading.measures:
            return False
        implied = implied_measures(self.model, word, self.model.topic_views(topic))
        return implied is not None and len(implied) != 1

    def _nothing_to_rank(self, reading: Reading, topic: str) -> CannotAnswer:
        word = reading.rank_word or ""
        asked = f"{reading.rank_limit} … {word}" if reading.rank_explicit else word
        return CannotAnswer(
            f"I could not tell what '{asked}' ranks: the question names nothing to list "
            "(such as a name or a category) in topic "
            f"{topic!r}"
            + (f" (unknown words: {', '.join(reading.unknown[:5])})" if reading.unknown else "")
            + ".",
            self.suggestions(topic),
            reason="not_understood",
            unclear=(Unclear(asked, "field", self._listable(topic)),),
        )

    def _listable(self, topic: str) -> tuple[str, ...]:
        return tuple(
            self.model.field(f"{view}.{d}").label
            for view in self.model.topic_views(topic)
            for d, definition in self.model.views[view].dimensions.items()
            if definition.type == "string"
        )[:6]

    def _unknown_fields(self, reading: Reading, topic: str) -> tuple[Unclear, ...]:
        if not reading.unknown:
            return ()
        text = " ".join(reading.unknown[:5])
        views = self.model.topic_views(topic)
        return (Unclear(text, "field", self.vocabulary.closest(text, views)),)

    def default_measure(self, topic: str) -> str:
        """With no measure named, a question counts rows ("top 3 reasons" are the most
        frequent): the base view's count, else its first measure."""
        base = self.model.topics[topic].base_view
        measures = self.model.views[base].measures
        for name, measure in measures.items():
            if measure.type == "count":
                return f"{base}.{name}"
        return f"{base}.{next(iter(measures))}"


def pick_topic(
    prompt: str,
    model: SemanticModel,
    candidates: list[str] | None = None,
    values: ValueIndex | None = None,
) -> str:
    """The best topic for `prompt`; reuse a BuiltinPlanner when you have one."""
    return BuiltinPlanner(model, values).pick_topic(prompt, candidates)
