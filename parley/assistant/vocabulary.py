"""The words a semantic model answers to, and finding them in a prompt.

Every measure and dimension is known by its name, label and synonyms; every indexed
value by itself and its value synonyms. A prompt is scanned longest phrase first, so
"average sale price" wins over "price" and "product category" over "product".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from parley.assistant.semantic_model import Measure, ModelField, SemanticModel
from parley.assistant.value_index import CLOSE, ValueIndex, ValueMatch, misspelt
from parley.assistant.words import BLOCK, STOP_WORDS, phrase, raw_tokens, stem, tokens

Kind = Literal["measure", "dimension", "value"]


@dataclass(frozen=True)
class Candidate:
    kind: Kind
    field: str  # view.field
    value: ValueMatch | None = None


@dataclass
class Mention:
    """One phrase of the prompt and what it may mean; `chosen` is settled by context."""

    start: int
    end: int
    words: tuple[str, ...]
    raw: tuple[str, ...]
    candidates: list[Candidate]
    chosen: Candidate | None = None
    alternatives: list[Candidate] = field(default_factory=list)
    # For a phrase that is one field's value by name: other values of that field holding
    # all its words ("noise" → 'Noise - Residential'), which it may mean as well.
    wider: dict[str, tuple[ValueMatch, ...]] = field(default_factory=dict)

    def kinds(self) -> set[Kind]:
        return {c.kind for c in self.candidates}


class Vocabulary:
    def __init__(self, model: SemanticModel, values: ValueIndex | None) -> None:
        self.model = model
        self.phrases: dict[tuple[str, ...], list[Candidate]] = {}
        # (phrase, field) the field answers to only by its bare name, not by a label or
        # synonym its author wrote: a field labelled so comes first (`find`).
        self._bare: set[tuple[tuple[str, ...], str]] = set()
        shown = {key: found for key, found in model.fields.items() if not found.definition.hidden}
        for key, found in shown.items():
            kind: Kind = "measure" if found.is_measure else "dimension"
            authored = {phrase(text) for text in _authored(found)}
            for text in _names(found):
                words = phrase(text)
                self._add(words, Candidate(kind, key))
                if words not in authored:
                    self._bare.add((words, key))
        self.wider: dict[tuple[str, ...], dict[str, tuple[ValueMatch, ...]]] = {}
        if values is not None:
            for words, matches in values.phrases.items():
                for match in matches:
                    self._add(words, Candidate("value", match.field, match))
                wider = _wider(values, words, matches)
                if wider:
                    self.wider[words] = wider
        self.longest = max((len(p) for p in self.phrases), default=1)
        # Names of several words read with filler inside or not: "day of the week" is the
        # field labelled "day of week", "number of items" is "number items".
        self._loose: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for spelled in self.phrases:
            loose = _without_filler(spelled)
            if len(loose) >= 2 and _names_field(self.phrases[spelled]):
                self._loose.setdefault(loose, []).append(spelled)
        # Words of longer names ("created" of created_at); context picks among the fields.
        self.name_words: dict[str, list[Candidate]] = {}
        named: dict[str, set[str]] = {}
        for key, found in shown.items():
            for text in _names(found):
                words = phrase(text)
                if len(words) < 2:
                    continue
                for word in words:
                    if len(word) >= 3 and word not in STOP_WORDS:
                        named.setdefault(word, set()).add(key)
        for word, keys in named.items():
            if (word,) not in self.phrases:
                self.name_words[word] = [
                    Candidate("measure" if model.fields[k].is_measure else "dimension", k)
                    for k in sorted(keys)
                ]
        # Words of descriptions that name one field only: a last resort for a word the
        # names and synonyms miss ("town" in "The town or city of the flat").
        self.described: dict[str, list[Candidate]] = {}
        owners: dict[str, set[str]] = {}
        for key, found in shown.items():
            for word in set(tokens(found.definition.description)):
                if len(word) >= 4 and not word.isdigit() and word not in STOP_WORDS:
                    owners.setdefault(word, set()).add(key)
        for word, keys in owners.items():
            if len(keys) == 1 and (word,) not in self.phrases:
                key = next(iter(keys))
                described: Kind = "measure" if model.fields[key].is_measure else "dimension"
                self.described[word] = [Candidate(described, key)]
        # One-word names of fields, for spotting a misspelt one ("revenu").
        self._single = sorted(
            {p[0] for p, found in self.phrases.items() if len(p) == 1 and _names_field(found)}
        )

    def _add(self, words: tuple[str, ...], candidate: Candidate) -> None:
        if words and candidate not in self.phrases.setdefault(words, []):
            self.phrases[words].append(candidate)

    def find(self, words: list[str], raw: list[str], views: Iterable[str]) -> list[Mention]:
        """Non-overlapping mentions of fields and values of `views`, longest first."""
        allowed = set(views)
        taken = [w == BLOCK for w in words]
        mentions: list[Mention] = []
        for length in range(min(self.longest + _MAX_FILLER, len(words)), 0, -1):
            for start in range(len(words) - length + 1):
                if any(taken[start : start + length]):
                    continue
                key = tuple(words[start : start + length])
                found = [
                    c
                    for c in self._named(key)
                    if c.kind != "value" or len(key) <= self.longest
                    if self.model.field(c.field).view in allowed
                ]
                if not found:
                    continue
                found = self._authored_first(key, found)
                mentions.append(
                    Mention(
                        start,
                        start + length,
                        key,
                        tuple(raw[start : start + length]),
                        found,
                        wider=self.wider.get(key, {}),
                    )
                )
                for i in range(start, start + length):
                    taken[i] = True
        mentions.sort(key=lambda m: m.start)
        return mentions

    def _named(self, words: tuple[str, ...]) -> list[Candidate]:
        exact = self.phrases.get(words)
        if exact is not None:
            return exact
        if words[0] in _FILLER or words[-1] in _FILLER:
            return []
        found: list[Candidate] = []
        for name in self._loose.get(_without_filler(words), ()):
            found.extend(c for c in self.phrases[name] if c.kind != "value" and c not in found)
        return found

    def names_around(self, text: str, start: int, end: int, views: Iterable[str]) -> bool:
        """Whether characters `start`-`end` of lowercase `text` are part of a longer field
        name ("day" in "which day of the week", where a field is labelled "day of
        week"), so a grain or period word there is that field's instead."""
        raw = raw_tokens(text)
        first, last = len(raw_tokens(text[:start])), len(raw_tokens(text[:end]))
        for mention in self.find([stem(w) for w in raw], raw, views):
            if mention.kinds() == {"value"} or mention.end - mention.start < 2:
                continue
            overlaps = mention.start < last and mention.end > first
            if overlaps and (mention.start < first or mention.end > last):
                return True
        return False

    def _authored_first(self, words: tuple[str, ...], found: list[Candidate]) -> list[Candidate]:
        """Fields the phrase names by a label or synonym before fields whose bare name it
        is ("agency": the field labelled Agency, not the `agency` join key)."""
        fields = [c for c in found if c.kind != "value"]
        bare = [c for c in fields if (words, c.field) in self._bare]
        if not bare or len(bare) == len(fields):
            return found
        return [c for c in found if c not in bare]

    def similar(self, word: str, views: Iterable[str]) -> list[Candidate]:
        """Field candidates for a word spelt almost like a one-word field name."""
        allowed = set(views)
        found = misspelt(word, self._single)
        if not found:
            return []
        closest = min(d for _, d, _ in found)
        names = [name for name, d, _ in found if d == closest]
        out = [
            c
            for name in names
            for c in self.phrases[(name,)]
            if c.kind != "value" and self.model.field(c.field).view in allowed
        ]
        return out if len(names) == 1 else []

    def by_name_word(self, word: str, views: Iterable[str]) -> list[Candidate]:
        """Fields of `views` with `word` in a longer name ("created" → created at), when
        they are all of one kind."""
        allowed = set(views)
        return [
            c for c in self.name_words.get(word, ()) if self.model.field(c.field).view in allowed
        ]

    def by_description(self, word: str, views: Iterable[str]) -> list[Candidate]:
        """The one field of `views` whose description (alone) uses `word`."""
        allowed = set(views)
        return [
            c for c in self.described.get(word, ()) if self.model.field(c.field).view in allowed
        ]

    def closest(self, text: str, views: Iterable[str], limit: int = 3) -> tuple[str, ...]:
        """Labels of the fields of `views` nearest to `text`, for "did you mean"."""
        allowed = set(views)
        labels = {
            key: found.label for key, found in self.model.fields.items() if found.view in allowed
        }
        found = process.extract(text, labels, scorer=fuzz.WRatio, score_cutoff=CLOSE, limit=limit)
        return tuple(label for label, _, _ in found)


def _wider(
    values: ValueIndex, words: tuple[str, ...], matches: list[ValueMatch]
) -> dict[str, tuple[ValueMatch, ...]]:
    """Per field where `words` are a value's own name (not a synonym), the other values
    of that field whose names hold those words together ("Noise - Residential" holds
    "noise"; "Street Light Condition" does not hold "street condition")."""
    out: dict[str, tuple[ValueMatch, ...]] = {}
    for key in dict.fromkeys(m.field for m in matches):
        here = [m for m in matches if m.field == key]
        if not all(m.exact for m in here):
            continue  # a value synonym says what the words name
        named = {m.value for m in here}
        others = tuple(
            m
            for m in values.containing(words, {key})
            if m.value not in named and _holds(phrase(m.value), words)
        )
        if others:
            out[key] = others
    return out


_FILLER = frozenset(("the", "a", "an", "of"))
_MAX_FILLER = 2  # filler words a prompt may add inside a name of several words


def _without_filler(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in words if w not in _FILLER)


def _holds(longer: tuple[str, ...], words: tuple[str, ...]) -> bool:
    n = len(words)
    return any(longer[i : i + n] == words for i in range(len(longer) - n + 1))


def _names_field(found: list[Candidate]) -> bool:
    return any(c.kind != "value" for c in found)


def _authored(found: ModelField) -> list[str]:
    definition = found.definition
    return [*definition.synonyms, *([definition.label] if definition.label else [])]


def _names(found: ModelField) -> list[str]:
    definition = found.definition
    names = [found.name.replace("_", " "), *definition.synonyms]
    if definition.label:
        names.append(definition.label)
    if isinstance(definition, Measure) and found.name.endswith("_count"):
        names.append(found.name.removesuffix("_count").replace("_", " ") + "s")
    return names
