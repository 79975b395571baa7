"""InfluxQL statements for the store interface, with every user-supplied value escaped.

Identifiers (measurements, tag keys, field names) go in double quotes and string literals
(tag values) in single quotes; backslashes, both quote characters and line breaks are
backslash-escaped inside either, so no value can end the quoted token early. Tag values
are compared in their stored form (see ``store.lineprotocol.encode_tag_value``).
"""

from __future__ import annotations

from collections.abc import Sequence

from store.base import AGGREGATIONS, TagFilter
from store.lineprotocol import encode_tag_value

_ESCAPES = {"\\": "\\\\", "\n": "\\n"}  # the only escapes InfluxQL strings know


def _escape(text: str, quote_char: str) -> str:
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c == quote_char:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def ident(name: str) -> str:
    """A double-quoted InfluxQL identifier."""
    return '"' + _escape(name, '"') + '"'


def literal(value: str) -> str:
    """A single-quoted InfluxQL string literal."""
    return "'" + _escape(value, "'") + "'"


def where_clause(start: int, end: int | None, where: TagFilter | None) -> str:
    """``WHERE`` for the half-open range [start, end) and tag equality filters."""
    conds = [f"time >= {int(start)}s"]
    if end is not None:
        conds.append(f"time < {int(end)}s")
    for tag, wanted in (where or {}).items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        if not values:
            raise ValueError(f"where {tag!r}: an empty list matches nothing; check it before building a query")
        ors = " OR ".join(f"{ident(tag)} = {literal(encode_tag_value(str(v)))}" for v in values)
        conds.append(f"({ors})")
    return " WHERE " + " AND ".join(conds)


def select_aggregate(
    measurement: str,
    fields: Sequence[str],
    start: int,
    end: int,
    *,
    where: TagFilter | None,
    group_by: Sequence[str],
    every: int | None,
    agg: str,
) -> str:
    """One SELECT aggregating ``fields``; buckets epoch-aligned, empty buckets left out."""
    if agg not in AGGREGATIONS:
        raise ValueError(f"aggregation {agg!r} is not one of {', '.join(AGGREGATIONS)}")
    if every is not None and int(every) <= 0:
        raise ValueError(f"every={every!r}: the bucket width must be a positive number of seconds")
    cols = ", ".join(f"{agg}({ident(f)}) AS {ident(f)}" for f in fields)
    groups = ([f"time({int(every)}s)"] if every is not None else []) + [ident(t) for t in group_by]
    group = (" GROUP BY " + ", ".join(groups)) if groups else ""
    fill = " fill(none)" if every is not None else ""
    return f"SELECT {cols} FROM {ident(measurement)}{where_clause(start, end, where)}{group}{fill}"


def select_points(measurement: str, start: int, end: int, where: TagFilter | None) -> str:
    return f"SELECT * FROM {ident(measurement)}{where_clause(start, end, where)} GROUP BY *"


def show_field_keys(measurement: str) -> str:
    return f"SHOW FIELD KEYS FROM {ident(measurement)}"


def show_tag_values(measurement: str, tag: str) -> str:
    return f"SHOW TAG VALUES FROM {ident(measurement)} WITH KEY = {ident(tag)}"


def delete_before(measurement: str, before: int) -> str:
    return f"DELETE FROM {ident(measurement)} WHERE time < {int(before)}s"


def delete_series(measurement: str, where: TagFilter) -> str:
    """Every point of the series matching ``where`` (tag equality only), at any time."""
    clause = where_clause(0, None, where).replace(" WHERE time >= 0s AND ", " WHERE ", 1)
    return f"DELETE FROM {ident(measurement)}{clause}"


def create_database(database: str) -> str:
    return f"CREATE DATABASE {ident(database)}"
