"""Live advice once a campaign is under way: scale down when it stays under its forecast, size up when over.

The plan is sized for the forecast's p90 before anything is measured. Once the campaign runs,
its traffic says more: when the measured rate has stayed below the forecast's p10 for the last
``SUSTAIN_MINUTES``, the rest of the campaign is re-sized from what it has really brought
(its uplift so far against the forecast's, applied to the remaining upper band) and the
advice is "scale down now to N"; when it has been above the p90 for most of the last
``SUSTAIN_MINUTES``, "size beyond the plan" to what the measured peak (and the remaining
forecast scaled alike) needs. The page, ``plan`` and a notification (``due``) say the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from campaigns.model import Status
from capacity.actuals import Tracking, track
from capacity.forecast import ForecastError
from capacity.plan import Plan, PlanError, build_plan
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore, to_epoch
from store.state import StateDB

SUSTAIN_MINUTES = 15     # how long the traffic must stay outside the band before the advice changes
ABOVE_SHARE = 0.6        # share of those minutes above the p90 that means "beyond the plan"
CAMPAIGN_LIVE = "SurgewatchCampaignLive"  # the alertname of live advice, for silences and routes
WATCH_HOURS = 48         # campaigns that started this long ago are still watched


@dataclass(frozen=True)
class Advice:
    kind: str            # "scale_down" | "size_beyond" | "on_plan"
    instances: int       # what to run from now on
    message: str
    key: dict = field(default_factory=dict)


def _needed(plan: Plan, rps: np.ndarray) -> int:
    per = float(plan.capacity.rps_per_instance or 0)
    if per <= 0 or not len(rps):
        return plan.current
    return max(plan.current, math.ceil(float(np.nanmax(rps)) * (1 + plan.settings.headroom) / per - 1e-9))


def advise(plan: Plan, tracking: Tracking, now: datetime | int) -> Advice | None:
    """The advice for a campaign under way, or None before it has run ``SUSTAIN_MINUTES``."""
    f = plan.forecast
    step = f.step
    grid = np.array([to_epoch(t) for t in f.times], dtype=np.int64)
    start = to_epoch(f.campaign.start)
    seen = np.flatnonzero((grid >= start - start % step) & ~np.isnan(tracking.rps))
    k = max(1, round(SUSTAIN_MINUTES * 60 / step))
    if len(seen) < k:
        return None
    recent = seen[-k:]
    measured = tracking.rps[recent]
    below = bool((measured < f.low[recent]).all())
    above = float((measured > f.high[recent]).mean()) >= ABOVE_SHARE
    ahead = grid > min(to_epoch(now), int(grid[-1]))
    done = seen[seen < recent[-1] + 1]
    got = float(np.clip(tracking.rps[done] - f.baseline[done], 0, None).sum())
    expected = float(f.uplift_p50[done].sum())
    ratio = got / expected if expected > 0 else 1.0
    rest = f.baseline[ahead] + f.uplift_p90[ahead] * ratio
    floor_now = int(plan.schedule[recent[-1]])
    name = f.campaign.name
    if below:
        n = _needed(plan, np.concatenate([measured, rest]))
        if n < floor_now:
            return Advice("scale_down", n, f"{name}: traffic has stayed below the forecast's p10 for "
                          f"{SUSTAIN_MINUTES} min ({ratio:.0%} of the expected uplift so far): scale down now to "
                          f"{n} instance(s) (the plan holds {floor_now})", {"advice": "scale_down", "instances": n})
    if above:
        n = max(_needed(plan, np.concatenate([measured, rest])), floor_now + 1)
        return Advice("size_beyond", n, f"{name}: traffic has been above the forecast's p90 for most of the last "
                      f"{SUSTAIN_MINUTES} min (peak {float(np.nanmax(measured)):,.1f} req/s, {ratio:.0%} of the "
                      f"expected uplift so far): size beyond the plan, to {n} instance(s) (the plan holds "
                      f"{floor_now})", {"advice": "size_beyond", "instances": n})
    return Advice("on_plan", floor_now, f"{name}: traffic is inside the forecast's band: keep the plan "
                  f"({floor_now} instance(s) now)", {"advice": "on_plan"})


def due(store: TimeSeriesStore, state: StateDB, settings: CapacitySettings, now: datetime) -> list[Advice]:
    """Advice worth a notification (scale down / size beyond) for every campaign under way."""
    out = []
    for c in state.list_campaigns(since=now - timedelta(hours=WATCH_HOURS), until=now):
        if c.status is Status.CANCELLED or not c.audience:
            continue
        try:
            plan = build_plan(store, state, c, settings, now=now)
        except (ForecastError, PlanError):
            continue
        said = advise(plan, track(store, plan.forecast, now), now)
        if said is not None and said.kind != "on_plan":
            out.append(Advice(said.kind, said.instances, said.message, said.key | {"campaign": c.id, "site": c.site}))
    return out
