"""The campaigns coming up, for on-call: when each goes out, to whom, the surge to expect and the scaling it needs.

The Overview lists them so the engineer on call knows of a send before its traffic arrives
(the surge is the campaign's, not an attack) and whether the fleet is sized for it. Each row
reads the same forecast and plan as the Capacity page; a campaign that cannot be forecast
(no audience) or sized (no capacity per instance) says what is missing instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from campaigns.model import Status
from capacity.forecast import ForecastError, forecast
from capacity.plan import DAY_CLOCK, PlanError, capacity_of, local_time, make_plan
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore
from store.state import StateDB

COLUMNS = ["id", "name", "start", "channel", "regions", "expected_peak", "p90_peak", "scaling"]


def upcoming(store: TimeSeriesStore, state: StateDB, settings: CapacitySettings, now: datetime, *,
             hours: float = 48, tz: str = "UTC") -> pd.DataFrame:
    """Announced campaigns starting within ``hours`` of ``now``, soonest first, with their expected peak
    (requests/s, p50 and p90) and the scaling they need in a few words (times in ``tz``)."""
    rows = []
    for c in state.list_campaigns(since=now, until=now + timedelta(hours=hours)):
        if c.status is Status.CANCELLED:
            continue
        row = {"id": c.id, "name": c.name, "start": pd.Timestamp(c.start), "channel": c.channel.value,
               "regions": ", ".join(c.regions) or "–", "expected_peak": None, "p90_peak": None}
        try:
            f = forecast(store, state, c, now=now)
        except ForecastError:
            row["scaling"] = "no audience given: cannot forecast"
            rows.append(row)
            continue
        row["expected_peak"] = float(f.expected[f.peak_index])
        row["p90_peak"] = float(f.high.max())
        try:
            plan = make_plan(f, capacity_of(store, c.site, settings, f.asof), settings)
        except PlanError:
            row["scaling"] = "set capacity.rps_per_instance to size it"
        else:
            row["scaling"] = (f"none: {plan.current} instance(s) suffice" if plan.scale_up_at is None else
                              f"{plan.current} → {plan.peak_instances} instances from "
                              f"{local_time(plan.scale_up_at, tz, DAY_CLOCK)}, back at "
                              f"{local_time(plan.scale_down_at, tz, DAY_CLOCK)}")
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("start", ignore_index=True)


def coming_table(rows: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The coming-up rows as people read them: local start, regions, peak in req/s, scaling."""
    def rps(x: float | None) -> str:
        return "–" if x is None or pd.isna(x) else f"{x:,.0f} req/s"

    return pd.DataFrame({
        "starts": [local_time(t, tz, DAY_CLOCK) for t in rows["start"]], "campaign": rows["name"],
        "channel": rows["channel"], "regions": rows["regions"],
        "expected peak": [rps(x) for x in rows["expected_peak"]], "up to (p90)": [rps(x) for x in rows["p90_peak"]],
        "scaling": rows["scaling"]})
