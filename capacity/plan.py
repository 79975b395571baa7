"""The scaling plan of a forecast: how many instances, when to scale up and back down, what it costs per lead.

Sizing uses the forecast's upper band (p90) plus the headroom: instances needed at each
minute = ceil(p90 × (1 + headroom) / requests per instance), never below what runs today.
Instances are asked for a warm-up ahead of the minute they are needed and kept a cool-down
after the last minute they are, so the schedule at a minute is the most needed from one
cool-down before it to one warm-up after it; it is then raised to a few floors at least 15
minutes long (``capacity.floors``), the minimums an autoscaler is given. The fleet is capped
at ``capacity.max_instances``, or 20 × today's when unset, and the plan says when it is.
Its instance-hours over today's count are the extra cost; divided by the forecast's extra leads
(p50), the infrastructure cost per lead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from campaigns.model import Campaign
from capacity.bounds import PEAK_WARN_FACTOR, BoundsError, check, fleet_cap
from capacity.floors import Schedule, changes, floors
from capacity.forecast import Forecast, forecast, iso_utc
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore, to_epoch
from store.state import StateDB

ORIGIN_DAYS = 7


class PlanError(ValueError):
    """The plan cannot be sized; the message says what to configure."""


@dataclass(frozen=True)
class Capacity:
    """What one instance serves and how many run, with where each number comes from."""

    rps_per_instance: float | None
    instances: int
    evidence: list[str]


def origin_metrics(store: TimeSeriesStore, site: str, asof: int, days: int = ORIGIN_DAYS) -> pd.DataFrame:
    """Per-minute origin metrics (columns rps, instances, cpu when collected) over the ``days`` before ``asof``."""
    df = store.query("origin", asof - days * 86400, asof, fields=["value"],
                     where={"site": site, "metric": ["rps", "instances", "cpu"]}, group_by=["metric"], every=60,
                     agg="mean")
    if df.empty:
        return pd.DataFrame(columns=["rps", "instances", "cpu"])
    return df.pivot_table(index="time", columns="metric", values="value")


def capacity_of(store: TimeSeriesStore, site: str, settings: CapacitySettings, asof: datetime) -> Capacity:
    """Requests/s per instance and today's instance count: from ``[capacity]``, else origin metrics."""
    wide = origin_metrics(store, site, to_epoch(asof))
    evidence: list[str] = []
    if settings.instances is not None:
        count = settings.instances
        evidence.append(f"{count} instance(s) today (capacity.instances)")
    elif "instances" in wide and wide["instances"].notna().any():
        count = max(1, round(float(wide["instances"].dropna().iloc[-1])))
        evidence.append(f"{count} instance(s) today (latest origin 'instances' metric)")
    else:
        count = settings.min_instances
        evidence.append(f"{count} instance(s) today (capacity.min_instances: set capacity.instances or collect "
                        "origin 'instances')")
    per: float | None = settings.rps_per_instance
    if per is not None:
        evidence.append(f"{per:,.0f} req/s per instance (capacity.rps_per_instance)")
    elif {"rps", "instances"} <= set(wide) and (both := wide[["rps", "instances"]].dropna()).size:
        both = both[both["instances"] > 0]
        load = both["rps"] / both["instances"]
        if len(load) and float(load.quantile(0.95)) > 0:
            per = float(load.quantile(0.95))
            note = ""
            if "cpu" in wide and wide["cpu"].notna().any():
                busy = load >= load.quantile(0.95)
                cpu = (wide.loc[both.index[busy.to_numpy()], "cpu"] / both["instances"][busy]).mean()
                note = f" at {cpu:.2f} CPU cores per instance" if cpu == cpu else ""
            evidence.append(f"{per:,.1f} req/s per instance: the busiest 5 % of the last {ORIGIN_DAYS} days' origin "
                            f"load{note}, a proven floor (set capacity.rps_per_instance for the real limit)")
    return Capacity(per, count, evidence)


