"""Writing a pipeline's buckets: closed ones once, open ones as they change, never the same point twice.

Closed buckets are written whole and, on a store error, kept for the next try (nothing is
lost). Open buckets are written as they fill (``live_updates``) so a new line shows within
a poll; each later write of a bucket replaces the earlier one. Two rules keep the writes
proportional to the data, not to the polls:

- a point whose fields are what was last written for its series and bucket is not sent
  again (``_Sent``), so a poll that changed three series of a bucket writes three points;
- while the store keeps a backlog (InfluxDB down, its disk spool holding batches), open
  buckets are not written at all: nobody can read them, and each version would be spooled.
  They stay marked as changed and are written once the backlog is gone, or when they close.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store.base import BUCKET_SECONDS, Point, StoreError

if TYPE_CHECKING:
    from collectors.weblog.aggregate import Bucket
    from collectors.weblog.options import WeblogOptions
    from store.base import TimeSeriesStore

log = logging.getLogger(__name__)

NO_END = 1 << 62  # later than any bucket start


@dataclass
class _Sent:
    """The fields last written for each series of each bucket still in memory."""

    by_bucket: dict[int, dict[tuple, Mapping]] = field(default_factory=dict)

    def changed(self, points: list[Point]) -> list[Point]:
        out = []
        for p in points:
            if self.by_bucket.get(p.time, {}).get(p.series_key) != p.fields:
                out.append(p)
        return out

    def record(self, points: list[Point]) -> None:
        for p in points:
            self.by_bucket.setdefault(p.time, {})[p.series_key] = p.fields

    def forget(self, starts: list[int]) -> None:
        for s in starts:
            self.by_bucket.pop(s, None)


def store_backlog(store: TimeSeriesStore) -> int:
    """Points the store holds back for later (an InfluxDB spool); 0 for a store that has none."""
    depth = getattr(store, "spool_depth", None)
    return int(depth()) if callable(depth) else 0


class BucketWrites:
    """The write side of ``WeblogPipeline`` (which owns the attributes used here)."""

    store: TimeSeriesStore
    site: str
    source: str
    part: str
    options: WeblogOptions
    buckets: dict[int, Bucket]
    pending: list[Bucket]
    newest: int
    closed_before: int
    _dirty: set[int]
    _filling: set[int]
    _sent: _Sent

    def write_closed(self) -> int:
        """Write closed buckets; on a store error keep them for the next call (nothing lost)."""
        if not self.pending:
            return 0
        points = self._sent.changed(self._points(self.pending))
        try:
            n = self.store.write(points) if points else 0
        except StoreError as exc:
            log.error("accesslog %s: store write failed, %d bucket(s) kept for retry: %s",
                      self.source, len(self.pending), exc)
            return 0
        self._sent.forget([b.start for b in self.pending])
        self.attribution.forget([b.start for b in self.pending])  # type: ignore[attr-defined]
        self.pending = []
        self.stats.points_written += n  # type: ignore[attr-defined]
        return n

    def close_until(self, limit: int) -> None:
        """Close buckets starting before ``limit`` (live: wall clock minus the open window)."""
        limit -= limit % BUCKET_SECONDS
        if limit > self.closed_before:
            self.closed_before = limit
            for s in sorted(k for k in self.buckets if k < limit):
                self.pending.append(self.buckets.pop(s))
            self._tracker.prune(limit)  # type: ignore[attr-defined]

    def _points(self, buckets: list[Bucket], networks_before: int | None = None) -> list[Point]:
        """Points of ``buckets``; networks only of those starting before ``networks_before`` (all if None)."""
        opts = self.options
        tags = {"site": self.site, "source": self.source, **({"part": self.part} if self.part else {})}
        attribution = self.attribution  # type: ignore[attr-defined]
        return [p for b in buckets for p in [*b.points(
            self.site, self.source, opts.top_networks, opts.top_automated_networks,
            networks=networks_before is None or b.start < networks_before, part=self.part),
            *attribution.points(b.start, tags)]]

    def write_open(self, now: float | None = None) -> int:
        """Write what changed in the open buckets, as they stand (each later write replaces it).

        Their networks too, once the bucket's 10 seconds are over (a later line, or ``now``,
        is past them), so a block suggestion has them within seconds. While a bucket still
        fills, its top networks change with nearly every line; waiting for its end keeps the
        networks written close to the final ones. A network written once is written at every
        later write of its bucket (``Bucket.network_rows``), so none is left stale. Without
        ``now`` (shutdown) every bucket's networks are written as they stand.
        """
        if now is not None and store_backlog(self.store):
            return 0  # the store is down and spooling: write these once it is back, or when they close
        over = NO_END if now is None else max(self.newest, int(now) - BUCKET_SECONDS + 1)
        starts = self._dirty | {s for s in self._filling if s < over}
        self._filling = {s for s in self._dirty | self._filling if s >= over and s in self.buckets}
        self._dirty = set()
        dirty = [self.buckets[s] for s in sorted(starts) if s in self.buckets]
        if not dirty:
            return 0
        points = self._sent.changed(self._points(dirty, networks_before=over))
        try:
            n = self.store.write(points) if points else 0
        except StoreError as exc:
            log.warning("accesslog %s: live update not written (%s); retried with the next lines", self.source, exc)
            self._dirty.update(b.start for b in dirty)
            return 0
        self._sent.record(points)
        return n

    def _recall_written(self) -> None:
        """Networks the store holds for the restored buckets join their written sets.

        A crash between a write and its checkpoint leaves points the checkpoint does not
        list; reading them back means the next write replaces them instead of leaving them
        stale (their requests would be counted twice, once there and once in ``other``).
        """
        restored = {b.start: b for b in [*self.buckets.values(), *self.pending]}
        if not restored:
            return
        where = {"site": self.site, "source": self.source}
        try:
            stored = self.store.points("networks", min(restored), max(restored) + BUCKET_SECONDS, where=where)
        except StoreError as exc:
            log.warning("accesslog %s: could not read back the networks of the restored buckets (%s); "
                        "a crash just before the restart may leave a network counted twice until they close",
                        self.source, exc)
            return
        for p in stored:
            b = restored.get(p.time)
            if b is not None and p.tags.get("part", "") == self.part:
                b.written.add((p.tags["prefix"], p.tags["asn"]))
