"""How a campaign's traffic is going against its forecast: the measured requests/s on the forecast's steps.

During a launch the planner wants to know whether the traffic stays inside the band the
fleet was sized for; after it, whether the forecast held. The measured rate counts every
request the site served (mail scanners and crawlers load the servers too), read at the
forecast's resolution from the rollups. Steps not over yet are left empty, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from capacity.baseline import request_rate
from capacity.forecast import Forecast
from store.base import TimeSeriesStore, to_epoch


@dataclass(frozen=True)
class Tracking:
    """The measured rate on the forecast's steps, and how it compares so far."""

    rps: np.ndarray          # requests/s per forecast step; NaN where the step is not over yet
    steps_seen: int          # steps from the campaign's start that are over
    peak_rps: float | None   # highest measured step from the campaign's start
    above_p90: int           # of those steps, how many were above the forecast's p90
    ratio: float | None      # measured / expected requests from the campaign's start so far

    def as_dict(self) -> dict:
        """The comparison so far, for ``plan --format json`` (None values before the start)."""
        return {"minutes_seen": self.steps_seen, "peak_rps": None if self.peak_rps is None else round(self.peak_rps, 3),
                "minutes_above_p90": self.above_p90,
                "share_of_expected": None if self.ratio is None else round(self.ratio, 3)}

    def summary(self, campaign: str) -> str | None:
        """One sentence for the planner, or None before the campaign has started."""
        if not self.steps_seen or self.peak_rps is None or self.ratio is None:
            return None
        share = f"{self.ratio:.0%} of the expected traffic so far"
        if self.above_p90:
            return (f"{campaign}: measured traffic was above the forecast's p90 in {self.above_p90} of "
                    f"{self.steps_seen} minute(s) since the start (peak {self.peak_rps:,.1f} req/s), "
                    f"{share}: size beyond the plan")
        return (f"{campaign}: measured traffic stays inside the forecast's band (peak "
                f"{self.peak_rps:,.1f} req/s), {share}")


def track(store: TimeSeriesStore, f: Forecast, now: datetime | int) -> Tracking:
    """The measured requests/s of the forecast's site on each of its steps that is over by ``now``."""
    step = f.step
    grid = np.array([to_epoch(t) for t in f.times], dtype=np.int64)
    rps = np.full(len(grid), np.nan)
    until = min(to_epoch(now), int(grid[-1]) + step)
    over = grid + step <= until
    if over.any():
        served = request_rate(store, f.campaign.site, int(grid[0]), until, step)
        rps[over] = served.reindex(grid[over], fill_value=0.0).to_numpy()
    started = over & (grid >= to_epoch(f.campaign.start) - to_epoch(f.campaign.start) % step)
    n = int(started.sum())
    if not n:
        return Tracking(rps, 0, None, 0, None)
    expected = float(f.expected[started].sum())
    return Tracking(rps, n, float(np.nanmax(rps[started])), int((rps[started] > f.high[started]).sum()),
                    float(rps[started].sum() / expected) if expected > 0 else None)
