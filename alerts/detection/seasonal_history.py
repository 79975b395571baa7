"""A site's time-of-day traffic profile from older history, read from the store's rollups.

Live detection loads only the last hours of raw 10 s buckets: too little to know how much
busier 7 am usually is than 6 am, so a steep daily morning rise would look like a surge.
``read_profile`` reads the last three weeks of one site's requests per 15-minute slot (of
the day, and of the week once two weeks exist) from the by-actor summary rollups (1 minute,
or 1 hour where the 1-minute rollups are gone), leaves out mail scanners as the judged
series does, and primes a ``SeasonalProfile`` in requests per 10 s bucket. ``ProfileCache``
keeps one per site and re-reads it every 15 minutes, so
the detection job that runs every 10 s stays cheap.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from alerts.detection.baseline import DAY, SLOT_SECONDS, WEEK, SeasonalProfile
from alerts.detection.slices import SCANNER
from store.base import BUCKET_SECONDS, StoreError, TimeSeriesStore
from store.rollup import query_auto

log = logging.getLogger(__name__)

DEFAULT_DAYS = 21        # history read for the profile (two weeks and more: by day of the week)
MIN_DAYS = 2             # whole days needed before the profile is used
REFRESH_SECONDS = 900    # a cached profile is read again after this long
HOUR = 3600


def _totals(store: TimeSeriesStore, site: str, start: int, end: int, every: int) -> dict[int, float]:
    """Requests of ``site`` but mail scanners' per ``every`` seconds in [start, end), by bucket start."""
    if end <= start:
        return {}
    frame = query_auto(store, "http", start, end, every=every, fields=["requests"], where={"site": site},
                       group_by=["actor"])
    if frame.empty:
        return {}
    frame = frame[frame["actor"] != SCANNER]
    sums = frame.groupby("time")["requests"].sum()
    return {int(ts.timestamp()): float(v) for ts, v in sums.items() if v == v}


def slot_totals(store: TimeSeriesStore, site: str, start: int, end: int) -> dict[int, float]:
    """Judged requests per 15-minute slot start in [start, end) (both slot-aligned).

    From the 1-minute rollups; hours before the first 1-minute point come from the 1-hour
    rollups, each hour spread evenly over its four slots.
    """
    fine = _totals(store, site, start, end, SLOT_SECONDS)
    first_fine = min(fine, default=end)
    if first_fine - start < SLOT_SECONDS:
        return fine
    cut = -(-first_fine // HOUR) * HOUR  # whole hours before the 1-minute rollups begin
    out = {t: v for t, v in fine.items() if t >= cut}
    for hour, v in _totals(store, site, start - start % HOUR, cut, HOUR).items():
        for t in range(hour, hour + HOUR, SLOT_SECONDS):
            if start <= t < cut:
                out[t] = out.get(t, 0.0) + v * SLOT_SECONDS / HOUR
    return out


def read_profile(store: TimeSeriesStore, site: str, end: int, *, days: int = DEFAULT_DAYS) -> SeasonalProfile | None:
    """The profile of the ``days`` before ``end``, or None with less than two whole days of history.

    A slot with no stored traffic inside the history counts as zero traffic, as a bucket
    without points does in the live grid.
    """
    end -= end % SLOT_SECONDS
    start = end - days * DAY
    totals = slot_totals(store, site, start, end)
    if not totals:
        return None
    first = min(totals)
    last = end - BUCKET_SECONDS  # the last 10 s bucket the history covers
    if last - first < MIN_DAYS * DAY:
        return None
    per_slot = SLOT_SECONDS // BUCKET_SECONDS
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    wsums: dict[int, float] = {}
    wcounts: dict[int, int] = {}
    for t in range(first, end, SLOT_SECONDS):
        slot, wslot = (t % DAY) // SLOT_SECONDS, (t % WEEK) // SLOT_SECONDS
        sums[slot] = sums.get(slot, 0.0) + totals.get(t, 0.0)
        counts[slot] = counts.get(slot, 0) + per_slot
        wsums[wslot] = wsums.get(wslot, 0.0) + totals.get(t, 0.0)
        wcounts[wslot] = wcounts.get(wslot, 0) + per_slot
    return SeasonalProfile.from_slots(sums, counts, first, last, wsums, wcounts)


class ProfileCache:
    """One profile per store and site, read again when ``REFRESH_SECONDS`` old.

    ``get`` is called with the start of the live window, so the buckets being judged are
    never part of their own profile. When the store cannot be read, the last profile is
    kept (or none is used) and the next call tries again.
    """

    def __init__(self, days: int = DEFAULT_DAYS, refresh: int = REFRESH_SECONDS) -> None:
        self.days = days
        self.refresh = refresh
        self.reads = 0
        self.failures = 0
        self._by_store: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, SeasonalProfile | None]]] = \
            weakref.WeakKeyDictionary()

    def get(self, store: TimeSeriesStore, site: str, until: int) -> SeasonalProfile | None:
        entries = self._by_store.setdefault(store, {})
        hit = entries.get(site)
        if hit is not None and 0 <= until - hit[0] < self.refresh:
            return hit[1]
        try:
            profile = read_profile(store, site, until, days=self.days)
            self.reads += 1
        except StoreError as exc:
            self.failures += 1
            log.warning("time-of-day profile of site %s not read, detection goes on without a fresh one: %s",
                        site, exc)
            return hit[1] if hit is not None else None
        entries[site] = (until, profile)
        return profile