@dataclass
class Plan:
    forecast: Forecast
    capacity: Capacity
    settings: CapacitySettings
    needed: np.ndarray
    schedule: np.ndarray
    current: int
    peak_instances: int
    scale_up_at: pd.Timestamp | None
    full_at: pd.Timestamp | None
    scale_down_at: pd.Timestamp | None
    steps: list[tuple[pd.Timestamp, int]]
    extra_instance_hours: float
    extra_cost: float | None
    cost_per_lead: float | None
    spend_per_lead: float | None
    capped: bool
    short_already: bool
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_schedule(self) -> Schedule:
        """The plan's floors, for the exports."""
        return Schedule(list(self.steps), self.current, [self.forecast.campaign.name], [self.forecast.campaign.site])

    def frame(self) -> pd.DataFrame:
        """The forecast with the instance schedule and its capacity (requests/s) per step."""
        df = self.forecast.frame()
        per = float(self.capacity.rps_per_instance or 0)
        df["instances"] = self.schedule
        df["capacity"] = self.schedule * per
        df["current_capacity"] = self.current * per
        return df

    def summary(self) -> dict:
        s = self.forecast.summary()
        cur = self.settings.currency
        s["plan"] = {
            "rps_per_instance": self.capacity.rps_per_instance, "current_instances": self.current,
            "peak_instances": self.peak_instances, "add_instances": self.peak_instances - self.current,
            "headroom": self.settings.headroom,
            "warmup_minutes": self.settings.warmup_minutes, "cooldown_minutes": self.settings.cooldown_minutes,
            "scale_up_at": _iso(self.scale_up_at), "full_at": _iso(self.full_at),
            "scale_down_at": _iso(self.scale_down_at), "capped_at_max_instances": self.capped,
            "max_instances": self.cap,
            "short_already": self.short_already,
            "steps": [{"at": _iso(t), "instances": n} for t, n in self.steps],
            "capacity_from": self.capacity.evidence,
        }
        s["cost"] = {
            "currency": cur, "instance_cost_per_hour": self.settings.instance_cost_per_hour,
            "extra_instance_hours": round(self.extra_instance_hours, 2),
            "extra_cost": _round(self.extra_cost), "cost_per_lead": _round(self.cost_per_lead, 4),
            "campaign_spend": self.forecast.campaign.spend,
            "campaign_currency": self.forecast.campaign.currency,
            "spend_per_lead": _round(self.spend_per_lead, 4),
        }
        s["notes"] = self.notes
        s["warnings"] = [*self.forecast.warnings, *self.warnings]
        return s

    @property
    def cap(self) -> int:
        return fleet_cap(self.current, self.settings.max_instances)[0]


def _iso(t: pd.Timestamp | None) -> str | None:
    return None if t is None else iso_utc(t)


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


def make_plan(forecast: Forecast, capacity: Capacity, settings: CapacitySettings) -> Plan:
    """The schedule, its cost and cost per lead; PlanError when the capacity per instance is unknown."""
    per = capacity.rps_per_instance
    if not per:
        raise PlanError("cannot size the plan: the requests/s one instance serves is unknown. Set "
                        "[capacity] rps_per_instance in surgewatch.toml (or SURGEWATCH_CAPACITY__RPS_PER_INSTANCE), "
                        "or collect origin metrics 'rps' and 'instances' with [collectors.prometheus]")
    step = forecast.step
    current = max(capacity.instances, settings.min_instances)
    raw = np.ceil(forecast.high * (1 + settings.headroom) / per - 1e-9).astype(int)
    top, cap_from = fleet_cap(current, settings.max_instances)
    top = max(top, settings.min_instances, current)
    needed = np.clip(np.maximum(raw, current), settings.min_instances, top)
    capped = bool((raw > top).any())
    ahead, behind = math.ceil(settings.warmup_minutes * 60 / step), math.ceil(settings.cooldown_minutes * 60 / step)
    n = len(needed)
    minute = np.array([needed[max(0, i - behind): min(n, i + ahead + 1)].max() for i in range(n)], dtype=int)
    schedule = floors(np.maximum(minute, current), current, step)
    over = np.flatnonzero(schedule > current)
    times = forecast.times
    up = times[over[0]] if len(over) else None
    down = times[over[-1]] + pd.Timedelta(seconds=step) if len(over) else None
    peak = int(schedule.max())
    full = times[int(np.argmax(schedule >= peak))] if len(over) else None
    steps = changes(times, schedule)
    hours = float((schedule - current).sum() * step / 3600)
    price = settings.instance_cost_per_hour
    cost = hours * price if price is not None else None
    leads = forecast.extra_leads()[1]
    notes, warnings = [], []
    short = bool(raw[0] > current)
    if short:
        notes.append(f"today's {current} instance(s) are already short of the baseline's upper band with "
                     f"{settings.headroom:.0%} headroom: scale up now")
    if capped:
        warnings.append(f"the upper band needs {int(raw.max()):,} instances; the plan is capped at {cap_from}")
    if int(raw.max()) > PEAK_WARN_FACTOR * current:
        warnings.append(f"the peak needs {int(raw.max()):,} instances, over {PEAK_WARN_FACTOR}× today's {current}: "
                        "check the audience and the capacity per instance before scaling this far")
    if price is None:
        notes.append("no cost: set [capacity] instance_cost_per_hour for the cost and cost per lead")
    spend = forecast.campaign.spend
    try:
        check("spend", spend, label=f"campaign {forecast.campaign.name!r}: spend")
    except BoundsError as exc:
        warnings.append(f"{exc}; no spend per lead")
        spend = None
    return Plan(forecast, capacity, settings, needed, schedule, current, peak, up, full, down, steps, hours, cost,
                cost / leads if cost is not None and leads > 0 else None,
                spend / leads if spend is not None and leads > 0 else None, capped, short, notes, warnings)


