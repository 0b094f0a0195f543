"""Which words left unused may be reported, and which must stop the answer.

A word the planner did not use is listed after the answer ("Not used: 'kindly'") only
when leaving it out cannot change which rows are counted or how many are shown. Some
small, closed classes of words exist to do exactly that, so when one of them is left
over the planner refuses rather than answer a broader question (decision 0024):

- a number ("more than 10 mm", "top 5", "customer 01"): a threshold, a limit or part of
  a name; only one written right before a word the planner read, with no comparison
  before it ("311 requests"), names that thing and is reported;
- a negation not applied to a value ("trips not by members"): without it the answer is
  the opposite one;
- a comparison ("longer than", "at least"): a condition the planner cannot express;
- a word that asks for a kind of number ("share", "percentage", "average", "median",
  "maximum") that no measure of the answer gives: left out, the answer is another
  number (a count where a share was asked for, a sum where an average was).

Time words left over are refused earlier, by `periods.leftover_period`.
"""

from __future__ import annotations

from parley.assistant.outcome import Unclear
from parley.assistant.planning.reading import Reading
from parley.assistant.semantic_model import Measure, SemanticModel
from parley.assistant.vocabulary import Mention
from parley.assistant.words import STOP_WORDS

NEGATIONS = frozenset(("not", "never", "except", "excluding", "exclude", "without", "besides"))
_COMPARING = frozenset(
    ("more", "less", "fewer", "least", "above", "below", "under", "over", "exceeding")
)
# Words that ask for a kind of number. An aggregate's word is answered by a measure of
# that aggregate ("average" by an average, whatever its name); a share's by any measure
# that is not a plain count or sum (a ratio is written as a measure's own SQL).
_AGGREGATE_WORDS = {
    "average": "average",
    "avg": "average",
    "mean": "average",
    "median": "median",
    "maximum": "max",
    "max": "max",
    "minimum": "min",
    "min": "min",
}
_SHARE_WORDS = frozenset(("share", "percentage", "percent", "proportion", "ratio", "fraction"))
_PLAIN = frozenset(("count", "count_distinct", "sum"))
# How far a negation reaches: "except the casual riders" (the value within three words).
_REACH = 3


def narrowing_left_over(
    model: SemanticModel, raw: list[str], mentions: list[Mention], reading: Reading
) -> list[Unclear]:
    """The unused words of `raw` whose loss would widen or turn the answer round."""
    kinds = {_aggregate(model, key) for key in reading.measures}
    covered = {i for m in mentions for i in range(m.start, m.end)}
    negated = any(negated for entries in reading.filters.values() for _, negated in entries)
    value_starts = {m.start for m in mentions if m.chosen is not None and m.chosen.kind == "value"}
    # Words an unread phrase already holds ("average fuel consumption") are not repeated.
    unread = {w for u in reading.unclear for w in u.text.lower().split()}
    out: list[Unclear] = []
    for i, word in enumerate(raw):
        if i in covered:
            continue
        before = raw[i - 1] if i > 0 else ""
        after = raw[i + 1] if i + 1 < len(raw) else ""
        if word.isdigit():
            if i + 1 in covered and before not in _COMPARING and before != "than":
                continue  # part of a name: "311 requests", "the 24 hour gym"; reported
            if before == "than" and i > 1:
                word = f"{raw[i - 2]} than {word}"
            elif before in _COMPARING:
                word = f"{before} {word}"
            out.append(Unclear(word, "condition"))
        elif word in _AGGREGATE_WORDS or word in _SHARE_WORDS:
            answered = (
                _AGGREGATE_WORDS[word] in kinds
                if word in _AGGREGATE_WORDS
                else bool(kinds - _PLAIN)
            )
            if not answered and word not in unread:
                out.append(Unclear(word, "condition"))
        elif word in NEGATIONS:
            applied = negated and any(i < start <= i + _REACH for start in value_starts)
            if not applied:
                out.append(Unclear(word, "condition"))
        elif (
            after == "than"
            and word not in STOP_WORDS | _COMPARING | {"other", "rather"}
            and not _is_number(raw, i + 2)
        ):
            out.append(Unclear(f"{word} than", "condition"))
    return out


def _aggregate(model: SemanticModel, key: str) -> str:
    definition = model.field(key).definition
    return definition.type if isinstance(definition, Measure) else ""


def _is_number(raw: list[str], i: int) -> bool:
    return i < len(raw) and raw[i].isdigit()
