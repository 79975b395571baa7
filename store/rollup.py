"""Rollups and retention, done by the application so every backend behaves the same.

Raw 10 s buckets are rolled up into ``<measurement>_1m`` and ``<measurement>_1h`` with
each field combined by its kind (counters sum, gauges average, maxima keep the peak,
sketches merge), then old raw points are deleted. Summaries fold a rollup down to a few
tags (``http_by_actor_1m``: site and actor) so the dashboard's wide charts read a few
series instead of hundreds, like a continuous query. ``query_auto`` reads a range at a
resolution, from the coarsest table that has it, plus raw data for the recent part the
last rollup has not covered yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from store import sketch
from store.base import Point, TagFilter, TimeSeriesStore, to_epoch
from store.schema import MEASUREMENTS, ROLLUPS, Kind, Measurement, rollup_name

# The worker re-rolls this recent window on every run: late lines may still change it.
ROLLUP_LAG = 15 * 60
# Where each rollup records how far it has been computed (one point at time 0 per table).
WATERMARKS = "rollup_watermarks"

def _combine(spec: Measurement, pts: list[Point]) -> dict[str, float | int | str]:
    """One point's fields from several, each field combined by its kind."""
    fields: dict[str, float | int | str] = {}
    for f in {f for p in pts for f in p.fields}:
        values = [p.fields[f] for p in pts if f in p.fields]
        kind = spec.kind(f)
        if kind is Kind.SKETCH:
            fields[f] = sketch.merge_b64(str(v) for v in values)
            fields[f"{f}_estimate"] = sketch.estimate_b64(str(v) for v in values)
        elif kind is Kind.GAUGE:
            fields[f] = sum(values) / len(values)
        elif kind is Kind.MAX:
            fields[f] = max(values)
        else:
            fields[f] = sum(values)
    return fields


def summarize(spec: Measurement, points: list[Point], table: str, tags: Sequence[str]) -> list[Point]:
    """Points of ``table`` keeping only ``tags``: the same buckets, other tags folded together."""
    grouped: dict[tuple, list[Point]] = defaultdict(list)
    for p in points:
        grouped[(tuple(p.tags.get(t, "") for t in tags), p.time)].append(p)
    return [Point(table, dict(zip(tags, key, strict=True)), _combine(spec, pts), bucket)
            for (key, bucket), pts in grouped.items()]


def rollup(store: TimeSeriesStore, measurement: str, start: datetime | int, end: datetime | int) -> int:
    """Roll ``measurement`` up over [start, end) into each rollup and summary table; returns points written."""
    spec = MEASUREMENTS[measurement]
    t0, t1 = to_epoch(start), to_epoch(end)
    written = 0
    for suffix, width in ROLLUPS:
        b0, b1 = t0 - t0 % width, t1 - t1 % width
        if b1 <= b0:
            continue
        raw = store.points(measurement, b0, b1)
        if not raw:
            continue
        grouped: dict[tuple, list[Point]] = defaultdict(list)
        for p in raw:
            grouped[(p.series_key, p.time - p.time % width)].append(p)
        table = rollup_name(measurement, suffix)
        out = [Point(table, pts[0].tags, _combine(spec, pts), bucket) for (_, bucket), pts in grouped.items()]
        written += store.write(out)
        tables = [table]
        for name, tags in spec.summaries.items():
            summary = rollup_name(f"{measurement}_{name}", suffix)
            written += store.write(summarize(spec, out, summary, tags))
            tables.append(summary)
        for t in tables:
            if b1 > watermark(store, t):
                store.write([Point(WATERMARKS, {"table": t}, {"until": b1}, 0)])
    return written


def watermark(store: TimeSeriesStore, table: str) -> int:
    """Epoch second up to which ``table`` has been rolled up (0 when never)."""
    marks = store.points(WATERMARKS, 0, 1, where={"table": table})
    return int(marks[0].fields["until"]) if marks else 0


def apply_retention(store: TimeSeriesStore, now: datetime | int, *, raw_days: int, days_1m: int, days_1h: int) -> None:
    now_ts = to_epoch(now)
    for name, spec in MEASUREMENTS.items():
        store.delete_before(name, now_ts - (spec.raw_retention_days or raw_days) * 86400)
        for base in (name, *(f"{name}_{summary}" for summary in spec.summaries)):
            store.delete_before(rollup_name(base, "1m"), now_ts - days_1m * 86400)
            store.delete_before(rollup_name(base, "1h"), now_ts - days_1h * 86400)


def rollup_range(store: TimeSeriesStore, start: datetime | int | float, end: datetime | int | float) -> int:
    """Roll every measurement up over [start, end), e.g. after a backfill."""
    t0, t1 = to_epoch(start), to_epoch(end)
    return sum(rollup(store, m, t0, t1) for m in MEASUREMENTS)


def roll_recent(store: TimeSeriesStore, now: datetime | int | None = None) -> int:
    """Re-roll the recent window (late lines may have changed it) for every measurement."""
    now_ts = to_epoch(now or datetime.now(UTC))
    return rollup_range(store, now_ts - ROLLUP_LAG - 3600, now_ts)


def query_auto(
    store: TimeSeriesStore,
    measurement: str,
    start: datetime | int,
    end: datetime | int,
    *,
    every: int,
    fields: Sequence[str] | None = None,
    where: TagFilter | None = None,
    group_by: Sequence[str] = (),
    agg: str = "sum",
) -> pd.DataFrame:
    """``store.query`` at resolution ``every``, from the coarsest rollup that fits.

    A summary rollup (``Measurement.summaries``) is used when it keeps every tag the query
    groups or filters by. The part of the range the rollup has not covered yet is read
    from raw points.
    """
    t0, t1 = to_epoch(start), to_epoch(end)
    needed = set(group_by) | set(where or {})
    base = measurement
    for name, tags in MEASUREMENTS[measurement].summaries.items() if measurement in MEASUREMENTS else ():
        if needed <= set(tags):
            base = f"{measurement}_{name}"  # far fewer series: the same answer, faster
            break
    table = measurement
    for suffix, width in ROLLUPS:
        if every % width == 0:
            table = rollup_name(base, suffix)
    if table == measurement:
        return store.query(measurement, t0, t1, fields=fields, where=where, group_by=group_by, every=every, agg=agg)
    split = min(t1, max(t0, watermark(store, table)))
    split -= split % every
    parts = [store.query(table, t0, split, fields=fields, where=where, group_by=group_by, every=every, agg=agg)]
    if split < t1:
        parts.append(store.query(measurement, split, t1, fields=fields, where=where, group_by=group_by,
                                 every=every, agg=agg))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return store.query(measurement, t0, t0, fields=fields, where=where, group_by=group_by, every=every, agg=agg)
    return pd.concat(parts, ignore_index=True)