def build_plan(store: TimeSeriesStore, state: StateDB, campaign: Campaign, settings: CapacitySettings, *,
               audience: int | None = None, now: datetime | None = None) -> Plan:
    """The campaign's forecast sized into a plan, with the capacity of its site (ForecastError, PlanError)."""
    f = forecast(store, state, campaign, audience=audience, now=now)
    return make_plan(f, capacity_of(store, campaign.site, settings, f.asof), settings)


DAY_CLOCK = "%a %H:%M"  # a time within the next days, with its weekday


def local_time(t: datetime | pd.Timestamp, tz: str, fmt: str = "%H:%M") -> str:
    """A time on the dashboard's wall clock (``tz``), as plans, reminders and pages say it."""
    return pd.Timestamp(t).tz_convert(tz).strftime(fmt)


def money(x: float | None, currency: str | None, *, digits: int = 2) -> str:
    """An amount with its currency ("–" when unknown); costs per lead take 3 digits, as they are often cents."""
    return "–" if x is None else f"{x:,.{digits}f} {currency or ''}".strip()


def _relative(t: pd.Timestamp, start: datetime) -> str:
    minutes = round((t - pd.Timestamp(start)).total_seconds() / 60)
    if minutes == 0:
        return "at the start"
    return f"{abs(minutes)} min {'before' if minutes < 0 else 'after'} the start"


def advice(plan: Plan, tz: str = "UTC") -> str:
    """The recommendation in plain words, times in ``tz``."""
    f = plan.forecast
    peak_t, peak_rps = f.peak_time, float(f.expected[f.peak_index])
    lead = f"Expected peak {peak_rps:,.0f} req/s at {local_time(peak_t, tz)} (up to {float(f.high.max()):,.0f})."
    if plan.scale_up_at is None:
        return (f"{lead} No scaling needed: {plan.current} instance(s) serve the upper band with "
                f"{plan.settings.headroom:.0%} headroom.")
    s = plan.settings
    added = f"{plan.peak_instances} instances (+{plan.peak_instances - plan.current})"
    when = f"at {local_time(plan.scale_up_at, tz)} ({_relative(plan.scale_up_at, f.campaign.start)}, warm-up " \
           f"{s.warmup_minutes:g} min)"
    steps = (f"to {added} {when}" if plan.full_at == plan.scale_up_at else
             f"{when}, reaching {added} at {local_time(plan.full_at, tz)}")
    down = plan.scale_down_at
    other_day = pd.Timestamp(down).tz_convert(tz).date() != pd.Timestamp(plan.scale_up_at).tz_convert(tz).date()
    return (f"{lead} Scale up from {plan.current} instance(s) {steps}; back to {plan.current} at "
            f"{local_time(down, tz, DAY_CLOCK if other_day else '%H:%M')} (cool-down {s.cooldown_minutes:g} min).")
