"""Requests stored in a time range, in total and by source, actor or status: for ``surgewatch traffic``.

Anyone can check the store against their own logs: the range is half-open, [from, to),
with both ends rounded down to the 10 s bucket holding them (a bucket is counted whole or
not at all), read from the raw ``http`` buckets of either backend.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from store.base import BUCKET_SECONDS, TimeSeriesStore, bucket_start

GROUPS = ("source", "actor", "status")
# ISO 8601 date and time with seconds optional, fraction optional, and a zone (Z or ±HH:MM / ±HHMM) required.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


class RangeError(ValueError):
    """A --from/--to/--by value that cannot be used; the message names it and what to give."""


def parse_instant(value: str, option: str) -> datetime:
    """An ISO 8601 time with ``Z`` or an offset, as an aware UTC datetime; RangeError otherwise."""
    text = value.strip()
    example = "e.g. 2026-03-01T08:00:00Z or 2026-03-01T09:00:00+01:00"
    if not _ISO.match(text):
        raise RangeError(f"{option} {value!r} is not an ISO 8601 time with Z or an offset ({example})")
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as exc:
        raise RangeError(f"{option} {value!r} is not a valid time ({exc}; {example})") from None


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def traffic_totals(store: TimeSeriesStore, start: datetime, end: datetime, *, site: str | None = None,
                   by: str | None = None) -> dict[str, Any]:
    """``{"from", "to", "requests", "groups": [{"key", "requests"}]}`` over [start, end) in whole buckets.

    Groups come largest first (then by key); without ``by`` there are none. StoreError when
    the store cannot be read.
    """
    if by is not None and by not in GROUPS:
        raise RangeError(f"--by {by!r} is not one of {', '.join(GROUPS)}")
    t0, t1 = bucket_start(start.timestamp(), BUCKET_SECONDS), bucket_start(end.timestamp(), BUCKET_SECONDS)
    if t1 < t0:
        raise RangeError(f"--to {iso(t1)} is before --from {iso(t0)}; give the earlier time as --from")
    groups: list[dict[str, Any]] = []
    total = 0
    if t1 > t0:
        df = store.query("http", t0, t1, fields=["requests"], where={"site": site} if site else None,
                         group_by=[by] if by else [])
        if not df.empty:
            df = df.dropna(subset=["requests"])
            total = int(round(df["requests"].sum()))
            if by:
                sums = df.groupby(by)["requests"].sum()
                groups = [{"key": str(k), "requests": int(round(n))} for k, n in sums.items()]
                groups.sort(key=lambda g: (-g["requests"], g["key"]))
    return {"from": iso(t0), "to": iso(t1), "requests": total, "groups": groups}
