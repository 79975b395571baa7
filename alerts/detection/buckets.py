"""Read one site's 10 s buckets from the store into the frames detection works on.

``load_traffic`` asks the store for the ``http`` cube (requests by every dimension) and
the ``visitors`` behaviour per actor, on a gap-free 10 s grid (a bucket without points
is zero traffic, not missing). Live and offline analysis both start here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from store.base import BUCKET_SECONDS, TimeSeriesStore, bucket_start
from store.schema import MEASUREMENTS

DIMENSIONS = tuple(t for t in MEASUREMENTS["http"].tags if t not in ("site", "source", "part"))
VISITOR_COUNTERS = ("requests", "clients", "pages", "assets", "login_posts", "auth_failures",
                    "conversions", "datacenter")
VISITOR_GAUGES = ("rpc_p50", "rpc_p90")
VISITOR_PEAKS = ("rpc_max", "ua_families")


@dataclass
class Traffic:
    """One site's buckets: ``grid`` (epoch seconds), the http cube and per-actor behaviour."""

    site: str
    grid: np.ndarray          # bucket start times, every 10 s, no gaps
    cube: pd.DataFrame        # t (int), DIMENSIONS..., requests
    visitors: pd.DataFrame    # t, actor, VISITOR_COUNTERS, VISITOR_GAUGES, VISITOR_PEAKS

    def total(self) -> np.ndarray:
        """Requests per bucket on the grid."""
        return self.series(self.cube)

    def series(self, frame: pd.DataFrame, column: str = "requests") -> np.ndarray:
        """Sum of ``column`` per bucket of ``frame`` (rows with a ``t``), zero-filled on the grid."""
        out = np.zeros(len(self.grid))
        if frame.empty or not len(self.grid):
            return out
        sums = frame.groupby("t")[column].sum()
        idx = ((sums.index.to_numpy() - self.grid[0]) // BUCKET_SECONDS).astype(int)
        ok = (idx >= 0) & (idx < len(out))
        out[idx[ok]] = sums.to_numpy()[ok]
        return out


def _epochs(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    epoch = pd.Timestamp(0, tz="UTC")
    frame["t"] = ((frame["time"] - epoch) // pd.Timedelta(seconds=1)).astype("int64") if len(frame) else \
        pd.Series([], dtype="int64")
    return frame.drop(columns=["time"])


def load_traffic(store: TimeSeriesStore, site: str, start: int, end: int, *, live: bool = False) -> Traffic:
    """Buckets of ``site`` in [start, end).

    The grid runs from the first stored bucket to the last stored one (offline: a log ends
    where it ends), or to ``end`` when ``live`` (silence up to now is a drop to zero).
    """
    where = {"site": site}
    cube = _epochs(store.query("http", start, end, fields=["requests"], where=where,
                               group_by=list(DIMENSIONS), every=BUCKET_SECONDS, agg="sum"))
    cube["requests"] = cube["requests"].fillna(0.0)
    parts = [_epochs(store.query("visitors", start, end, fields=list(VISITOR_COUNTERS), where=where,
                                 group_by=["actor"], every=BUCKET_SECONDS, agg="sum"))]
    for names, agg in ((VISITOR_GAUGES, "mean"), (VISITOR_PEAKS, "max")):
        extra = _epochs(store.query("visitors", start, end, fields=list(names), where=where,
                                    group_by=["actor"], every=BUCKET_SECONDS, agg=agg))
        parts.append(extra)
    visitors = parts[0]
    for extra in parts[1:]:
        visitors = visitors.merge(extra, on=["t", "actor"], how="left")
    visitors = visitors.fillna(0.0)
    if cube.empty:
        grid = np.zeros(0, dtype=np.int64)
    else:
        first = int(cube["t"].min())
        last = bucket_start(end - 1) if live else int(cube["t"].max())
        grid = np.arange(first, last + 1, BUCKET_SECONDS, dtype=np.int64)
    return Traffic(site, grid, cube, visitors)


def sites(store: TimeSeriesStore) -> list[str]:
    """Sites that have http traffic in the store."""
    return store.tag_values("http", "site")
