"""A plan as a few floors under the autoscaler: instance minimums held for at least 15 minutes each.

An autoscaler (HPA, KEDA, an AWS Auto Scaling group) keeps following the load; the plan only
raises its minimum ahead of the surge and lowers it after, so a forecast that is low leaves the
autoscaler free to add more, and one that is high costs only the floor. Operators schedule a
handful of actions, not one per minute: the minute schedule is cut into blocks of at least
``MIN_GAP_MINUTES`` from the scale-up to the scale-down (the last block takes the remainder),
each at the most the schedule needs inside it, equal neighbours merged, and while more than
``MAX_STEPS`` remain the two neighbours whose merge adds the fewest instance-minutes are merged.
A floor is never below the minute schedule, so it keeps the plan's warm-up and cool-down.
Overlapping campaigns get one combined schedule (``combine``): AWS scheduled actions and KEDA
cron triggers on one target override each other, so two plans must become one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_GAP_MINUTES = 15
MAX_STEPS = 8


@dataclass(frozen=True)
class Schedule:
    """Floors over time: ``steps`` [(from, instances)], the last one back to ``base``."""

    steps: list[tuple[pd.Timestamp, int]]
    base: int
    campaigns: list[str]   # the campaigns it serves, by name
    sites: list[str]

    @property
    def start(self) -> pd.Timestamp | None:
        return self.steps[0][0] if self.steps else None

    @property
    def end(self) -> pd.Timestamp | None:
        """When the last floor is lifted (back to ``base``): after it every export can be removed."""
        return self.steps[-1][0] if self.steps else None

    @property
    def peak(self) -> int:
        return max([n for _, n in self.steps] + [self.base])


def floors(schedule: np.ndarray, base: int, step_seconds: int, *, gap_minutes: float = MIN_GAP_MINUTES,
           max_steps: int = MAX_STEPS) -> np.ndarray:
    """The minute ``schedule`` (instances per step) raised to floors at least ``gap_minutes`` long."""
    sched = np.maximum(np.asarray(schedule, dtype=int), base)
    over = np.flatnonzero(sched > base)
    if not len(over):
        return sched
    first, last = int(over[0]), int(over[-1]) + 1
    width = max(1, int(round(gap_minutes * 60 / step_seconds)))
    cuts = list(range(first, last, width))
    if len(cuts) > 1 and last - cuts[-1] < width:
        cuts.pop()  # the remainder joins the block before it
    blocks = [[a, b, int(sched[a:b].max())] for a, b in zip(cuts, [*cuts[1:], last], strict=True)]
    merged: list[list[int]] = []
    for b in blocks:
        if merged and merged[-1][2] == b[2]:
            merged[-1][1] = b[1]
        else:
            merged.append(b)
    while len(merged) > max_steps:
        costs = [(abs(x[2] - y[2]) * ((x[1] - x[0]) if x[2] < y[2] else (y[1] - y[0])), i)
                 for i, (x, y) in enumerate(zip(merged, merged[1:], strict=False))]
        _, i = min(costs)
        x, y = merged[i], merged[i + 1]
        merged[i: i + 2] = [[x[0], y[1], max(x[2], y[2])]]
    out = sched.copy()
    for a, b, n in merged:
        out[a:b] = n
    return out


def changes(times: pd.DatetimeIndex, floor: np.ndarray) -> list[tuple[pd.Timestamp, int]]:
    """[(time, instances from then on)] at each change of ``floor``."""
    change = np.flatnonzero(np.diff(floor)) + 1
    return [(times[i], int(floor[i])) for i in change]


def schedule_of(times: pd.DatetimeIndex, floor: np.ndarray, base: int, campaigns: list[str],
                sites: list[str]) -> Schedule:
    return Schedule(changes(times, floor), base, campaigns, sites)


def combine(parts: list[tuple[pd.DatetimeIndex, np.ndarray, int, str, str]], step_seconds: int = 60) -> Schedule:
    """One schedule for several plans [(times, floor, base, campaign name, site)]: the highest floor at each
    minute (each plan's base outside its window), cut into floors again."""
    if not parts:
        return Schedule([], 0, [], [])
    base = max(p[2] for p in parts)
    lo = min(p[0][0] for p in parts)
    hi = max(p[0][-1] for p in parts)
    grid = pd.date_range(lo, hi, freq=pd.Timedelta(seconds=step_seconds))
    level = np.full(len(grid), base, dtype=int)
    for times, floor, _, _, _ in parts:
        s = pd.Series(np.asarray(floor, dtype=int), index=times).reindex(grid)
        level = np.maximum(level, s.fillna(base).to_numpy(dtype=int))
    floor = floors(level, base, step_seconds)
    return schedule_of(grid, floor, base, [p[3] for p in parts], sorted({p[4] for p in parts}))
