"""The Capacity page's query functions: campaigns to plan, their forecast and plan, the cost table.

They compose ``capacity/`` (which reads the store and state DB) into frames and text the page shows.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from campaigns.model import Status
from capacity.export import FILE_NAMES, FORMATS, ExportError, render
from capacity.forecast import Forecast, forecast
from capacity.plan import Capacity, Plan, PlanError, capacity_of, make_plan, money
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore
from store.state import StateDB


def campaign_choices(state: StateDB, now: datetime, tz: str = "UTC") -> pd.DataFrame:
    """Campaigns to plan: upcoming ones first (soonest first), then past ones (latest first); cancelled left out.

    Each label gives the start on the dashboard's wall clock (``tz``), as every other time on the page.
    """
    rows = []
    for c in state.list_campaigns():
        if c.status is Status.CANCELLED:
            continue
        upcoming = c.start >= now
        rows.append({"id": c.id, "name": c.name, "channel": c.channel.value, "start": pd.Timestamp(c.start),
                     "audience": c.audience, "upcoming": upcoming,
                     "label": f"{c.name} · {c.channel.value} · {pd.Timestamp(c.start).tz_convert(tz):%a %d %b %Y %H:%M}"
                              f" ({tz}){'' if upcoming else ' (past)'}"})
    df = pd.DataFrame(rows, columns=["id", "name", "channel", "start", "audience", "upcoming", "label"])
    if df.empty:
        return df
    ahead = df[df["upcoming"]].sort_values("start")
    behind = df[~df["upcoming"]].sort_values("start", ascending=False)
    return pd.concat([ahead, behind], ignore_index=True)


def campaign_forecast(store: TimeSeriesStore, state: StateDB, campaign_id: str, *, audience: int | None,
                      now: datetime) -> Forecast:
    found = state.get_campaign(campaign_id)
    if found is None:
        raise LookupError(f"no campaign {campaign_id!r} in the state DB (it may have been deleted)")
    return forecast(store, state, found, audience=audience, now=now)


def fleet(store: TimeSeriesStore, site: str, settings: CapacitySettings, asof: datetime) -> Capacity:
    """Requests/s per instance and today's instances, from the settings or origin metrics."""
    return capacity_of(store, site, settings, asof)


def campaign_plan(f: Forecast, capacity: Capacity, settings: CapacitySettings) -> Plan | str:
    """The plan, or the message saying what is missing to size it."""
    try:
        return make_plan(f, capacity, settings)
    except PlanError as exc:
        return str(exc)


def cost_table(plan: Plan) -> pd.DataFrame:
    """What the campaign adds and what the plan costs, one row per figure."""
    f = plan.forecast
    r, v, leads = f.extra_requests(), f.extra_visits(), f.extra_leads()
    cur = plan.settings.currency
    rows = [
        ("extra requests (p10 – p50 – p90)", f"{r[0]:,.0f} – {r[1]:,.0f} – {r[2]:,.0f}"),
        ("extra visits (p50)", f"{v[1]:,.0f}"),
        ("extra leads (p10 – p50 – p90)", f"{leads[0]:,.1f} – {leads[1]:,.1f} – {leads[2]:,.1f}"),
        ("instances today → at the peak", f"{plan.current} → {plan.peak_instances}"),
        ("extra instance-hours", f"{plan.extra_instance_hours:,.1f}"),
        ("extra infrastructure cost", money(plan.extra_cost, cur)),
        ("infrastructure cost per lead", money(plan.cost_per_lead, cur, digits=3)),  # as the metric above shows it
        ("campaign spend", money(f.campaign.spend, f.campaign.currency)),
        ("campaign spend per lead", money(plan.spend_per_lead, f.campaign.currency)),
    ]
    return pd.DataFrame(rows, columns=["", "value"])


def steps_table(plan: Plan, tz: str) -> pd.DataFrame:
    """The schedule's changes: time (in ``tz``) and instances from then on."""
    rows = [{"from": t.tz_convert(tz).strftime("%a %d %b %H:%M"), "instances": n} for t, n in plan.steps]
    return pd.DataFrame(rows, columns=["from", "instances"])


def past_campaigns_table(f: Forecast) -> pd.DataFrame:
    """Each past campaign of the channel: its learned figure and whether it was learned from, and why not."""
    rows = [{"campaign": p["name"], "audience": p["audience"], "requests per recipient": p["requests_per_recipient"],
             "peak uplift (req/s)": p["peak_excess_rps"], "used": "yes" if p["learned"] else "no",
             "why": p["reason"]} for p in f.summary()["past_campaigns"]]
    return pd.DataFrame(rows, columns=["campaign", "audience", "requests per recipient", "peak uplift (req/s)",
                                       "used", "why"])


def exports(plan: Plan, settings: CapacitySettings) -> dict[str, tuple[str, str] | str]:
    """Each export format: (file name, text) to download, or the message saying which setting it needs."""
    out: dict[str, tuple[str, str] | str] = {}
    for fmt in FORMATS:
        try:
            out[fmt] = (FILE_NAMES[fmt], render(fmt, plan.as_schedule(), settings, plan.cap))
        except ExportError as exc:
            out[fmt] = "needs " + str(exc).split(" needs ", 1)[-1]
    return out
