"""The expected level of a series and its normal spread, from its own past only.

A spike is judged against what the traffic usually is *now*: a robust local level
(median of the recent past) and spread (MAD), scaled by a time-of-day profile when
there are whole earlier days to learn it from. Counts also get a Poisson floor on the
spread, so a quiet night does not look wild because three requests became seven.
Buckets inside a spike are kept out of the history, so a long surge does not become
its own baseline (until it has lasted long enough to be the new normal).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

DAY = 86400
WEEK = 7 * DAY
SLOT_SECONDS = 900  # time-of-day profile resolution: 15 minutes
SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class Expectation:
    level: float   # expected value
    spread: float  # one robust standard deviation around it
    ready: bool    # enough history to judge


class RollingBaseline:
    """Median level and difference-based spread of the last ``window`` accepted values.

    Scaled by the time-of-day profile: its own, learned from the values added, or a
    ``profile`` primed from older history (read only: the values added do not change it).
    """

    def __init__(self, window: int = 180, warmup: int = 30, counts: bool = True,
                 bucket_seconds: float = 10.0, profile: SeasonalProfile | None = None) -> None:
        self.window = window
        self.warmup = warmup
        self.counts = counts
        self.bucket_seconds = bucket_seconds
        self._values: deque[float] = deque(maxlen=window)
        self._times: deque[float] = deque(maxlen=window)
        self._cache: Expectation | None = None
        self._reference: float | None = None
        self.profile = profile if profile is not None else SeasonalProfile()
        self._learn = profile is None

    def add(self, t: float, value: float) -> None:
        self._values.append(value)
        self._times.append(t)
        if self._learn:
            self.profile.add(t, value)
        self._cache = None

    def __len__(self) -> int:
        return len(self._values)

    def expect(self, t: float) -> Expectation:
        if len(self._values) < self.warmup:
            return Expectation(0.0, 0.0, False)
        if self._cache is None:
            values = np.array(self._values, dtype=float)
            med = _quantile(np.sort(values), 0.5)
            # Noise from successive differences: a slow ramp or a level shift barely moves them,
            # so the spread cannot inflate itself while traffic climbs. The 90th percentile
            # keeps a heavy-tailed (bursty) series from looking calmer than it is.
            d = np.sort(np.abs(np.diff(values)))
            sigma = max(_quantile(d, 0.5) / (0.6745 * SQRT2), _quantile(d, 0.9) / (1.6449 * SQRT2))
            self._cache = Expectation(med, sigma, True)
            self._reference = self.profile.reference(self._times) if self.profile.ready() else None
        base = self._cache
        factor = self.profile.factor(t, self._times, self._reference)
        level = base.level * factor
        spread = base.spread * factor
        floor = math.sqrt(max(level, 1.0)) if self.counts else max(1e-3 * abs(level), 1e-9)
        spread = max(spread, floor)
        return Expectation(level, spread, True)


def _quantile(sorted_arr: np.ndarray, q: float) -> float:
    """Linear-interpolated quantile of an already sorted array (numpy's default method)."""
    pos = q * (len(sorted_arr) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_arr) - 1)
    return float(sorted_arr[lo] + (sorted_arr[hi] - sorted_arr[lo]) * (pos - lo))


class SeasonalProfile:
    """Mean value per 15-minute slot of the day, and of the week, learned only from earlier days.

    ``factor(t, ...)`` says how much busier the slot of ``t`` usually is than the slots
    the local level was measured over; 1.0 until at least two days were seen. From two
    weeks of history on, the slots of the week are used (a Monday morning is not a
    Sunday morning); before that, the slots of the day.
    """

    def __init__(self) -> None:
        self._sum: dict[int, float] = {}
        self._n: dict[int, int] = {}
        self._wsum: dict[int, float] = {}
        self._wn: dict[int, int] = {}
        self._first: float | None = None
        self._last: float | None = None

    def add(self, t: float, value: float) -> None:
        slot = int(t % DAY) // SLOT_SECONDS
        self._sum[slot] = self._sum.get(slot, 0.0) + value
        self._n[slot] = self._n.get(slot, 0) + 1
        wslot = int(t % WEEK) // SLOT_SECONDS
        self._wsum[wslot] = self._wsum.get(wslot, 0.0) + value
        self._wn[wslot] = self._wn.get(wslot, 0) + 1
        if self._first is None:
            self._first = t
        self._last = t

    @classmethod
    def from_slots(cls, sums: Mapping[int, float], counts: Mapping[int, int], first: float,
                   last: float, weekly_sums: Mapping[int, float] | None = None,
                   weekly_counts: Mapping[int, int] | None = None) -> SeasonalProfile:
        """A profile primed with per-slot totals and value counts seen between ``first`` and ``last``.

        Slots of the day (and of the week, when given): the same state ``add`` would reach
        from those values one by one.
        """
        profile = cls()
        profile._sum = {int(k): float(v) for k, v in sums.items() if counts.get(k, 0) > 0}
        profile._n = {int(k): int(n) for k, n in counts.items() if n > 0}
        wc = weekly_counts or {}
        profile._wsum = {int(k): float(v) for k, v in (weekly_sums or {}).items() if wc.get(k, 0) > 0}
        profile._wn = {int(k): int(n) for k, n in wc.items() if n > 0}
        profile._first, profile._last = first, last
        return profile

    def weekly(self) -> bool:
        """Two weeks seen: every slot of the week has been seen at least twice."""
        return self.span() >= 2 * WEEK - DAY

    def span(self) -> float:
        """Seconds between the first and last value seen (0 when none)."""
        return 0.0 if self._first is None or self._last is None else self._last - self._first

    def slot_means(self) -> dict[int, float]:
        """Mean value per slot of the day that has values."""
        return {s: self._sum[s] / n for s, n in self._n.items() if n}

    def _mean_at(self, t: float, weekly: bool) -> float | None:
        """Mean value of the slot of ``t``: of the week, or of the day."""
        sums, counts, period = (self._wsum, self._wn, WEEK) if weekly else (self._sum, self._n, DAY)
        slot = int(t % period) // SLOT_SECONDS
        n = counts.get(slot, 0)
        return sums[slot] / n if n else None

    def ready(self) -> bool:
        """At least two days seen: enough to tell the time of day's own rise."""
        return self.span() >= 2 * DAY

    def reference(self, times: Iterable[float]) -> float | None:
        """The profile's mean over the slots of ``times``, each slot weighted by how many of them it holds."""
        total, n = 0.0, 0
        weekly = self.weekly()
        for x in times:
            m = self._mean_at(x, weekly)
            if m is not None:
                total, n = total + m, n + 1
        return total / n if n else None

    def factor(self, t: float, times: Iterable[float], reference: float | None = None) -> float:
        """How much busier the slot of ``t`` usually is than the slots the level was measured at (``times``)."""
        if not self.ready():
            return 1.0
        target = self._mean_at(t, self.weekly())
        ref = reference if reference is not None else self.reference(times)
        if target is None or ref is None or ref <= 0:
            return 1.0
        return float(min(max(target / ref, 0.2), 5.0))
