"""The traffic a site would have without the campaign: its recent level shaped by its usual time of day.

All requests count (people, programs, scanners): every one of them reaches the servers. The
level is the median request rate of the 3 hours before the forecast is made; once two whole
days of history exist, it follows the median 15-minute profile of the day (of the week once
two weeks exist), read from the 1-minute rollups. Windows of announced campaigns are left out
of both, so last week's newsletter does not become next week's baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from store.base import TimeSeriesStore
from store.rollup import query_auto

SLOT = 900
DAY = 86400
WEEK = 7 * DAY
RECENT = 3 * 3600
HISTORY_DAYS = 28
MIN_PROFILE_DAYS = 2
MIN_WEEKLY_DAYS = 14
MIN_COVERAGE = 0.75  # share of the cycle's 15-minute slots the history must have seen


@dataclass(frozen=True)
class Baseline:
    """Expected requests/s at each forecast time, and how it was made, in plain words."""

    rps: np.ndarray
    level_rps: float
    source: str


def request_rate(store: TimeSeriesStore, site: str, start: int, end: int, every: int) -> pd.Series:
    """Requests/s of every actor of ``site`` per ``every`` seconds in [start, end), by epoch bucket start."""
    if end <= start:
        return pd.Series(dtype=float)
    frame = query_auto(store, "http", start, end, every=every, fields=["requests"], where={"site": site},
                       group_by=["actor"])
    if frame.empty:
        return pd.Series(dtype=float)
    sums = frame.groupby("time")["requests"].sum() / every
    sums.index = [int(ts.timestamp()) for ts in sums.index]
    return sums.astype(float)


def _outside(series: pd.Series, windows: Sequence[tuple[int, int]]) -> pd.Series:
    keep = np.ones(len(series), dtype=bool)
    idx = np.asarray(series.index, dtype=np.int64)
    for a, b in windows:
        keep &= ~((idx >= a - SLOT) & (idx < b))
    return series[keep]


def _circular_fill(values: np.ndarray) -> np.ndarray:
    """Fill missing slots of a daily/weekly cycle from their neighbours, wrapping around."""
    known = np.flatnonzero(~np.isnan(values))
    if len(known) == 0:
        return np.ones_like(values)
    n = len(values)
    xs = np.concatenate([known - n, known, known + n])
    ys = np.tile(values[known], 3)
    return np.interp(np.arange(n), xs, ys)


def expected(store: TimeSeriesStore, site: str, times: np.ndarray, asof: int,
             exclude: Sequence[tuple[int, int]] = ()) -> Baseline:
    """The baseline at epoch ``times`` as known at ``asof``, leaving out the ``exclude`` windows."""
    asof -= asof % SLOT
    slots = _outside(request_rate(store, site, asof - HISTORY_DAYS * DAY, asof, SLOT), exclude)
    recent = slots[slots.index >= asof - RECENT]
    if recent.empty:
        older = slots[slots.index < asof - RECENT]
        if older.empty:
            return Baseline(np.zeros(len(times)), 0.0, "no traffic of this site in the store before the campaign")
        level = float(older.iloc[-12:].median())
        where = "the last traffic stored before the campaign"
    else:
        level = float(recent.median())
        where = f"the {len(recent) * SLOT / 3600:.2g} h before the campaign"
    span_days = (asof - int(slots.index.min())) / DAY if not slots.empty else 0.0
    if span_days < MIN_PROFILE_DAYS:
        return Baseline(np.full(len(times), level), level,
                        f"flat at {level:.1f} req/s, the median of {where} (under {MIN_PROFILE_DAYS} days of "
                        "history: no time-of-day profile yet)")
    cycle, label = (WEEK, "day of the week and time of day") if span_days >= MIN_WEEKLY_DAYS else (DAY, "time of day")
    keys = (np.asarray(slots.index, dtype=np.int64) % cycle) // SLOT
    profile = np.full(cycle // SLOT, np.nan)
    for key, vals in pd.Series(slots.to_numpy(), index=keys).groupby(level=0):
        if len(vals) >= 2 or cycle == DAY:
            profile[int(key)] = float(vals.median())
    if np.isnan(profile).mean() > 1 - MIN_COVERAGE:
        return Baseline(np.full(len(times), level), level,
                        f"flat at {level:.1f} req/s, the median of {where} (the history outside campaigns covers "
                        f"under {MIN_COVERAGE:.0%} of the {label}: no profile yet)")
    profile = _circular_fill(profile)
    profile = np.maximum(profile, 1e-9)
    ref_keys = [((asof - k * SLOT) % cycle) // SLOT for k in range(1, RECENT // SLOT + 1)]
    ref = float(np.mean(profile[ref_keys]))
    shape = profile[(np.asarray(times, dtype=np.int64) % cycle) // SLOT] / ref
    return Baseline(level * shape, level,
                    f"{level:.1f} req/s now ({where}), following the median profile by {label} of the "
                    f"last {min(span_days, HISTORY_DAYS):.0f} days")
