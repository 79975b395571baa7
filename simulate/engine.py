"""The clock of a simulation: traffic components emit requests over time, released in time order.

Each component turns a rate (sessions or requests per second, a function of time) into Poisson
arrivals; a human session also emits its later page views and assets into the future. The engine
advances in steps, keeps not-yet-due requests pending, and releases the due ones sorted, so batch
generation, the live writer and the big-log writer share one code path. It also tallies what each
component injected per minute, which is what the ground-truth labels are computed from.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Protocol

# ts, address, method, target, protocol, status, bytes, referrer, user agent, component index
Record = tuple[float, str, str, str, str, int, int, str, str, int]
Rate = Callable[[float], float]

_TS = itemgetter(0)
STEP_SECONDS = 10.0


class Component(Protocol):
    name: str
    role: str  # "baseline" | "human" | "bot" | "scanner"

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None: ...


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def arrivals(rng: random.Random, rate: Rate, t0: float, t1: float) -> list[float]:
    """Sorted Poisson arrival times in [t0, t1) for a slowly varying rate (per second)."""
    times: list[float] = []
    t = t0
    while t < t1:
        u = min(t + STEP_SECONDS, t1)
        n = poisson(rng, rate((t + u) / 2) * (u - t))
        times.extend(rng.uniform(t, u) for _ in range(n))
        t = u
    times.sort()
    return times


def diurnal(t: float, utc_offset_hours: float) -> float:
    """Relative traffic by local time of day and weekday (mean about 1, low at 4 am, high in the evening)."""
    local = datetime.fromtimestamp(t, UTC) + timedelta(hours=utc_offset_hours)
    hour = local.hour + local.minute / 60
    level = 1 + 0.55 * math.cos(2 * math.pi * (hour - 20) / 24) + 0.15 * math.cos(4 * math.pi * (hour - 13) / 24)
    return max(level, 0.25) * (0.85 if local.weekday() >= 5 else 1.0)


def _strong_level(hour: float) -> float:
    night = 0.2
    day = 1 / (1 + math.exp(-(hour - 7.5) * 1.6)) - 1 / (1 + math.exp(-(hour - 23.3) * 1.6))
    lunch = math.exp(-((hour - 12.7) ** 2) / (2 * 0.9 ** 2))
    evening = math.exp(-((hour - 20.5) ** 2) / (2 * 1.4 ** 2))
    return night + 0.75 * day + 0.9 * lunch + 1.5 * evening


_STRONG_MEAN = sum(_strong_level(m / 60) for m in range(24 * 60)) / (24 * 60)


def strong_diurnal(t: float, utc_offset_hours: float) -> float:
    """A shop with a strong daily rhythm (mean 1): nights at about a fifth of the mean, a lunch peak and a
    higher evening peak, weekends a little lower."""
    local = datetime.fromtimestamp(t, UTC) + timedelta(hours=utc_offset_hours)
    level = _strong_level(local.hour + local.minute / 60) / _STRONG_MEAN
    return level * (0.9 if local.weekday() >= 5 else 1.0)


def surge_shape(t0: float, rise: float, decay: float) -> Rate:
    """0 before t0, a smooth rise to 1 over ``rise`` seconds, then exponential decay (time constant ``decay``)."""
    def shape(t: float) -> float:
        if t < t0:
            return 0.0
        x = (t - t0) / rise
        if x < 1:
            return x * x * (3 - 2 * x)
        return math.exp(-(t - t0 - rise) / decay)
    return shape


def reader_shape(t0: float, rise: float, decay: float) -> Rate:
    """An email's readers: 0 before t0, a smooth rise to 1 over ``rise`` seconds, then a power-law fall
    (1 + s / decay)^-2 with the same area as an exponential of time constant ``decay``, but steeper at first
    and with a long tail of late readers (heavy-tailed, as published send-time studies show)."""
    def shape(t: float) -> float:
        if t < t0:
            return 0.0
        x = (t - t0) / rise
        if x < 1:
            return x * x * (3 - 2 * x)
        return (1 + (t - t0 - rise) / decay) ** -2
    return shape


def plateau_shape(t0: float, t1: float, ramp: float) -> Rate:
    """1 between t0 and t1 with linear ramps of ``ramp`` seconds at both ends, else 0."""
    def shape(t: float) -> float:
        if t < t0 or t >= t1:
            return 0.0
        return min(1.0, (t - t0) / ramp, (t1 - t) / ramp)
    return shape


class Engine:
    """Advances components through time and releases their requests in time order."""

    def __init__(self, components: list[Component], rng: random.Random, start: float) -> None:
        self.components = components
        self.rng = rng
        self.now = start
        self.start = start
        self.pending: list[Record] = []
        self.per_minute: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def advance(self, until: float) -> list[Record]:
        """Requests with timestamps in [previous until, until), sorted; later ones stay pending."""
        t = self.now
        while t < until:
            u = min(t + STEP_SECONDS, until)
            for index, component in enumerate(self.components):
                component.emit(self.rng, t, u, index, self.pending)
            t = u
        self.now = max(self.now, until)
        self.pending.sort(key=_TS)
        cut = bisect_left(self.pending, until, key=_TS)
        due = self.pending[:cut]
        del self.pending[:cut]
        start = self.start
        for record in due:
            self.per_minute[record[9]][int((record[0] - start) // 60)] += 1
        return due

    def pre_roll(self, seconds: float, rng: random.Random, indices: list[int]) -> None:
        """Sessions already going when the log begins: run the components at ``indices`` over the
        ``seconds`` before the start, with their own ``rng`` (the stream from the start on is the one
        it would be without), and keep only their requests from the start on. Without it a log would
        open on a few minutes of thin traffic, as if the site had just gone live."""
        t = self.start - seconds
        while t < self.start:
            u = min(t + STEP_SECONDS, self.start)
            for index in indices:
                self.components[index].emit(rng, t, u, index, self.pending)
            t = u
        self.pending = [r for r in self.pending if r[0] >= self.start]

    def run(self, end: float, step: float = 60.0):
        """Yield every request up to ``end`` in time order (requests due after ``end`` are dropped)."""
        t = self.now
        while t < end:
            t = min(t + step, end)
            yield from self.advance(t)
