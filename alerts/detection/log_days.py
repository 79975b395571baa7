"""The time of day of an offline analysis: each day of a log judged against the log's other days.

Live detection primes its baseline with the time-of-day profile of the site's older history
(``seasonal_history``); ``analyze`` reads one log and has no older history, but a log of
several days holds its own rhythm. ``other_days_profile`` gives, for every 15-minute slot of
a day, the median traffic of that slot over the log's *other* days, so a night is expected
to be as quiet as the other nights, the morning rise as steep as the other mornings, and a
surge on one day never becomes its own baseline.
"""

from __future__ import annotations

import numpy as np

from alerts.detection.baseline import DAY, SLOT_SECONDS, SeasonalProfile
from store.base import BUCKET_SECONDS

MIN_DAYS = 2          # days a log must touch before its days speak for each other ...
MIN_SPAN = 1.5 * DAY  # ... and seconds it must span (each hour of a day then has another day to go by)
PER_SLOT = SLOT_SECONDS // BUCKET_SECONDS
PEAK_BUCKETS = 30  # 5 minutes: the window a surge's busiest part is compared over
NEAR = 3600        # seconds around a surge whose time of day the other days are read at


class OtherDaysProfile(SeasonalProfile):
    """Requests per bucket of each slot of the day: the median over the days other than the one judged."""

    def __init__(self, slots: dict[int, dict[int, float]], first: float, last: float,
                 peaks: dict[int, dict[int, float]] | None = None) -> None:
        super().__init__()
        self._slots = slots  # day number -> slot of the day -> mean requests per bucket
        self._peaks = peaks or {}  # day number -> slot of the day -> busiest 5 minutes starting in it
        self._first, self._last = first, last
        self._memo: dict[tuple[int, int], float | None] = {}

    def ready(self) -> bool:
        return True

    def weekly(self) -> bool:
        return False

    def usual_peak(self, t0: float, t1: float) -> float | None:
        """The busiest 5 minutes the other days had at this time of day (from ``NEAR`` before ``t0`` to
        ``NEAR`` after ``t1``), or None when no other day covers it."""
        day = int(t0 // DAY)
        slots = {int(x % DAY) // SLOT_SECONDS for x in np.arange(t0 - NEAR, t1 + NEAR + 1, SLOT_SECONDS)}
        seen = [v for d, p in self._peaks.items() if d != day for s, v in p.items() if s in slots]
        return max(seen) if seen else None

    def _mean_at(self, t: float, weekly: bool) -> float | None:
        day, slot = int(t // DAY), int(t % DAY) // SLOT_SECONDS
        key = (day, slot)
        if key not in self._memo:
            others = [s[slot] for d, s in self._slots.items() if d != day and slot in s]
            self._memo[key] = float(np.median(others)) if others else None
        return self._memo[key]


def other_days_profile(grid: np.ndarray, values: np.ndarray) -> OtherDaysProfile | None:
    """The profile of a log's own days (``values`` per bucket of ``grid``), or None under a day and a half.

    Only whole slots count, so a log starting or ending mid-slot does not read as a quiet slot.
    """
    if len(grid) < 2 or grid[-1] - grid[0] < MIN_SPAN:
        return None
    slot_of = (grid // SLOT_SECONDS).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, slot_of[1:] != slot_of[:-1]])
    sums = np.add.reduceat(values, starts)
    counts = np.diff(np.r_[starts, len(grid)])
    slots: dict[int, dict[int, float]] = {}
    for s, total, n in zip(slot_of[starts].tolist(), sums.tolist(), counts.tolist(), strict=True):
        if n < PER_SLOT:
            continue
        t = s * SLOT_SECONDS
        slots.setdefault(t // DAY, {})[(t % DAY) // SLOT_SECONDS] = total / n
    if len(slots) < MIN_DAYS:
        return None
    return OtherDaysProfile(slots, float(grid[0]), float(grid[-1]), _peaks(grid, values))


def _peaks(grid: np.ndarray, values: np.ndarray) -> dict[int, dict[int, float]]:
    """Per day and slot of the day, the largest sum of 5 minutes of buckets starting in the slot."""
    if len(values) < PEAK_BUCKETS:
        return {}
    cs = np.r_[0.0, np.cumsum(values)]
    sums = cs[PEAK_BUCKETS:] - cs[:-PEAK_BUCKETS]
    starts = grid[:len(sums)].astype(np.int64)
    key = starts // SLOT_SECONDS
    order = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    top = np.maximum.reduceat(sums, order)
    out: dict[int, dict[int, float]] = {}
    for k, v in zip(key[order].tolist(), top.tolist(), strict=True):
        t = k * SLOT_SECONDS
        out.setdefault(t // DAY, {})[(t % DAY) // SLOT_SECONDS] = float(v)
    return out
