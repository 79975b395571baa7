"""Campaigns ahead: what on-call must hear before an announced campaign goes out.

The engineer on call who knew nothing of a send is the one about to block its surge as an
attack. A few hours before each announced campaign (``capacity.remind_before_minutes``) the
worker tells on-call: when it goes out, to whom and where it lands, the surge to expect and
the scaling it needs, from the same forecast and plan as the Capacity page. A reminder is
sent again only when what it says changes (the start moved, or the plan's instances or
times did), never at every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from campaigns.model import Campaign, Status
from capacity.forecast import ForecastError
from capacity.plan import DAY_CLOCK, Plan, PlanError, advice, build_plan, local_time
from capacity.settings import CapacitySettings
from store.base import TimeSeriesStore
from store.state import StateDB

CAMPAIGN_AHEAD = "SurgewatchCampaignAhead"  # the alertname of a reminder, for silences and Alertmanager routes


@dataclass(frozen=True)
class Reminder:
    campaign: Campaign
    title: str
    lines: list[str]
    key: dict = field(default_factory=dict)  # what it says that, changed, is worth a new message


def _sizing(c: Campaign, store: TimeSeriesStore, state: StateDB, settings: CapacitySettings,
            now: datetime) -> tuple[Plan | None, str]:
    """The campaign's plan, or None and why it could not be made."""
    try:
        return build_plan(store, state, c, settings, now=now), ""
    except ForecastError:
        return None, "no audience given, so no forecast: add its audience on the Campaigns page"
    except PlanError as exc:
        return None, str(exc)


def reminder(c: Campaign, plan: Plan | None, why: str, now: datetime, tz: str) -> Reminder:
    """The message ahead of one campaign, from its plan (or the reason there is none)."""
    minutes = max(0, round((c.start - now).total_seconds() / 60))
    when = f"{local_time(c.start, tz, DAY_CLOCK)} ({tz}, in {minutes} min)"
    if plan is None:
        tail = "not sized"
    elif plan.scale_up_at is None:
        tail = f"no scaling needed ({plan.current} instance(s))"
    else:
        ready = local_time(plan.full_at, tz, DAY_CLOCK)
        tail = f"scale from {plan.current} to {plan.peak_instances} instances by {ready}"
    title = f"[CAMPAIGN AHEAD] {c.site}: {c.name} at {local_time(c.start, tz, DAY_CLOCK)}, {tail}"
    who = f" to {c.audience:,} recipients" if c.audience else ""
    regions = f" in {', '.join(c.regions)}" if c.regions else ""
    lines = [f"{c.channel.value.capitalize()} campaign{who}{regions}, going out {when}. Its surge is expected: it "
             "is marketing's campaign, not an attack (the incident will name it)."]
    lines.append(advice(plan, tz) if plan is not None else f"No scaling plan: {why}.")
    if c.landing or c.utm_campaign:
        lands = ", ".join(c.landing) or "–"
        lines.append(f"Landing: {lands}" + (f"; utm_campaign={c.utm_campaign}" if c.utm_campaign else ""))
    if c.owner:
        lines.append(f"Announced by {c.owner}.")
    if plan is not None:
        lines.append(f"Forecast {plan.forecast.response.source}; baseline {plan.forecast.baseline_source}.")
    key = {"start": c.start.isoformat(), "status": c.status.value}
    if plan is not None:
        key |= {"peak_instances": plan.peak_instances, "current": plan.current,
                "scale_up_at": None if plan.scale_up_at is None else plan.scale_up_at.isoformat()}
    return Reminder(c, title, lines, key)


def due(store: TimeSeriesStore, state: StateDB, settings: CapacitySettings, now: datetime,
        tz: str = "UTC") -> list[Reminder]:
    """The reminders of every campaign starting within ``remind_before_minutes`` of ``now`` (none when 0)."""
    if settings.remind_before_minutes <= 0:
        return []
    ahead = now + timedelta(minutes=settings.remind_before_minutes)
    out = []
    for c in state.list_campaigns(since=now, until=ahead):
        if c.status is Status.CANCELLED:
            continue
        plan, why = _sizing(c, store, state, settings, now)
        out.append(reminder(c, plan, why, now, tz))
    return out
