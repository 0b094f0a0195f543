"""Compile a semantic query to warehouse SQL with sqlglot's expression builder.

Identifiers come only from the semantic model (view, table and column names, already
checked when the model was loaded); every filter value becomes a named bound parameter
(`p0`, `p1`, ...), never SQL text. The limit, an integer the query model has already
bounded, is written as a number: several engines (Trino, Spark, BigQuery) take no
parameter in LIMIT. Only the joins a query needs are emitted, following the topic's
join graph.

sqlglot writes each dialect's quoting, functions and placeholders; what it cannot know
is decided here: weeks start on Monday everywhere (BigQuery's plain WEEK starts on
Sunday), BigQuery's timestamps are DATETIME (Parley's warehouse times are naive UTC) and
its column names take no dots, and SQLite has no date_trunc at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlglot import exp

from parley.assistant.query import (
    AllOf,
    Compare,
    Condition,
    FieldRef,
    IsNull,
    Not,
    OneOf,
    QueryError,
    ResolvedQuery,
    SemanticQuery,
    resolve_query,
)
from parley.assistant.semantic_model import Measure, SemanticModel, Timeframe
from parley.warehouses.kinds import DIALECTS, Dialect

_TRUNC_UNITS: dict[Timeframe, str] = {
    "date": "DAY",
    "week": "WEEK",
    "month": "MONTH",
    "quarter": "QUARTER",
    "year": "YEAR",
}


@dataclass(frozen=True)
class CompiledQuery:
    """SQL for one dialect, its parameters and the semantic name of each result column."""

    # Placeholders as the dialect's usual driver spells them (duckdb $p0, sqlite :p0,
    # psycopg and clickhouse-connect %(p0)s, BigQuery @p0, others :p0).
    sql: str
    params: dict[str, Any]
    columns: tuple[str, ...]
    dialect: Dialect
    expression: exp.Select

    def sql_with_colon_params(self, row_cap: int | None = None) -> str:
        """The same SQL with `:p0` placeholders, as SQLAlchemy's `text()` expects; with
        `row_cap`, capped in the SQL itself (see `capped`)."""
        tree = self.expression.copy() if row_cap is None else capped(self.expression, row_cap)
        for node in list(tree.find_all(exp.Placeholder)):
            node.replace(exp.var(f":{node.name}"))
        return tree.sql(dialect=self.dialect, identify=True)


TOTAL_COLUMN = "parley_total_rows"


def capped(expression: exp.Expr, cap: int) -> exp.Expr:
    """`expression` returning at most `cap` rows plus one, each carrying the number of
    rows the whole query has: the engine stops early instead of sending every row to be
    counted here. Anything but a SELECT is returned as it is."""
    if not isinstance(expression, exp.Select):
        return expression
    inner = expression.copy()
    order = inner.args.get("order")
    total = exp.Window(this=exp.Count(this=exp.Star())).as_(TOTAL_COLUMN, quoted=True)
    outer = exp.select(exp.Star(), total).from_(inner.subquery("capped", copy=False))
    if order is not None:  # a subquery's order is not the outer query's
        outer.set("order", order.copy())
    return outer.limit(exp.Literal.number(cap + 1))


# Where sqlglot's placeholder is not what the dialect's driver reads.
_PYFORMAT = {"clickhouse"}
# Engines whose column names cannot hold `view.field[grain]`: columns are named by position.
_POSITIONAL_ALIASES = {"bigquery"}


def render(tree: exp.Expr, dialect: Dialect) -> str:
    if dialect in _PYFORMAT:
        tree = tree.copy()
        for node in list(tree.find_all(exp.Placeholder)):
            node.replace(exp.var(f"%({node.name})s"))
    return tree.sql(dialect=dialect, identify=True)


def compile_query(
    query: SemanticQuery | ResolvedQuery, model: SemanticModel, dialect: Dialect = "duckdb"
) -> CompiledQuery:
    """Build the SQL for `query` (validated against `model` first when not yet resolved)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unsupported dialect {dialect!r}")
    resolved = query if isinstance(query, ResolvedQuery) else resolve_query(query, model)
    return _Builder(resolved, model, dialect).build()


