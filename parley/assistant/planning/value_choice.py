"""Which stored values a phrase names, when it could name more than one.

A phrase the vocabulary found as a value may have several candidates:

- several values of one field: the values share a `value_synonyms` entry, or the phrase
  is one value's name and another's synonym. The author has named a group, so the phrase
  means all of them (a filter on a list of values).
- one value of a field whose name is also a word of other values of that field ("noise"
  is the value 'Noise' and a word of 'Noise - Residential', 'Noise - Street'): a loose
  category word as much as a name, so the planner asks which, unless the prompt writes
  the value with its capitals ("Noise" inside a sentence) or a `value_synonyms` entry
  says what the word means.
- the same value in several fields (a table joined twice: start and end station both
  have a borough). A word before the value that belongs to one field only (a word of
  its label, view name, synonyms or description: "ended in the Bronx" → end station),
  or a cue of direction matching such a word ("from" → a field of start, origin,
  source...; "to" → end, destination...) settles it; so does a value joined to one
  before it ("from Queens or Brooklyn"). Without either, a field of the topic's base
  view is taken before joined ones; between joined ones the planner asks.
"""

from __future__ import annotations

from parley.assistant.outcome import Unclear
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.value_index import ValueMatch
from parley.assistant.vocabulary import Candidate, Mention
from parley.assistant.words import STOP_WORDS, tokens

_MAX_SHOWN = 5
_JOINERS = frozenset(("and", "or", "vs", "versus", "nor", "the"))
# Where something comes from and where it goes: the words of a field's name that say so,
# and the prepositions that point at that field ("from Manhattan to Brooklyn").
_ORIGIN = (
    *("from", "start", "origin", "source", "depart", "departure", "pickup", "begin"),
    *("leave", "out", "outbound"),  # "flights leaving / out of Atlanta"
)
_DESTINATION = (
    *("to", "into", "end", "destination", "arrive", "arrival", "dropoff", "finish"),
    "inbound",
)


def root(word: str) -> str:
    """A word without its common English endings ("ended", "ending" → "end")."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


_ORIGIN_ROOTS = frozenset(root(w) for w in _ORIGIN)
_DESTINATION_ROOTS = frozenset(root(w) for w in _DESTINATION)


def values_meant(
    model: SemanticModel,
    mention: Mention,
    options: list[Candidate],
    words: list[str],
    mentions: list[Mention],
    capitals: set[str],
    base: str,
    used: list[int],
) -> list[Candidate] | Unclear:
    """The value candidates `mention` means (one field, one or more values), or what to
    ask when the prompt does not say; the index of a word that chose the field is added
    to `used`."""
    top = options[0]
    assert top.value is not None
    # Other fields count only when they hold the same value as the best candidate (a
    # different value reached by a synonym loses to it, as ranked by `choose`).
    same = [
        c for c in options if c.field == top.field or (c.value and c.value.value == top.value.value)
    ]
    fields = list(dict.fromkeys(c.field for c in same))
    text = " ".join(mention.raw)
    if len(fields) > 1:
        preferred = _preferred_field(model, fields, mention, words, mentions, used)
        if preferred is None:
            closest = [k for k in fields if model.field(k).view == base]
            if len(closest) == 1:
                preferred = closest[0]  # the topic's own table before a joined one
        if preferred is None:
            listed = dict.fromkeys(_describe(model, c.value) for c in same if c.value)
            return Unclear(text, "value", tuple(listed)[:_MAX_SHOWN], several=True)
        fields = [preferred]
    here = [c for c in options if c.field == fields[0]]
    named_as_stored = any(w in capitals for w in mention.raw)
    wider = mention.wider.get(fields[0], ())
    if wider and all(c.value and c.value.exact for c in here) and not named_as_stored:
        shown = [c.value for c in here if c.value] + list(wider)
        return Unclear(
            text, "value", tuple(_describe(model, m) for m in shown[:_MAX_SHOWN]), several=True
        )
    return here


def _preferred_field(
    model: SemanticModel,
    fields: list[str],
    mention: Mention,
    words: list[str],
    mentions: list[Mention],
    used: list[int],
) -> str | None:
    """The one field a word before the value points at, nearest first."""
    own = {key: _role_words(model, key) for key in fields}
    distinct = {
        key: own[key] - set().union(*(own[k] for k in fields if k != key)) for key in fields
    }
    # Look back to the previous value named: "from Manhattan to Brooklyn" reads "to" for
    # Brooklyn and "from" for Manhattan.
    previous = [m for m in mentions if m.end <= mention.start and m.kinds() == {"value"}]
    start = previous[-1].end if previous else 0
    if previous and all(w in _JOINERS for w in words[start : mention.start]):
        # "from Queens or Brooklyn": a value joined to the one before is of its field.
        chosen = previous[-1].chosen
        if chosen is not None and chosen.field in fields:
            return chosen.field
    # Nearest first; the word right after counts as near ("the North crew").
    before = list(reversed(range(start, mention.start)))
    after = [i for i in range(mention.end, mention.end + 1) if i < len(words)]
    for i in [*before[:1], *after, *before[1:]]:
        r = root(words[i])
        hits = [
            key
            for key in fields
            if r in distinct[key]
            or (r in _ORIGIN_ROOTS and distinct[key] & _ORIGIN_ROOTS)
            or (r in _DESTINATION_ROOTS and distinct[key] & _DESTINATION_ROOTS)
        ]
        if len(hits) == 1:
            used.append(i)
            return hits[0]
    return None


def _role_words(model: SemanticModel, key: str) -> set[str]:
    found = model.field(key)
    definition = found.definition
    view = model.views[found.view]
    names = [found.view, found.name, found.label, *definition.synonyms]
    names.extend((view.label or "", *view.synonyms))
    # "from"/"to" are filler elsewhere, but in a name ("From borough") they say the role;
    # in a description ("routed to") they are only grammar.
    directions = _ORIGIN_ROOTS | _DESTINATION_ROOTS
    words = {root(w) for text in names for w in tokens(text.replace("_", " "))}
    words = {w for w in words if w not in STOP_WORDS or w in directions}
    for text in (definition.description, view.description):
        words.update(root(w) for w in tokens(text) if w not in STOP_WORDS)
    return words


def _describe(model: SemanticModel, match: ValueMatch | None) -> str:
    assert match is not None
    return f"{match.value} ({model.field(match.field).label.lower()})"
