"""The semantic model (docs/assistant.md): views, dimensions, measures and topics, and its
loader.

A model is one YAML file:

```yaml
name: demo
views:
  order_items:
    table: order_items                # the warehouse table (may be schema.table)
    description: One row per item sold.
    dimensions:
      id: {type: number, primary_key: true}
      status: {type: string, synonyms: [state]}
      created_at: {type: timestamp, timeframes: [date, week, month, quarter, year]}
    measures:
      revenue: {type: sum, sql: sale_price, synonyms: [sales]}
      margin: {type: sum, sql: sale_price - products.cost}
topics:
  order_items:
    base_view: order_items
    default_time_field: order_items.created_at
    joins:
      products: {relationship: many_to_one, foreign_key: order_items.product_id,
                 primary_key: products.id}
```

A dimension's `sql` defaults to the column of the same name; a measure's `sql` is
required except for `count`. `sql` is a small expression language (columns, numbers,
strings, arithmetic, comparisons, CASE, COALESCE, CAST, LOWER/UPPER, ||): a bare column
belongs to the view's own table, `other_view.column` to a joined view's table. Anything
else (sub-queries, arbitrary functions) is refused when the model is loaded, so a model
stored through the API cannot smuggle SQL into the warehouse.

Mistakes are reported with the file, the line and the field path, for example
`model.yaml:42: views.orders.measures.total.type: unknown aggregate 'summ'`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import sqlglot
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlglot import exp

FieldType = Literal["string", "number", "date", "timestamp", "boolean"]
Timeframe = Literal["date", "week", "month", "quarter", "year"]
Aggregate = Literal["sum", "count", "count_distinct", "average", "min", "max"]
Relationship = Literal["many_to_one"]
Better = Literal["higher", "lower"]
NumericTime = Literal["year", "quarter", "month"]

TIMEFRAMES: tuple[Timeframe, ...] = get_args(Timeframe)
TIME_TYPES: frozenset[str] = frozenset({"date", "timestamp"})
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# Expression nodes a model's `sql` may use; everything else is refused at load time.
_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Cast,
    exp.DataType,
    exp.Lower,
    exp.Upper,
    exp.DPipe,
    exp.Concat,
    exp.Abs,
    exp.Round,
    exp.Nullif,
    exp.Tuple,
)


def _one_of(kind: str, allowed: tuple[str, ...]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in allowed:
            raise ValueError(f"unknown {kind} {value!r} (expected one of {', '.join(allowed)})")
        return value

    return BeforeValidator(check)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Strict):
    type: Annotated[FieldType, _one_of("type", get_args(FieldType))] = "string"
    sql: str | None = None
    label: str | None = None
    description: str = ""
    synonyms: tuple[str, ...] = ()
    timeframes: tuple[Annotated[Timeframe, _one_of("timeframe", TIMEFRAMES)], ...] = ()
    primary_key: bool = False
    # Whether the planner may index this dimension's values ("in Europe" → region).
    index_values: bool = True
    # Other words for particular values, e.g. {"M": ["male", "men"]}.
    value_synonyms: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # A number that is a period: `time: year` for a fiscal_year column, `time: month` for
    # a month number (1-12). Names like `year` and `fiscal_year` imply it (`numeric_time`).
    time: Annotated[NumericTime, _one_of("time", get_args(NumericTime))] | None = None
    # Never named by a word of a prompt (a join key the author keeps out of the way); a
    # query may still use it.
    hidden: bool = False


class Measure(_Strict):
    type: Annotated[Aggregate, _one_of("aggregate", get_args(Aggregate))]
    sql: str | None = None
    label: str | None = None
    description: str = ""
    synonyms: tuple[str, ...] = ()
    # Which way is good, for "best" and "worst": `lower` for delays, costs, churn. When
    # absent the planner guesses from the name (see `ranking.better`).
    better: Annotated[Better, _one_of("better", get_args(Better))] | None = None
    hidden: bool = False


class View(_Strict):
    table: str
    label: str | None = None
    description: str = ""
    synonyms: tuple[str, ...] = ()
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    measures: dict[str, Measure] = Field(default_factory=dict)


class Join(_Strict):
    relationship: Annotated[Relationship, _one_of("relationship", get_args(Relationship))] = (
        "many_to_one"
    )
    foreign_key: str  # view.dimension on the side already in the query
    primary_key: str  # view.dimension of the joined view


class Topic(_Strict):
    base_view: str
    label: str | None = None
    description: str = ""
    synonyms: tuple[str, ...] = ()
    default_time_field: str | None = None
    joins: dict[str, Join] = Field(default_factory=dict)


class SemanticModel(_Strict):
    name: str = "model"
    description: str = ""
    views: dict[str, View]
    topics: dict[str, Topic] = Field(default_factory=dict)

    def topic_views(self, topic: str) -> list[str]:
        """The base view followed by the joined views, in declaration order."""
        found = self.topics[topic]
        return [found.base_view, *found.joins]

    def views_outside_topics(self) -> list[str]:
        """The views no topic reaches, in declaration order."""
        inside = {view for topic in self.topics for view in self.topic_views(topic)}
        return [view for view in self.views if view not in inside]

    def with_all_views(self) -> SemanticModel:
        """This model with a topic of its own for each view outside every topic, named
        after the view and joining nothing, so a planner may query any view
        (``queryAllViews``). A view whose name a topic already takes stays out."""
        extra = {
            view: Topic(
                base_view=view,
                label=self.views[view].label,
                description=self.views[view].description,
                synonyms=self.views[view].synonyms,
            )
            for view in self.views_outside_topics()
            if view not in self.topics
        }
        if not extra:
            return self
        return SemanticModel(
            name=self.name,
            description=self.description,
            views=self.views,
            topics={**self.topics, **extra},
        )

    def field(self, name: str) -> ModelField:
        """The dimension or measure called `view.field` (KeyError when there is none)."""
        return self.fields[name]

    @cached_property
    def fields(self) -> dict[str, ModelField]:
        out: dict[str, ModelField] = {}
        for view_name, view in self.views.items():
            for name, dimension in view.dimensions.items():
                out[f"{view_name}.{name}"] = ModelField(view_name, name, dimension)
            for name, measure in view.measures.items():
                out[f"{view_name}.{name}"] = ModelField(view_name, name, measure)
        return out

    @cached_property
    def expressions(self) -> dict[str, exp.Expr]:
        """Each field's parsed `sql`, checked once at load time and reused by the compiler."""
        out: dict[str, exp.Expr] = {}
        for key, found in self.fields.items():
            source = found.definition.sql
            if source is None:
                if isinstance(found.definition, Dimension):
                    out[key] = exp.column(found.name)
                continue
            out[key] = parse_expression(source)
        return out


