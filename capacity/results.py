"""How a campaign went: the visits and leads it brought, how many over the usual, each lead's cost, forecast vs actual.

Read from the ``campaign_visits`` measurement (attribution by visit, see
``collectors.weblog.attribution``): the campaign's visits and the conversions of those visits,
and the conversions during it of visits that did not begin on its link. *Incremental* is the
site's conversions in the window over its usual at the same hours: the mean of the earlier
days (up to 14) whose same hours hold stored visits and no other campaign, as the capacity
baseline leaves campaign windows out. With fewer than 2 such days, or a band that takes in
zero, the result says plainly that the increase cannot be told from an ordinary day.
Costs: ``capacity.results_cost``. The plan is the campaign's forecast as made at its start.
``report`` is what the Campaigns page and ``surgewatch report`` both show.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from campaigns.model import Campaign, window_of
from capacity.baseline import request_rate
from capacity.forecast import Forecast, forecast
from capacity.plan import capacity_of, make_plan
from capacity.results_cost import Costs, costs
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore, to_epoch
from store.rollup import query_auto
from store.state import StateDB

DAY = 86_400
BASELINE_DAYS = 14
TAIL = 6 * 3600   # a visit begun in the window may convert this long after its end
STEP = 600        # the chart's and the CSV's step
VISIT_FIELDS = ["visits", "conversions", "unattributed", "landing_requests", "landing_4xx", "landing_5xx"]


@dataclass
class Incremental:
    """Conversions over the usual at the same hours, with how sure that is, in plain words."""

    actual: int
    usual: float | None
    days: int
    low: float | None
    high: float | None
    plain: str

    @property
    def extra(self) -> float | None:
        return None if self.usual is None else self.actual - self.usual


@dataclass
class Results:
    campaign: Campaign
    start: int
    end: int
    until: int
    counts: dict[str, int]
    incremental: Incremental
    costs: Costs
    versus: dict
    mailchimp: dict | None
    series: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        c = self.campaign
        return {
            "campaign": {"id": c.id, "name": c.name, "channel": c.channel.value, "site": c.site,
                         "start": _iso(self.start), "end": _iso(self.end), "measured_until": _iso(self.until)},
            "attributed": {"visits": self.counts["visits"], "conversions": self.counts["conversions"]},
            "during_not_attributed": self.counts["unattributed"],
            "incremental": {"site_conversions": self.incremental.actual, "usual": _r(self.incremental.usual, 1),
                            "extra": _r(self.incremental.extra, 1), "low": _r(self.incremental.low, 1),
                            "high": _r(self.incremental.high, 1), "earlier_days": self.incremental.days,
                            "plain": self.incremental.plain},
            "landing": {"requests": self.counts["landing_requests"], "4xx": self.counts["landing_4xx"],
                        "5xx": self.counts["landing_5xx"]},
            "cost": self.costs.as_dict(),
            "forecast_vs_actual": self.versus,
            "mailchimp": self.mailchimp,
            "notes": self.notes,
        }

    def csv(self) -> str:
        """The series per 10 minutes (attributed visits and conversions, the site's and its usual conversions)."""
        buf = io.StringIO()
        out = self.series.copy()
        out.insert(0, "time", [_iso(int(t)) for t in out.index])
        out.to_csv(buf, index=False, float_format="%.2f")
        return buf.getvalue()

    def line(self) -> str:
        """One line for the campaign's resolved notification."""
        k, cur = self.counts, self.costs
        per = cur.per_lead(cur.total)
        cost = f"{per:,.2f} {cur.currency} per lead all in" if per is not None else "no cost per lead"
        extra = self.incremental.extra
        over = f", {extra:+,.0f} conversions over the usual" if extra is not None else ""
        return (f"{k['visits']:,} visits from the campaign's link, {k['conversions']:,} leads{over} "
                f"({k['unattributed']:,} more during it, not attributed); {cost}")


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _r(x: float | None, digits: int = 2) -> float | int | None:
    """Rounded for the JSON; whole numbers (counts) as integers."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x)) if digits == 0 else round(float(x), digits)


def visit_rows(store: TimeSeriesStore, site: str, start: int, end: int, every: int,
               campaign: str | None = None) -> pd.DataFrame:
    """``campaign_visits`` fields per ``every`` seconds (one campaign, or every campaign and ``none`` summed)."""
    where: dict = {"site": site} | ({"campaign": campaign} if campaign else {})
    if end <= start:
        return pd.DataFrame(columns=VISIT_FIELDS)
    df = query_auto(store, "campaign_visits", start, end, every=every, fields=VISIT_FIELDS, where=where)
    if df.empty:
        return pd.DataFrame(columns=VISIT_FIELDS)
    df = df.groupby("time")[VISIT_FIELDS].sum()
    df.index = [int(t.timestamp()) for t in df.index]
    return df.fillna(0)


def usual_days(store: TimeSeriesStore, c: Campaign, others: list[Campaign], start: int, end: int) -> list[int]:
    """Offsets (days) of the earlier days whose same hours hold stored visits and no other campaign."""
    busy = [window_of(o) for o in others if o.id != c.id]
    out = []
    for k in range(1, BASELINE_DAYS + 1):
        a, b = start - k * DAY, end - k * DAY
        if any(x < b and a < y for x, y in busy):
            continue
        if float(visit_rows(store, c.site, a, b, b - a)["visits"].sum()) > 0:
            out.append(k)
    return out


def incremental(store: TimeSeriesStore, c: Campaign, days: list[int], start: int, end: int) -> Incremental:
    actual = int(visit_rows(store, c.site, start, end, end - start)["conversions"].sum())
    if not days:
        return Incremental(actual, None, 0, None, None,
                           f"{actual:,} conversions on the site during the campaign; no earlier day's same hours "
                           "without a campaign are stored, so how many it added cannot be told")
    usual = np.array([float(visit_rows(store, c.site, start - k * DAY, end - k * DAY, end - start)
                            ["conversions"].sum()) for k in days])
    mean = float(usual.mean())
    spread = max(float(usual.std(ddof=1)) if len(usual) > 1 else 0.0, math.sqrt(max(mean, 1.0)))
    half = 2 * spread * math.sqrt(1 + 1 / len(usual))
    extra = actual - mean
    lo, hi = extra - half, extra + half
    text = (f"{actual:,} conversions on the site during the campaign against {mean:,.1f} on a usual day at these "
            f"hours ({len(days)} earlier day(s), from {usual.min():,.0f} to {usual.max():,.0f})")
    if len(days) < 2 or lo <= 0 <= hi:
        text += (f": {extra:+,.1f}, but the usual days vary too much to tell this from an ordinary day "
                 f"(somewhere between {lo:+,.0f} and {hi:+,.0f})")
    else:
        text += f": about {extra:,.0f} more, likely between {max(lo, 0):,.0f} and {hi:,.0f}"
    return Incremental(actual, mean, len(days), lo, hi, text)


def _plan(store: TimeSeriesStore, state: StateDB, c: Campaign, settings: CapacitySettings) -> tuple:
    """The forecast as made at the campaign's start and its plan; None for what cannot be made, and why."""
    try:
        f = forecast(store, state, c, now=c.start)
    except ValueError as exc:  # ForecastError, or a bound the campaign breaks
        return None, None, f"no forecast: {exc}"
    try:
        return f, make_plan(f, capacity_of(store, c.site, settings, f.asof), settings), None
    except ValueError as exc:  # PlanError
        return f, None, f"no plan: {exc}"


def _band(actual: float | None, band: tuple[float, float, float] | None, digits: int = 1) -> dict:
    out = {"actual": _r(actual, digits)}
    if band is not None:
        out |= {"p10": _r(band[0], digits), "p50": _r(band[1], digits), "p90": _r(band[2], digits)}
        if actual is not None:
            out["within"] = "below" if actual < band[0] else "above" if actual > band[2] else "inside"
    return out


def _fleet(store: TimeSeriesStore, c: Campaign, settings: CapacitySettings,
           grid: np.ndarray) -> tuple[np.ndarray | None, str]:
    """Requests/s the fleet could serve at each minute of ``grid``, and where that comes from."""
    cap = capacity_of(store, c.site, settings, datetime.fromtimestamp(int(grid[0]), UTC))
    if not cap.rps_per_instance:
        return None, "capacity per instance unknown: set [capacity] rps_per_instance"
    df = store.query("origin", int(grid[0]), int(grid[-1]) + 60, fields=["value"],
                     where={"site": c.site, "metric": "instances"}, every=60, agg="mean")
    if not df.empty:
        inst = pd.Series(df["value"].to_numpy(float), index=[int(t.timestamp()) for t in df["time"]])
        fleet = inst.reindex(grid).ffill().bfill().to_numpy()
        return fleet * cap.rps_per_instance, (f"the instances that ran (origin 'instances') × "
                                              f"{cap.rps_per_instance:,.1f} req/s each")
    return (np.full(len(grid), cap.instances * cap.rps_per_instance),
            f"{cap.instances} instance(s) × {cap.rps_per_instance:,.1f} req/s (no origin 'instances' metric)")


def versus(store: TimeSeriesStore, c: Campaign, settings: CapacitySettings, f: Forecast | None, counts: dict,
           start: int, end: int) -> dict:
    """Peak, extra requests, visits and leads against the forecast's p10–p90; minutes above the fleet's capacity."""
    out: dict = {}
    if end - start < 60:
        return {"note": "the campaign has not started yet"}
    grid = np.arange(start - start % 60, end, 60)
    rps = request_rate(store, c.site, int(grid[0]), end, 60).reindex(grid, fill_value=0.0).to_numpy()
    base = None
    if f is not None:
        times = np.array([to_epoch(t) for t in f.times], dtype=np.int64)
        seen = (times >= grid[0]) & (times < end)
        base = pd.Series(f.baseline[seen], index=times[seen]).reindex(grid).to_numpy()
    extra = float(np.nansum((rps - base) * 60)) if base is not None else None
    out["peak_rps"] = _band(float(rps.max()), None if f is None else
                            (float(f.low.max()), float(f.expected.max()), float(f.high.max())))
    out["extra_requests"] = _band(extra, None if f is None else f.extra_requests(), 0)
    out["visits"] = _band(counts["visits"], None if f is None else f.extra_visits(), 0)
    out["leads"] = _band(counts["conversions"], None if f is None else f.extra_leads())
    capacity, where = _fleet(store, c, settings, grid)
    out["minutes_above_capacity"] = None if capacity is None else int((rps > capacity).sum())
    out["capacity_from"] = where
    out["minutes_measured"] = len(grid)
    return out


def mailchimp(store: TimeSeriesStore, c: Campaign, start: int, until: int) -> dict | None:
    """The send's own numbers where Mailchimp (or another sender) reported them: sent, opens, clicks."""
    df = store.query("sends", start - DAY, max(until, start + 1), fields=["sent", "opens", "clicks"],
                     where={"site": c.site, "campaign": c.id})
    if df.empty:
        return None
    return {k: int(df[k].fillna(0).sum()) for k in ("sent", "opens", "clicks")}


def report(store: TimeSeriesStore, state: StateDB, c: Campaign, settings: CapacitySettings,
           now: datetime | None = None) -> Results:
    """Everything the Campaigns page and ``surgewatch report`` show of one campaign, measured until ``now``."""
    start, end = window_of(c)
    at = to_epoch(now or datetime.now(UTC))
    until = max(start, min(at, end + TAIL))
    seen_end = max(start, min(end, at))
    total = visit_rows(store, c.site, start, until, max(1, until - start), campaign=c.id)
    counts = {k: int(total[k].sum()) if k in total else 0 for k in VISIT_FIELDS}
    others = [o for o in state.list_campaigns(site=c.site) if o.status.value != "cancelled"]
    days = usual_days(store, c, others, start, seen_end) if seen_end > start else []
    inc = incremental(store, c, days, start, seen_end) if seen_end > start else Incremental(
        0, None, 0, None, None, "the campaign has not started yet")
    f, plan, why = _plan(store, state, c, settings)
    notes = [why] if why else []
    cost = costs(store, c, settings, start, seen_end, counts["conversions"],
                 plan.extra_instance_hours if plan is not None else None,
                 (plan.spend_per_lead, plan.cost_per_lead) if plan is not None else (None, None))
    return Results(c, start, end, until, counts, inc, cost, versus(store, c, settings, f, counts, start, seen_end),
                   mailchimp(store, c, start, until), series(store, c, days, start, until), notes)


def series(store: TimeSeriesStore, c: Campaign, days: list[int], start: int, until: int) -> pd.DataFrame:
    """Per 10 minutes: the campaign's visits and leads, the site's conversions and their usual at those hours."""
    a = start - start % STEP
    grid = np.arange(a, max(until, a + STEP), STEP)
    own = visit_rows(store, c.site, a, until, STEP, campaign=c.id).reindex(grid, fill_value=0)
    site = visit_rows(store, c.site, a, until, STEP).reindex(grid, fill_value=0)
    usual = np.zeros(len(grid))
    for k in days:
        usual += visit_rows(store, c.site, a - k * DAY, until - k * DAY, STEP).reindex(
            grid - k * DAY, fill_value=0)["conversions"].to_numpy(float)
    frame = pd.DataFrame({"visits": own["visits"].to_numpy(int), "leads": own["conversions"].to_numpy(int),
                          "during_not_attributed": own["unattributed"].to_numpy(int),
                          "site_conversions": site["conversions"].to_numpy(int),
                          "usual_conversions": usual / len(days) if days else np.full(len(grid), np.nan)},
                         index=grid)
    return frame
