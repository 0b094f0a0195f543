"""An index of the values of low-cardinality text dimensions, for prompts like "in Europe".

Built once per model and warehouse by querying each indexed dimension's distinct values
through the ordinary compiler and executor (so it works on any warehouse), plus the
model's `value_synonyms` ("male" → gender M).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from parley.assistant.compiler import compile_query
from parley.assistant.executor import Warehouse
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import Dimension, SemanticModel
from parley.assistant.words import phrase

MAX_VALUES = 200  # beyond this a dimension is an identifier or free text, not a category


@dataclass(frozen=True)
class ValueMatch:
    field: str  # view.dimension
    value: str  # exactly as stored in the warehouse
    exact: bool  # the prompt named the value itself rather than a synonym of it


class ValueIndex:
    def __init__(self, model: SemanticModel, values: Mapping[str, Iterable[str]]) -> None:
        self.values: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in values.items()}
        self.phrases: dict[tuple[str, ...], list[ValueMatch]] = {}
        for key, found in sorted(self.values.items()):
            definition = model.field(key).definition
            assert isinstance(definition, Dimension)
            for value in found:
                self._add(phrase(value), ValueMatch(key, value, exact=True))
                for synonym in definition.value_synonyms.get(value, ()):
                    self._add(phrase(synonym), ValueMatch(key, value, exact=False))

    def _add(self, words: tuple[str, ...], match: ValueMatch) -> None:
        if words and match not in self.phrases.setdefault(words, []):
            self.phrases[words].append(match)

    @classmethod
    def build(cls, model: SemanticModel, warehouse: Warehouse, timeout: float = 30.0) -> ValueIndex:
        values: dict[str, list[str]] = {}
        for key, found in model.fields.items():
            definition = found.definition
            if not isinstance(definition, Dimension) or definition.type != "string":
                continue
            if not definition.index_values:
                continue
            query = SemanticQuery(table=found.view, fields=[key], limit=MAX_VALUES + 1)
            result = warehouse.execute(
                compile_query(query, model, warehouse.dialect),
                row_cap=MAX_VALUES + 1,
                timeout=timeout,
            )
            if len(result.rows) > MAX_VALUES:
                continue
            values[key] = sorted(str(row[0]) for row in result.rows if row[0] is not None)
        return cls(model, values)

    @property
    def longest(self) -> int:
        return max((len(p) for p in self.phrases), default=0)
