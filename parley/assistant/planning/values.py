"""Words the vocabulary did not place: values named loosely, misspelt fields, and the
rest.

Every word of a prompt ends up used, known filler (`words.STOP_WORDS`), or reported. A
run of unplaced words is tried, in order, as

1. part of a stored value's name ("Acme" → "Acme Industries Inc.");
2. a misspelt value or word of a value ("Bostn" → "Boston"), with rapidfuzz;
3. a value of a dimension too large to index, looked up in the warehouse with a bounded,
   parameterised query;
4. a misspelt field name ("revenu"), or a word of one field's description.

Steps 1-3 are for words that look like a name (capitalised, or after "from", "in",
"for", "only"...); a plain word is only tried as a whole value misspelt, so "new
customers" never becomes "New York".

One match becomes a filter and a note for the read-back sentence ("'Acme' read as
customer Acme Industries Inc."); several different values make the planner ask which.
A name-like run that matches nothing makes it refuse with the closest values; any other
leftover word is reported as not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from parley.assistant.outcome import Unclear
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.value_index import CLOSE, ValueIndex, ValueMatch
from parley.assistant.vocabulary import Candidate, Mention, Vocabulary
from parley.assistant.words import BLOCK, STOP_WORDS

# Words after which the next word is probably a value ("revenue from Acme").
VALUE_CUES = frozenset(
    (
        *("from", "in", "for", "to", "at", "only", "just", "except", "excluding", "without"),
        *("named", "called", "like", "via"),
        # "orders that were refunded", "shipments that are late": a state, so a value.
        *("is", "are", "was", "were", "been", "being"),
    )
)
_BE = frozenset(("is", "are", "was", "were", "been", "being"))
# Prepositions: after a cue ("came in through the app") they pass the cue on; they are
# never a value themselves.
_PASSING = VALUE_CUES - _BE | {"through", "into", "onto", "within", "under", "on", "of"}
# Verbs that only say a row came to be ("trips were taken"): after is/are/was/were, and
# a word the planner read, they are a value only when a stored value matches them whole.
EVENT_VERBS = frozenset(
    (
        *("taken", "made", "placed", "created", "recorded", "logged", "registered"),
        *("booked", "entered", "done", "happened", "occurred", "held", "run", "generated"),
    )
)
_GROUP_CUES = frozenset(("by", "per"))
_JOINERS = frozenset(("and", "or", "vs", "versus", "nor"))
_MAX_CANDIDATES = 5
_CAPITALISED = re.compile(r"[A-Za-z0-9][A-Za-z0-9']*")


_Placed = Mention | Unclear | None


@dataclass
class Leftovers:
    mentions: list[Mention]
    unclear: list[Unclear]
    notes: list[str]
    ignored: list[str]


def capitalised(prompt: str) -> set[str]:
    """Words written with a capital inside the prompt (the first word does not count)."""
    found = _CAPITALISED.findall(prompt)
    return {w.lower().replace("'", "") for w in found[1:] if w[:1].isupper()}


def as_written(prompt: str) -> dict[str, str]:
    """Each word of the prompt, lowercased → as the user wrote it (to quote it back)."""
    return {w.lower().replace("'", ""): w for w in _CAPITALISED.findall(prompt)}


def place(
    model: SemanticModel,
    vocabulary: Vocabulary,
    values: ValueIndex | None,
    words: list[str],
    raw: list[str],
    mentions: list[Mention],
    views: list[str],
    capitals: set[str],
    skip: set[str],
    written: dict[str, str] | None = None,
) -> Leftovers:
    """Resolve the runs of words no mention covers (`skip`: markers to leave alone)."""
    out = Leftovers([], [], [], [])
    shown = [(written or {}).get(w, w) for w in raw]
    covered = {i for m in mentions for i in range(m.start, m.end)}
    value_ends = {m.end for m in mentions if m.kinds() == {"value"}}
    fields = {key for key in (values.values if values else {}) if model.field(key).view in views}
    runs: list[tuple[int, int]] = []
    start = None
    for i, word in enumerate([*words, BLOCK]):
        free = (
            i < len(words)
            and i not in covered
            and word not in STOP_WORDS
            and word not in skip
            and not word.isdigit()
        )
        if free and start is None:
            start = i
        elif not free and start is not None:
            runs.append((start, i))
            start = None
    out.ignored.extend(shown[i] for i, w in enumerate(words) if w.isdigit() and i not in covered)
    for start, end in runs:
        if start > 0 and words[start - 1] in _GROUP_CUES:
            # "by regoin": a field, misspelt or missing.
            placed: _Placed = _place_field(vocabulary, views, words, raw, start, end)
            if placed is None:
                text = " ".join(shown[start:end])
                placed = Unclear(text, "field", vocabulary.closest(text, views))
            _record(out, placed, shown, start, end, False, model, values, fields)
            continue
        named = _name_like(words, raw, start, end, capitals, covered, value_ends)
        placed = _place_run(
            model, vocabulary, values, fields, views, words, raw, start, end, named, shown
        )
        if placed is None and end - start > 1:
            parts = []
            for i in range(start, end):
                named_one = _name_like(words, raw, i, i + 1, capitals, covered, value_ends)
                one = _place_run(
                    model, vocabulary, values, fields, views, words, raw, i, i + 1, named_one, shown
                )
                parts.append((i, one, named_one))
            if _partly_a_field(parts):
                # "average fuel consumption": one word read as a field and the rest not
                # is a field the model does not have, not that field.
                text = " ".join(shown[start:end])
                out.unclear.append(Unclear(text, "field", vocabulary.closest(text, views)))
                continue
            for i, one, named_one in parts:
                _record(out, one, shown, i, i + 1, named_one, model, values, fields)
            continue
        joined = start > 0 and words[start - 1] in _JOINERS
        if not joined and _second_measure_by_spelling(placed, named, mentions):
            # A misspelling guess ("send" for "spend") never adds a measure to one the
            # prompt names outright.
            placed = None
        _record(out, placed, shown, start, end, named, model, values, fields)
    return out


def _partly_a_field(parts: list[tuple[int, _Placed, bool]]) -> bool:
    fields = [
        p
        for _, p, _ in parts
        if isinstance(p, Mention) and all(c.value is None for c in p.candidates)
    ]
    unplaced = [i for i, p, named in parts if p is None and not named]
    return bool(fields) and bool(unplaced)


def _second_measure_by_spelling(placed: _Placed, named: bool, mentions: list[Mention]) -> bool:
    if named or not isinstance(placed, Mention):
        return False
    if any(c.kind != "measure" for c in placed.candidates):
        return False
    return any(m.kinds() == {"measure"} for m in mentions)


def _record(
    out: Leftovers,
    placed: _Placed,
    raw: list[str],
    start: int,
    end: int,
    named: bool,
    model: SemanticModel,
    values: ValueIndex | None,
    fields: set[str],
) -> None:
    text = " ".join(raw[start:end])
    if isinstance(placed, Mention):
        out.mentions.append(placed)
        first = placed.candidates[0]
        if first.value is not None:
            out.notes.append(
                f"'{text}' as {model.field(first.field).label.lower()} {first.value.value}"
            )
        else:
            out.notes.append(f"'{text}' as {model.field(first.field).label.lower()}")
    elif isinstance(placed, Unclear):
        out.unclear.append(placed)
    elif named:
        out.unclear.append(Unclear(text, "value", _closest(text, model, values, fields)))
    else:
        out.ignored.append(text)


def _name_like(
    words: list[str],
    raw: list[str],
    start: int,
    end: int,
    capitals: set[str],
    covered: set[int],
    value_ends: set[int],
) -> bool:
    if any(w in capitals for w in raw[start:end]):
        return True
    if raw[start] in _PASSING:
        return False
    before = start - 1
    while before >= 0 and words[before] in ("the", "a", "an"):
        before -= 1
    if before < 0:
        return False
    if words[before] in _BE and end - start == 1 and raw[start] in EVENT_VERBS:
        # Only when what it says of is a thing the planner read ("trips were taken").
        subject = before - 1
        while subject >= 0 and words[subject] in ("that", "which", "who"):
            subject -= 1
        if subject in covered:
            return False
    if words[before] in VALUE_CUES:
        return True
    # "Denver and Bostn": a word joined to a value is a value too.
    return words[before] in _JOINERS and before in value_ends


def _place_run(
    model: SemanticModel,
    vocabulary: Vocabulary,
    values: ValueIndex | None,
    fields: set[str],
    views: list[str],
    words: list[str],
    raw: list[str],
    start: int,
    end: int,
    named: bool,
    shown: list[str],
) -> _Placed:
    stems = tuple(words[start:end])
    text = " ".join(shown[start:end])
    if values is not None:
        if named:
            found = values.containing(stems, fields) or values.similar(stems, fields)
            if not found:
                found = [
                    ValueMatch(key, value, exact=False)
                    for key in values.unindexed
                    if model.field(key).view in views
                    for value in values.search(key, tuple(raw[start:end]))
                ]
        else:
            # A plain word ("new" in "new customers") is not read as part of a longer
            # value ("New York"): only as a whole value misspelt ("facebok").
            found = values.similar(stems, fields, whole=True)
        if found:
            distinct = sorted({m.value for m in found})
            if len(distinct) == 1:
                candidates = [Candidate("value", m.field, m) for m in found]
                return Mention(start, end, stems, tuple(raw[start:end]), candidates)
            if not named:
                return _place_field(vocabulary, views, words, raw, start, end)
            return Unclear(
                text,
                "value",
                tuple(_describe(model, m) for m in found[:_MAX_CANDIDATES]),
                several=True,
            )
    return _place_field(vocabulary, views, words, raw, start, end)


def _place_field(
    vocabulary: Vocabulary,
    views: list[str],
    words: list[str],
    raw: list[str],
    start: int,
    end: int,
) -> Mention | None:
    stems = tuple(words[start:end])
    if end - start != 1 or len(stems[0]) < 3:
        return None
    # A short word ("pay" of "days to pay") may name a field by a word of its name; only
    # longer ones are guessed at as misspellings or read from descriptions.
    found = vocabulary.by_name_word(stems[0], views)
    if not found and len(stems[0]) >= 4:
        found = vocabulary.similar(stems[0], views) or vocabulary.by_description(stems[0], views)
    if found:
        return Mention(start, end, stems, tuple(raw[start:end]), found)
    return None


def _describe(model: SemanticModel, match: ValueMatch) -> str:
    return f"{match.value} ({model.field(match.field).label.lower()})"


def _closest(
    text: str, model: SemanticModel, values: ValueIndex | None, fields: set[str]
) -> tuple[str, ...]:
    """The stored values nearest to `text` across `fields`, for "did you mean"."""
    if values is None:
        return ()
    choices = {(key, value): value for key in sorted(fields) for value in values.values[key]}
    if not choices:
        return ()
    found = process.extract(
        text, choices, scorer=fuzz.WRatio, score_cutoff=CLOSE, limit=_MAX_CANDIDATES
    )
    return tuple(f"{value} ({model.field(key).label.lower()})" for value, _, (key, _) in found[:3])
