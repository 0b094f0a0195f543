"""Settling what each phrase of a prompt means: a measure, a dimension or a value.

The vocabulary finds phrases with every meaning they may have; context picks one: the
word before ("how many products" is a count, "top products" a dimension, "from
Facebook" a value), and what else the prompt names.
"""

from __future__ import annotations

from parley.assistant.outcome import Unclear
from parley.assistant.planning.ranking import RANK_MEASURE_MARK, RANK_NOUN_MARK
from parley.assistant.planning.reading import Reading
from parley.assistant.planning.value_choice import values_meant
from parley.assistant.semantic_model import TIME_TYPES, Dimension, SemanticModel, numeric_time
from parley.assistant.vocabulary import Candidate, Mention
from parley.assistant.words import phrase, stem

BY = {"by", "per", "each", "every", "across", "vs", "versus", "among", "within"}
FILLERS = {"the", "a", "an", "our", "of", "my", "their", "its"}
_WEAK = {("selling",), ("sold",), ("sell",), ("popular",)}
COUNTING = {"many", "number", "count", "total", "much", "amount", "sum"}
VALUE_CONTEXT = {
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
# Words that join two measures the prompt really asks for together.
_BOTH = {"and", "plus", "also", "with", "vs", "versus", "as", "along", "including"}
_NEGATION = {"excluding", "exclude", "except", "without", "not", "other", "besides"}


def choose(
    model: SemanticModel,
    mentions: list[Mention],
    words: list[str],
    base: str,
    views: list[str],
    reading: Reading,
    capitals: set[str] | None = None,
) -> None:
    """Settle what each mention means, from its candidates and the word before it
    (`capitals`: the words written with a capital, see `value_choice`)."""
    order = {view: i for i, view in enumerate(views)}

    def rank(candidate: Candidate) -> tuple[int, int, int]:
        found = model.field(candidate.field)
        exact = 0 if candidate.value is None or candidate.value.exact else 1
        return (0 if found.view == base else 1, exact, order.get(found.view, 99))

    measure_words = {i for m in mentions if m.kinds() == {"measure"} for i in range(m.start, m.end)}

    def previous_word(mention: Mention) -> str:
        i = mention.start - 1
        while i >= 0 and (words[i] in FILLERS or words[i].isdigit() or i in measure_words):
            if words[i] == "of" and i > 0 and words[i - 1] in COUNTING:
                return "number"
            i -= 1
        return words[i] if i >= 0 else ""

    measures_named = sum(1 for m in mentions if m.kinds() == {"measure"})
    values_end = {m.end for m in mentions if m.kinds() == {"value"}}
    for mention in mentions:
        kinds = mention.kinds()
        before = previous_word(mention)
        grouping = before in BY or before == RANK_NOUN_MARK or before in ("which", "what")
        if before == RANK_MEASURE_MARK and mention.start - 1 in measure_words:
            # "the most popular products", "highest revenue regions": the measure is
            # named, so the noun after it is what is ranked.
            grouping = True
        others = measures_named - 1 if kinds == {"measure"} else measures_named
        kind: str | None
        if len(kinds) == 1:
            kind = next(iter(kinds))
        elif before in COUNTING and "measure" in kinds:
            kind = "measure"
        elif (
            grouping
            and "measure" in kinds
            and reading.rank_word is not None
            and _only_amounts(model, mention)
        ):
            # "top 5 customers by shipping cost": a ranking is by a measure, not by the
            # raw number of each row.
            kind = "measure"
        elif grouping and "dimension" in kinds:
            kind = "dimension"
        elif "value" in kinds and (before in VALUE_CONTEXT or before not in BY):
            kind = "value"
        elif "measure" in kinds and (not others or before == RANK_MEASURE_MARK):
            kind = "measure"
        else:
            # A noun beside the real question ("average age of users") adds nothing.
            kind = None
        if kind == "measure" and (
            (others and mention.start in values_end)
            or (before == "per" and "dimension" not in kinds)
        ):
            # "revenue excluding cancelled orders", "price per item": a noun, not a
            # second measure.
            kind = None
        if kind is None:
            continue
        options = sorted((c for c in mention.candidates if c.kind == kind), key=rank)
        meant = [options[0]]
        if kind == "value":
            used: list[int] = []
            found = values_meant(
                model, mention, options, words, mentions, capitals or set(), base, used
            )
            for i in used:
                # The word that chose the field ("ending in the Bronx") was used.
                spelled = [w for w in reading.ignored if stem(w.lower()) == words[i]]
                if spelled:
                    reading.ignored.remove(spelled[0])
            if isinstance(found, Unclear):
                reading.unclear.append(found)
                continue
            meant = found
        mention.chosen = chosen = meant[0]
        if chosen.kind == "measure":
            if chosen.field not in reading.measures:
                reading.measures.append(chosen.field)
        elif chosen.kind == "dimension":
            definition = model.field(chosen.field).definition
            if isinstance(definition, Dimension) and definition.type in TIME_TYPES:
                reading.time_field = chosen.field
                continue
            plural = any(w != stem(w) for w in mention.raw[-1:])
            if chosen.field not in [d for d, _ in reading.dimensions]:
                reading.dimensions.append((chosen.field, plural))
                if grouping:
                    reading.grouped.add(chosen.field)
        elif chosen.value is not None:
            window = words[max(0, mention.start - 3) : mention.start]
            negated = bool(window) and (
                window[-1] in _NEGATION or (len(window) > 1 and window[-2:] == ["other", "than"])
            )
            entries = reading.filters.setdefault(chosen.field, [])
            for each in meant:
                assert each.value is not None
                if (each.value.value, negated) not in entries:
                    entries.append((each.value.value, negated))
            if len({each.value.value for each in meant if each.value}) > 1:
                reading.groups.add(chosen.field)
    # "the Jeans category", "the Email channel": naming a value's own dimension
    # filters by it; only "by category" would group.
    reading.dimensions = [
        (d, plural)
        for d, plural in reading.dimensions
        if d in reading.grouped or len(reading.filters.get(d, ())) != 1
    ]
    if len(reading.measures) > 1:
        # A weak verb ("selling", "sold") only names a measure when nothing better does.
        weak = {
            m.chosen.field
            for m in mentions
            if m.chosen and m.chosen.kind == "measure" and m.words in _WEAK
        }
        strong = [f for f in reading.measures if f not in weak]
        if strong and reading.rank_descending is not None:
            reading.measures = strong
    if len(reading.measures) > 1:
        _one_measure(model, mentions, words, reading)


def _only_amounts(model: SemanticModel, mention: Mention) -> bool:
    """Whether every dimension `mention` may name is a plain number (not a year or month)."""
    for candidate in mention.candidates:
        if candidate.kind != "dimension":
            continue
        found = model.field(candidate.field)
        if not isinstance(found.definition, Dimension) or found.definition.type != "number":
            return False
        if numeric_time(found) is not None:
            return False
    return True


def _one_measure(
    model: SemanticModel, mentions: list[Mention], words: list[str], reading: Reading
) -> None:
    """ "How many orders were refunded?": where one measure's name holds another's ("refunded
    orders" holds "orders") and nothing joins them, the question asks for the narrower."""
    chosen = [m for m in mentions if m.chosen is not None and m.chosen.kind == "measure"]
    names = {
        key: set(phrase(model.field(key).label)) | set(phrase(model.field(key).name))
        for key in reading.measures
    }
    drop: set[str] = set()
    for wide in chosen:
        for narrow in chosen:
            a, b = wide.chosen, narrow.chosen
            assert a is not None and b is not None
            if a.field == b.field or not (set(wide.words) < names[b.field]):
                continue
            low, high = sorted((wide.start, narrow.start))
            if any(w in _BOTH for w in words[low:high]):
                continue
            drop.add(a.field)
    if drop and len(drop) < len(reading.measures):
        reading.measures = [m for m in reading.measures if m not in drop]