class _Builder:
    def __init__(self, query: ResolvedQuery, model: SemanticModel, dialect: Dialect) -> None:
        self.query = query
        self.model = model
        self.dialect = dialect
        self.params: dict[str, Any] = {}
        self.views: set[str] = {query.base_view}

    def build(self) -> CompiledQuery:
        q = self.query
        projections = [self.field_sql(ref).as_(self.alias(ref), quoted=True) for ref in q.fields]
        groups = [self.field_sql(ref) for ref in q.fields if not ref.is_measure]
        where = [
            self.condition(self.field_sql(f.ref), f.condition, f.ref)
            for f in q.filters
            if not f.ref.is_measure
        ]
        having = [
            self.condition(self.field_sql(f.ref), f.condition, f.ref)
            for f in q.filters
            if f.ref.is_measure
        ]

        select = exp.select(*projections).from_(self.table(q.base_view))
        for view, on in self.joins():
            select = select.join(self.table(view), on=on, join_type="left")
        if where:
            select = select.where(exp.and_(*where))
        if groups and len(groups) < len(q.fields):
            select = select.group_by(*groups)
        elif groups:
            select = select.distinct()
        if having:
            select = select.having(exp.and_(*having))
        if q.sorts:
            select = select.order_by(
                *(
                    exp.Ordered(this=exp.column(self.alias(ref), quoted=True), desc=desc)
                    for ref, desc in q.sorts
                )
            )
        if q.limit is not None:
            select = select.limit(exp.Literal.number(int(q.limit)))
        return CompiledQuery(
            sql=render(select, self.dialect),
            params=self.params,
            columns=tuple(ref.key for ref in q.fields),
            dialect=self.dialect,
            expression=select,
        )

    # -- names ---------------------------------------------------------------------------

    def alias(self, ref: FieldRef) -> str:
        if self.dialect in _POSITIONAL_ALIASES:
            return f"c{self.query.fields.index(ref)}"
        return ref.key

    def table(self, view: str) -> exp.Table:
        table = exp.to_table(self.model.views[view].table)
        table.set("alias", exp.TableAlias(this=exp.to_identifier(view, quoted=True)))
        return table

    def joins(self) -> list[tuple[str, exp.Expr]]:
        """The joins needed to reach every view used, in the topic's declared order."""
        if self.query.topic is None:
            extra = self.views - {self.query.base_view}
            if extra:
                raise QueryError(f"view {sorted(extra)[0]!r} needs a topic that joins it")
            return []
        topic = self.model.topics[self.query.topic]
        needed = set(self.views)
        # A join's foreign key may sit on another joined view (distribution centers via
        # products): walk back until only the base view is left.
        pending = list(needed)
        while pending:
            view = pending.pop()
            if view == topic.base_view:
                continue
            if view not in topic.joins:
                raise QueryError(f"view {view!r} is not joined in topic {self.query.topic!r}")
            source = self.model.field(topic.joins[view].foreign_key).view
            if source not in needed:
                needed.add(source)
                pending.append(source)
        out: list[tuple[str, exp.Expr]] = []
        for view, join in topic.joins.items():
            if view in needed:
                on = exp.EQ(
                    this=self.qualified(join.foreign_key),
                    expression=self.qualified(join.primary_key),
                )
                out.append((view, on))
        return out

    def qualified(self, key: str) -> exp.Expr:
        found = self.model.field(key)
        return self.qualify(self.model.expressions[key], found.view)

    def qualify(self, expression: exp.Expr, view: str) -> exp.Expr:
        """Attach each column to its view's alias, remembering which views are used."""

        def attach(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column):
                owner = node.table or view
                self.views.add(owner)
                return exp.column(node.name, table=owner, quoted=True)
            return node

        return expression.copy().transform(attach)

    # -- fields --------------------------------------------------------------------------

    def field_sql(self, ref: FieldRef) -> exp.Expr:
        definition = ref.field.definition
        if isinstance(definition, Measure):
            return self.measure_sql(ref, definition)
        base = self.qualified(ref.field.key)
        return self.truncate(base, ref.timeframe, ref.type) if ref.timeframe else base

    def measure_sql(self, ref: FieldRef, measure: Measure) -> exp.Expr:
        inner = (
            self.qualify(self.model.expressions[ref.field.key], ref.field.view)
            if measure.sql is not None
            else None
        )
        if measure.type == "count":
            if inner is None:
                self.views.add(ref.field.view)
                return exp.Count(this=exp.Star())
            return exp.Count(this=inner)
        assert inner is not None  # the loader requires sql for every other aggregate
        aggregates: dict[str, Callable[[exp.Expr], exp.Expr]] = {
            "sum": lambda e: exp.Sum(this=e),
            "count_distinct": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
            "average": lambda e: exp.Avg(this=e),
            "min": lambda e: exp.Min(this=e),
            "max": lambda e: exp.Max(this=e),
        }
        return aggregates[measure.type](inner)

    def truncate(self, value: exp.Expr, timeframe: Timeframe, kind: str) -> exp.Expr:
        unit = _TRUNC_UNITS[timeframe]
        if self.dialect == "bigquery":
            grain = exp.var("WEEK(MONDAY)" if timeframe == "week" else unit)
            if kind == "date":
                return exp.DateTrunc(this=value, unit=grain)  # type: ignore[no-untyped-call]
            return exp.DatetimeTrunc(this=value, unit=grain)
        if self.dialect != "sqlite":
            return exp.TimestampTrunc(this=value, unit=exp.var(unit))

        # SQLite has no date_trunc: build the first day of the period as 'YYYY-MM-DD' text.
        def fn(name: str, *args: exp.Expr) -> exp.Expr:
            return exp.Anonymous(this=name, expressions=list(args))

        text = exp.Literal.string
        if timeframe == "date":
            return fn("date", value)
        if timeframe == "week":  # the Sunday on or after, minus six days: weeks start Monday
            return fn("date", value, text("weekday 0"), text("-6 days"))
        if timeframe == "month":
            return fn("strftime", text("%Y-%m-01"), value)
        if timeframe == "year":
            return fn("strftime", text("%Y-01-01"), value)
        month = exp.Cast(this=fn("strftime", text("%m"), value), to=exp.DataType.build("INT"))
        first_month = exp.Sub(
            this=exp.Mul(
                this=exp.Paren(
                    this=exp.IntDiv(
                        this=exp.Paren(this=exp.Add(this=month, expression=exp.Literal.number(2))),
                        expression=exp.Literal.number(3),
                    )
                ),
                expression=exp.Literal.number(3),
            ),
            expression=exp.Literal.number(2),
        )
        return fn("printf", text("%s-%02d-01"), fn("strftime", text("%Y"), value), first_month)

    # -- filters -------------------------------------------------------------------------

    def bind(self, value: Any, ref: FieldRef | None = None) -> exp.Placeholder:
        name = f"p{len(self.params)}"
        self.params[name] = self.driver_value(value, ref)
        return exp.Placeholder(this=name)

    def driver_value(self, value: Any, ref: FieldRef | None) -> Any:
        if self.dialect != "sqlite":
            return value
        # SQLite stores times as ISO text and its truncations produce 'YYYY-MM-DD'.
        if isinstance(value, datetime):
            if ref is not None and ref.timeframe is not None:
                return value.date().isoformat()
            return value.isoformat(sep=" ")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    def condition(self, target: exp.Expr, cond: Condition, ref: FieldRef) -> exp.Expr:
        if isinstance(cond, IsNull):
            test = exp.Is(this=target.copy(), expression=exp.Null())
            return test if cond.null else exp.Not(this=test)
        if isinstance(cond, Not):
            inner = self.condition(target, cond.condition, ref)
            # NOT (x = v) must keep rows where x is null, as a person would expect.
            if isinstance(cond.condition, IsNull):
                return exp.Not(this=exp.Paren(this=inner))
            return exp.or_(
                exp.Not(this=exp.Paren(this=inner)),
                exp.Is(this=target.copy(), expression=exp.Null()),
            )
        if isinstance(cond, AllOf):
            return exp.and_(*(self.condition(target, c, ref) for c in cond.conditions))
        if isinstance(cond, OneOf):
            return exp.In(this=target.copy(), expressions=[self.bind(v, ref) for v in cond.values])
        return self.compare(target, cond, ref)

    def compare(self, target: exp.Expr, cond: Compare, ref: FieldRef) -> exp.Expr:
        if cond.op in ("contains", "starts_with"):
            position = exp.StrPosition(
                this=exp.Lower(this=target.copy()), substr=exp.Lower(this=self.bind(cond.value))
            )
            if cond.op == "contains":
                return exp.GT(this=position, expression=exp.Literal.number(0))
            return exp.EQ(this=position, expression=exp.Literal.number(1))
        operators: dict[str, type[exp.Binary]] = {
            "eq": exp.EQ,
            "gt": exp.GT,
            "gte": exp.GTE,
            "lt": exp.LT,
            "lte": exp.LTE,
        }
        return operators[cond.op](this=target.copy(), expression=self.bind(cond.value, ref))
