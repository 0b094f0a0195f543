"""An index of the values of low-cardinality text dimensions, for prompts like "in Europe".

Built once per model and warehouse by querying each indexed dimension's distinct values
through the ordinary compiler and executor (so it works on any warehouse), plus the
model's `value_synonyms` ("male" → gender M).

Besides whole values it answers three looser questions, so that a value named by part of
its name or misspelt is found rather than dropped:

- `containing`: values whose words include all the given words ("Acme" → "Acme
  Industries Inc.");
- `similar`: values (or words of values) within a small edit distance, scored with
  rapidfuzz ("Bostn" → "Boston");
- `search`: for text dimensions with too many values to index (names, cities), a
  bounded, parameterised query to the warehouse (`... WHERE lower(city) LIKE ... LIMIT`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from parley.assistant.compiler import compile_query
from parley.assistant.executor import Warehouse, WarehouseError
from parley.assistant.query import FilterValue, SemanticQuery
from parley.assistant.semantic_model import Dimension, SemanticModel
from parley.assistant.words import phrase

MAX_VALUES = 200  # beyond this a dimension is an identifier or free text, not a category
SEARCH_LIMIT = 6  # values a warehouse search returns: enough to show "did you mean"
_REMEMBERED = 2_000  # warehouse look-ups kept per index
_MIN_FUZZY = 4  # shorter words are too easily one letter away from another word

# (field, filter) → the values found; the filter is built by the index, never by a prompt.
# A bounded warehouse look-up; None when the warehouse could not answer.
Search = Callable[[str, FilterValue, int], list[str] | None]


@dataclass(frozen=True)
class ValueMatch:
    field: str  # view.dimension
    value: str  # exactly as stored in the warehouse
    exact: bool  # the prompt named the value itself rather than a synonym of it


class ValueIndex:
    def __init__(
        self,
        model: SemanticModel,
        values: Mapping[str, Iterable[str]],
        *,
        unindexed: Iterable[str] = (),
        search: Search | None = None,
    ) -> None:
        self.values: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in values.items()}
        # Text dimensions whose values are looked up in the warehouse instead.
        self.unindexed: tuple[str, ...] = tuple(unindexed)
        self._search = search
        self._searched: dict[tuple[str, str], list[str]] = {}
        self.phrases: dict[tuple[str, ...], list[ValueMatch]] = {}
        self.words: dict[str, list[ValueMatch]] = {}
        for key, found in sorted(self.values.items()):
            definition = model.field(key).definition
            assert isinstance(definition, Dimension)
            for value in found:
                match = ValueMatch(key, value, exact=True)
                words = phrase(value)
                self._add(words, match)
                for word in set(words):
                    self.words.setdefault(word, []).append(match)
                for synonym in definition.value_synonyms.get(value, ()):
                    self._add(phrase(synonym), ValueMatch(key, value, exact=False))
        self._spelled = list(self.phrases)
        self._spelled_text = [" ".join(p) for p in self._spelled]
        self._word_list = list(self.words)

    def _add(self, words: tuple[str, ...], match: ValueMatch) -> None:
        if words and match not in self.phrases.setdefault(words, []):
            self.phrases[words].append(match)

    @classmethod
    def build(cls, model: SemanticModel, warehouse: Warehouse, timeout: float = 30.0) -> ValueIndex:
        values: dict[str, list[str]] = {}
        unindexed: list[str] = []
        for key, found in model.fields.items():
            definition = found.definition
            if not isinstance(definition, Dimension) or definition.type != "string":
                continue
            if not definition.index_values or definition.hidden:
                continue
            query = SemanticQuery(table=found.view, fields=[key], limit=MAX_VALUES + 1)
            result = warehouse.execute(
                compile_query(query, model, warehouse.dialect),
                row_cap=MAX_VALUES + 1,
                timeout=timeout,
            )
            if len(result.rows) > MAX_VALUES:
                unindexed.append(key)
                continue
            values[key] = sorted(str(row[0]) for row in result.rows if row[0] is not None)

        def search(key: str, condition: FilterValue, limit: int) -> list[str] | None:
            view = model.field(key).view
            query = SemanticQuery(
                table=view, fields=[key], filters={key: condition}, sorts=[], limit=limit
            )
            try:
                result = warehouse.execute(
                    compile_query(query, model, warehouse.dialect), row_cap=limit, timeout=timeout
                )
            except (WarehouseError, RuntimeError):
                return None  # not "no such value": the warehouse did not say
            return sorted(str(row[0]) for row in result.rows if row[0] is not None)

        return cls(model, values, unindexed=unindexed, search=search)

    @property
    def longest(self) -> int:
        return max((len(p) for p in self.phrases), default=0)

    # -- looser matches ------------------------------------------------------------------

    def containing(self, words: tuple[str, ...], fields: set[str]) -> list[ValueMatch]:
        """Values of `fields` whose words include every one of `words` (stemmed)."""
        if not words:
            return []
        found = [m for m in self.words.get(words[0], ()) if m.field in fields]
        wanted = set(words)
        return [m for m in found if wanted <= set(phrase(m.value))]

    def similar(
        self, words: tuple[str, ...], fields: set[str], *, whole: bool = False
    ) -> list[ValueMatch]:
        """Values of `fields` spelt almost like `words` (or, unless `whole`, like one word of
        a value), the closest only."""
        text = " ".join(words)
        if len(text) < _MIN_FUZZY:
            return []
        scored: dict[ValueMatch, int] = {}
        for _, distance, i in misspelt(text, self._spelled_text):
            for match in self.phrases[self._spelled[i]]:
                if match.field in fields:
                    scored[match] = min(scored.get(match, 99), distance)
        if len(words) == 1 and not whole:
            for _, distance, i in misspelt(text, self._word_list):
                for match in self.words[self._word_list[i]]:
                    if match.field in fields:
                        scored[match] = min(scored.get(match, 99), distance)
        if not scored:
            return []
        best = min(scored.values())
        return sorted((m for m, d in scored.items() if d == best), key=_order)

    def closest(self, text: str, field: str, limit: int = 3) -> list[str]:
        """The values of one indexed field nearest to `text`, for "did you mean"."""
        known = self.values.get(field, ())
        found = process.extract(text, known, scorer=fuzz.WRatio, score_cutoff=CLOSE, limit=limit)
        return [value for value, _, _ in found]

    def search(self, field: str, words: tuple[str, ...]) -> list[str]:
        """Values of an unindexed dimension containing `words`, from the warehouse."""
        text = " ".join(words)
        if self._search is None or len(text) < 3 or field not in self.unindexed:
            return []
        return self._remembered((field, text), {"contains": text}, SEARCH_LIMIT) or []

    def exists(self, field: str, value: str) -> bool | None:
        """Whether `value` is stored in `field`; None when it cannot be told."""
        if field in self.values and value in self.values[field]:
            return True
        if self._search is None or (field not in self.values and field not in self.unindexed):
            return None if field not in self.values else False
        # Not indexed, or not in the index, which was read when the model was loaded: the
        # warehouse has the last word (a value added since is not refused).
        found = self._remembered((field, "=" + value), value, 1)
        return None if found is None else bool(found)

    def _remembered(
        self, key: tuple[str, str], condition: FilterValue, limit: int
    ) -> list[str] | None:
        """A warehouse look-up, kept for the next question that asks the same; a look-up
        the warehouse could not answer is not kept."""
        assert self._search is not None
        found = self._searched.get(key)
        if found is None:
            found = self._search(key[0], condition, limit)
            if found is not None:
                if len(self._searched) >= _REMEMBERED:
                    self._searched.clear()
                self._searched[key] = found
        return found


CLOSE = 75.0  # rapidfuzz WRatio from which a value is worth offering as "did you mean"


def typos_allowed(text: str) -> int:
    """Edits (insert, delete, replace, swap) a misspelling of `text` may hold."""
    return 1 if len(text) <= 7 else 2 if len(text) <= 14 else 3


def misspelt(text: str, choices: list[str]) -> list[tuple[str, int, int]]:
    """The `choices` within a few edits of `text` that start with the same letter (a
    misspelling rarely changes the first letter: "meaning" is not "earning")."""
    if len(text) < _MIN_FUZZY:
        return []
    found = process.extract(
        text, choices, scorer=OSA.distance, score_cutoff=typos_allowed(text), limit=8
    )
    return [(c, int(d), i) for c, d, i in found if c[:1] == text[:1] and c != text]


def _order(match: ValueMatch) -> tuple[str, str]:
    return (match.field, match.value)
