"""Parts of a bucket: each file or stream of a source writes its own part, reads merge them.

An access-log source may be fed by several files (two servers' logs, a backfill of old
files while the live tail runs). Each writes its points with its own ``part`` tag, so a
file re-ingested rewrites only its own part (the same content gives the same points,
which replace the old ones) and two files never overwrite each other's bucket. Reading
adds the parts back together, field by field as the schema says: counters sum, sketches
union, maxima keep the peak, gauges average weighted by ``clients`` when the point has
them. ``store.query`` sums parts by itself (it aggregates over every tag not grouped by);
``merge_parts`` does the same for whole points, and ``refold_networks`` keeps the top
networks of the merged bucket, folding the rest into ``other`` as one part would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from store import sketch
from store.base import Point
from store.schema import OTHER, Kind, spec_for

PART = "part"  # the tag naming a part


def merge_parts(points: Iterable[Point]) -> list[Point]:
    """The points with their ``part`` tag dropped, the parts of each series and bucket combined."""
    grouped: dict[tuple, list[Point]] = defaultdict(list)
    for p in points:
        tags = {k: v for k, v in p.tags.items() if k != PART}
        grouped[(p.measurement, tuple(sorted(tags.items())), p.time)].append(p)
    out = [Point(m, dict(tags), _combine(m, pts), t) for (m, tags, t), pts in grouped.items()]
    out.sort(key=lambda p: (p.time, p.series_key))
    return out


def _combine(measurement: str, pts: list[Point]) -> dict[str, float | int | str]:
    if len(pts) == 1:
        return dict(pts[0].fields)
    spec = spec_for(measurement)
    fields: dict[str, float | int | str] = {}
    for f in sorted({f for p in pts for f in p.fields}):
        values = [p.fields[f] for p in pts if f in p.fields]
        kind = spec.kind(f) if spec is not None else Kind.COUNTER
        if kind is Kind.SKETCH:
            fields[f] = sketch.merge_b64(str(v) for v in values)
        elif kind is Kind.MAX:
            fields[f] = max(values)
        elif kind is Kind.GAUGE:
            weights = [float(p.fields.get("clients", 1) or 0) for p in pts if f in p.fields]
            total = sum(weights)
            fields[f] = (sum(float(v) * w for v, w in zip(values, weights, strict=True)) / total if total
                         else sum(float(v) for v in values) / len(values))
        else:
            fields[f] = sum(values)  # type: ignore[arg-type]
    return fields


def refold_networks(points: Iterable[Point], top: int) -> list[Point]:
    """Merged ``networks`` points with only the ``top`` networks by requests per bucket, the rest in ``other``."""
    by_bucket: dict[tuple, list[Point]] = defaultdict(list)
    for p in merge_parts(points):
        rest = tuple(sorted((k, v) for k, v in p.tags.items() if k not in ("prefix", "asn")))
        by_bucket[(p.time, rest)].append(p)
    out: list[Point] = []
    for (t, rest), pts in by_bucket.items():
        nets = sorted((p for p in pts if (p.tags["prefix"], p.tags["asn"]) != (OTHER, OTHER)),
                      key=lambda p: (-float(p.fields.get("requests", 0)), p.tags["prefix"], p.tags["asn"]))
        folded = [p for p in pts if p not in nets[:top]]
        out.extend(nets[:top])
        if folded:
            fields = _combine("networks", folded) if len(folded) > 1 else dict(folded[0].fields)
            out.append(Point("networks", {**dict(rest), "prefix": OTHER, "asn": OTHER}, fields, t))
    out.sort(key=lambda p: (p.time, p.series_key))
    return out
