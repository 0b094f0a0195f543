"""Statement builders shared by repositories that write the same row two ways: as a
statement of its own, or as a part of one larger statement on PostgreSQL, where
data-modifying ``WITH`` clauses let several writes travel in a single round trip."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import FromClause, Insert, Table, literal, select


def insert_row(
    table: Table, values: Mapping[str, object], *, when: FromClause | None = None
) -> Insert:
    """An INSERT of one row. With ``when`` (a ``WITH`` clause's rows, say those of an
    UPDATE … RETURNING), the row is inserted once for each row ``when`` yields: not at
    all if the update changed nothing."""
    if when is None:
        return table.insert().values(**values)
    names = list(values)
    row = select(
        *(literal(values[name], table.c[name].type).label(name) for name in names)
    ).select_from(when)
    return table.insert().from_select(names, row)