@dataclass(frozen=True)
class ModelField:
    view: str
    name: str
    definition: Dimension | Measure

    @property
    def key(self) -> str:
        return f"{self.view}.{self.name}"

    @property
    def is_measure(self) -> bool:
        return isinstance(self.definition, Measure)

    @property
    def label(self) -> str:
        return self.definition.label or self.name.replace("_", " ")


_YEAR_NAME = re.compile(r"^(?:[a-z0-9]+_)*(?:year|yr)$")
_MONTH_NAME = re.compile(r"^(?:[a-z0-9]+_)*month(?:_(?:number|num|no))?$")
_QUARTER_NAME = re.compile(r"^(?:[a-z0-9]+_)*(?:quarter|qtr)(?:_(?:number|num|no))?$")


def numeric_time(found: ModelField) -> NumericTime | None:
    """The period a number dimension holds: declared with `time`, or implied by its name
    (`year`, `fiscal_year`, `month`, `order_month`, `quarter`)."""
    definition = found.definition
    if not isinstance(definition, Dimension) or definition.type != "number":
        return None
    if definition.time is not None:
        return definition.time
    if _YEAR_NAME.match(found.name):
        return "year"
    if _QUARTER_NAME.match(found.name):
        return "quarter"
    if _MONTH_NAME.match(found.name):
        return "month"
    return None


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ModelError(ValueError):
    """A semantic model that cannot be used; `problems` lists every mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def parse_expression(source: str) -> exp.Expr:
    """Parse a model `sql` expression, refusing anything outside the small safe language."""
    try:
        parsed = sqlglot.parse_one(source, dialect="duckdb")
    except sqlglot.errors.ParseError as error:
        raise ValueError(f"cannot parse sql {source!r}: {error}") from None
    for node in parsed.walk():
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"sql {source!r} uses {node.key!r}, which a model may not use")
        if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
            raise ValueError(f"sql {source!r}: write columns as column or view.column")
    return parsed


def load_model(path: Path) -> SemanticModel:
    """Read and validate a model file; raises ModelError naming file, line and field."""
    return parse_model(Path(path).read_text(encoding="utf-8"), source=Path(path).name)


def parse_model(text: str, source: str = "<model>") -> SemanticModel:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ModelError([Problem(source, line, "", f"not valid YAML: {error}")]) from None
    if node is None:
        raise ModelError([Problem(source, 1, "", "the file is empty")])
    lines: dict[tuple[str, ...], int] = {}
    _record_lines(node, (), lines)
    data = yaml.safe_load(text)
    return validate_model(data, source=source, lines=lines)


def validate_model(
    data: Any, source: str = "<model>", lines: Mapping[tuple[str, ...], int] | None = None
) -> SemanticModel:
    """Validate an already parsed model (e.g. JSON stored in the state database)."""
    lines = lines or {}

    def problem(path: tuple[str, ...], message: str) -> Problem:
        return Problem(source, _line_of(path, lines), ".".join(path), message)

    try:
        model = SemanticModel.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            path = tuple(str(part) for part in item["loc"])
            if item["type"] == "extra_forbidden":
                message = f"unknown key {path[-1]!r}"
            elif item["type"] == "missing":
                message = "is required"
            else:
                message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(problem(path, message))
        raise ModelError(problems) from None
    problems = [problem(path, message) for path, message in _reference_problems(model)]
    if problems:
        raise ModelError(problems)
    return model


def _record_lines(
    node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines[child] = key.start_mark.line + 1
            _record_lines(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _record_lines(value, (*path, str(index)), lines)


def _line_of(path: tuple[str, ...], lines: Mapping[tuple[str, ...], int]) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _reference_problems(model: SemanticModel) -> Iterator[tuple[tuple[str, ...], str]]:
    """Names, expressions, joins and topics that point at nothing."""
    for view_name, view in model.views.items():
        if not NAME.match(view_name):
            yield ("views", view_name), "names are lower_snake_case"
        try:
            exp.to_table(view.table)
        except sqlglot.errors.ParseError:
            yield ("views", view_name, "table"), f"not a table name: {view.table!r}"
        for kind, members in (("dimensions", view.dimensions), ("measures", view.measures)):
            for name, definition in members.items():
                path: tuple[str, ...] = ("views", view_name, kind, name)
                if not NAME.match(name):
                    yield path, "names are lower_snake_case"
                if isinstance(definition, Dimension):
                    if definition.timeframes and definition.type not in TIME_TYPES:
                        yield (*path, "timeframes"), "only date and timestamp take timeframes"
                    if definition.time is not None and definition.type != "number":
                        yield (*path, "time"), "only a number dimension takes time"
                elif definition.sql is None and definition.type != "count":
                    yield (*path, "sql"), f"a {definition.type} measure needs sql"
                if definition.sql is None:
                    continue
                try:
                    parsed = parse_expression(definition.sql)
                except ValueError as error:
                    yield (*path, "sql"), str(error)
                    continue
                for column in parsed.find_all(exp.Column):
                    if column.table and column.table not in model.views:
                        yield (*path, "sql"), f"unknown view {column.table!r}"
    for topic_name, topic in model.topics.items():
        path = ("topics", topic_name)
        if topic.base_view not in model.views:
            yield (*path, "base_view"), f"unknown view {topic.base_view!r}"
            continue
        if topic.default_time_field is not None:
            found = model.fields.get(topic.default_time_field)
            if found is None or found.is_measure or found.definition.type not in TIME_TYPES:
                yield (
                    (*path, "default_time_field"),
                    (f"{topic.default_time_field!r} is not a date or timestamp dimension"),
                )
        reachable = {topic.base_view}
        for joined, join in topic.joins.items():
            join_path = (*path, "joins", joined)
            if joined not in model.views:
                yield join_path, f"unknown view {joined!r}"
                continue
            for key_name, key, side in (
                ("foreign_key", join.foreign_key, None),
                ("primary_key", join.primary_key, joined),
            ):
                found = model.fields.get(key)
                if found is None or found.is_measure:
                    yield (*join_path, key_name), f"unknown dimension {key!r}"
                elif side is not None and found.view != side:
                    yield (*join_path, key_name), f"must be a dimension of {joined!r}"
                elif side is None and found.view not in reachable:
                    yield (
                        (*join_path, key_name),
                        (f"{found.view!r} is not joined before {joined!r}"),
                    )
            reachable.add(joined)
        base = model.views[topic.base_view]
        for name, measure in base.measures.items():
            for table in _referenced_views(measure.sql):
                if table not in reachable and table in model.views:
                    yield (
                        (*path, "joins"),
                        (f"{topic.base_view}.{name} needs view {table!r}, which is not joined"),
                    )


def _referenced_views(source: str | None) -> set[str]:
    if source is None:
        return set()
    try:
        parsed = parse_expression(source)
    except ValueError:
        return set()  # reported where the measure is declared
    return {column.table for column in parsed.find_all(exp.Column) if column.table}
