"""What a campaign really cost: its spend, the extra instance-hours that ran and the extra bytes the CDN carried.

Instance-hours come from the origin ``instances`` metric (Prometheus) over the campaign's
window, above the count that ran in the 3 hours before it (or ``capacity.instances``); when
no such metric was collected, from the plan's schedule, and the result says so. Bytes come
from the CDN's edge counters (``cdn``) when collected, else from the access logs (``http``),
above the rate of the 3 hours before. Each is priced at ``capacity.instance_cost_per_hour``
and ``capacity.cdn_cost_per_gb``; a price not set leaves its cost unknown, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from campaigns.model import Campaign
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore

BEFORE = 3 * 3600  # the level a campaign's extra is measured over: the 3 hours before it


@dataclass
class Costs:
    """The cost breakdown and the cost per lead three ways, each beside the plan's forecast."""

    spend: float | None
    spend_currency: str | None
    currency: str                      # of the infrastructure costs (capacity.currency)
    extra_instance_hours: float | None
    instances_from: str
    instance_cost: float | None
    extra_bytes: float | None
    bytes_from: str
    cdn_cost: float | None
    leads: int
    forecast_spend_per_lead: float | None = None
    forecast_infrastructure_per_lead: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def infrastructure(self) -> float | None:
        parts = [x for x in (self.instance_cost, self.cdn_cost) if x is not None]
        return sum(parts) if parts else None

    @property
    def same_currency(self) -> bool:
        return self.spend_currency is None or self.spend_currency == self.currency

    @property
    def total(self) -> float | None:
        if self.spend is None and self.infrastructure is None:
            return None
        if self.spend is not None and self.infrastructure is not None and not self.same_currency:
            return None
        return (self.spend or 0.0) + (self.infrastructure or 0.0)

    def per_lead(self, amount: float | None) -> float | None:
        return amount / self.leads if amount is not None and self.leads > 0 else None

    def as_dict(self) -> dict:
        f_total = (None if self.forecast_spend_per_lead is None and self.forecast_infrastructure_per_lead is None
                   else (self.forecast_spend_per_lead or 0.0) + (self.forecast_infrastructure_per_lead or 0.0))
        return {
            "currency": self.currency, "spend": _r(self.spend), "spend_currency": self.spend_currency or self.currency,
            "extra_instance_hours": _r(self.extra_instance_hours), "instances_from": self.instances_from,
            "instance_cost": _r(self.instance_cost), "extra_gb": _r(None if self.extra_bytes is None
                                                                   else self.extra_bytes / 1e9, 3),
            "bytes_from": self.bytes_from, "cdn_cost": _r(self.cdn_cost), "infrastructure": _r(self.infrastructure),
            "total": _r(self.total), "leads": self.leads,
            "per_lead": {
                "spend": {"actual": _r(self.per_lead(self.spend), 4), "forecast": _r(self.forecast_spend_per_lead, 4)},
                "infrastructure": {"actual": _r(self.per_lead(self.infrastructure), 4),
                                   "forecast": _r(self.forecast_infrastructure_per_lead, 4)},
                "total": {"actual": _r(self.per_lead(self.total), 4), "forecast": _r(f_total, 4)},
            },
            "notes": self.notes,
        }


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(float(x), digits)


def _per_minute(store: TimeSeriesStore, site: str, metric: str, start: int, end: int) -> np.ndarray:
    df = store.query("origin", start, end, fields=["value"], where={"site": site, "metric": metric}, every=60,
                     agg="mean")
    return df["value"].dropna().to_numpy(float) if not df.empty else np.array([])


def instance_hours(store: TimeSeriesStore, c: Campaign, settings: CapacitySettings, start: int,
                   end: int) -> tuple[float | None, str]:
    """Extra instance-hours in [start, end) from the origin ``instances`` metric, or None when none was collected."""
    during = _per_minute(store, c.site, "instances", start, end)
    if not len(during):
        return None, "no origin 'instances' metric was collected"
    if settings.instances is not None:
        usual, where = float(settings.instances), f"capacity.instances ({settings.instances})"
    else:
        before = _per_minute(store, c.site, "instances", start - BEFORE, start)
        usual = float(np.median(before)) if len(before) else float(during.min())
        where = (f"the median of the 3 h before ({usual:g})" if len(before)
                 else f"the fewest during the campaign ({usual:g}; none stored before it)")
    hours = float(np.clip(during - usual, 0, None).sum() / 60)
    return hours, f"origin 'instances' per minute over {where}, {len(during)} minute(s) measured"


def extra_bytes(store: TimeSeriesStore, site: str, start: int, end: int) -> tuple[float | None, str]:
    """Bytes over the rate of the 3 hours before, from the CDN's counters when collected, else the access logs."""
    for measurement, label in (("cdn", "the CDN's edge counters"), ("http", "the access logs")):
        during = store.query(measurement, start, end, fields=["bytes"], where={"site": site})
        if during.empty or not float(during["bytes"].fillna(0).sum()):
            continue
        total = float(during["bytes"].fillna(0).sum())
        before = store.query(measurement, start - BEFORE, start, fields=["bytes"], where={"site": site})
        usual = float(before["bytes"].fillna(0).sum()) / BEFORE * (end - start) if not before.empty else 0.0
        extra = max(0.0, total - usual)
        how = (f"{label}: {total / 1e9:,.3f} GB in the window over {usual / 1e9:,.3f} GB at the rate of the 3 h "
               "before" if not before.empty else f"{label}: all {total / 1e9:,.3f} GB (nothing stored before it)")
        return extra, how
    return None, "no bytes stored by the CDN or the access logs for the window"


def costs(store: TimeSeriesStore, c: Campaign, settings: CapacitySettings, start: int, end: int, leads: int,
          plan_hours: float | None, forecast_per_lead: tuple[float | None, float | None]) -> Costs:
    """The campaign's costs in [start, end); ``plan_hours``: the plan's extra instance-hours, used without metrics."""
    notes = []
    hours, instances_from = instance_hours(store, c, settings, start, end)
    if hours is None:
        if plan_hours is not None:
            hours = plan_hours
            instances_from = "the plan's schedule (no origin 'instances' metric was collected: not what really ran)"
        notes.append(f"instance-hours from {instances_from}")
    price = settings.instance_cost_per_hour
    if price is None:
        notes.append("no instance cost: set [capacity] instance_cost_per_hour")
    byts, bytes_from = extra_bytes(store, c.site, start, end)
    gb_price = settings.cdn_cost_per_gb
    if gb_price is None:
        notes.append("no CDN cost: set [capacity] cdn_cost_per_gb")
    out = Costs(c.spend, c.currency, settings.currency, hours, instances_from,
                hours * price if hours is not None and price is not None else None, byts, bytes_from,
                byts / 1e9 * gb_price if byts is not None and gb_price is not None else None, leads,
                *forecast_per_lead, notes)
    if (out.instance_cost is None) != (out.cdn_cost is None):
        notes.append(f"infrastructure counts only the {'CDN' if out.instance_cost is None else 'instances'}: "
                     "the other part's cost is unknown")
    if c.spend is None:
        notes.append("no spend: the campaign has none set")
    if not out.same_currency and c.spend is not None and out.infrastructure is not None:
        notes.append(f"spend is in {c.currency}, infrastructure in {settings.currency}: no total")
    if leads <= 0:
        notes.append("no lead attributed: no cost per lead")
    return out
