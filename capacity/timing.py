"""When a campaign's audience really gets it: local-time sends in several zones, multi-day runs, the next morning.

- ``regions``: a send to countries whose clocks differ by ``LOCAL_SEND_HOURS`` or more goes out at
  the same local time in each country's zone as the start is in the first region's (as send-time
  tools such as Mailchimp's Timewarp do), the audience split evenly: an APAC send at 09:00 local
  is not planned at 09:00 of Europe. A country's zone is the first zone tzdata's ``zone.tab`` lists for it (its most
  populous). Regions in one zone, or close zones, keep the start as given.
- ``end``: a campaign of any channel but email that runs for more than a day (ads, social, a TV
  flight) is a pulse each day at the start's time, later days weaker (``DAY_DECAY``), not one
  pulse; an email's ``end`` is only its reporting window.
- the next morning: an email's late readers come back the next morning; its bump is placed at
  the first 09:00 local that is at least 12 hours after the send.
- ``TIMING_MINUTES``: sends are throttled and scheduled loosely, so the band covers a send up to
  this much earlier or later than planned (the p90 is the highest over that window, the p10 the lowest).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from campaigns.model import Campaign, Channel

LOCAL_SEND_HOURS = 2
DAY_DECAY = 0.8
MAX_DAYS = 14
TIMING_MINUTES = 15
MORNING_HOUR = 9


@cache
def country_zones() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> the first IANA zone tzdata lists for the country."""
    out: dict[str, str] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                out.setdefault(parts[0].upper(), parts[2])
    return out


def _offset_hours(zone: str, at: datetime) -> float:
    off = at.astimezone(ZoneInfo(zone)).utcoffset()
    return off.total_seconds() / 3600 if off is not None else 0.0


def sends(c: Campaign) -> list[tuple[float, float, str | None]]:
    """[(minutes after ``c.start`` the send reaches the audience, share of the audience, its zone)]."""
    zones = [z for z in dict.fromkeys(country_zones().get(r.upper()) for r in c.regions) if z]
    offsets = {z: _offset_hours(z, c.start) for z in zones}
    if len(zones) < 2 or max(offsets.values()) - min(offsets.values()) < LOCAL_SEND_HOURS:
        base = [(0.0, 1.0, zones[0] if len(zones) == 1 else None)]
    else:
        wall = c.start.astimezone(ZoneInfo(zones[0])).replace(tzinfo=None)  # the send in the first region
        base = []
        for z in zones:
            local = wall.replace(tzinfo=ZoneInfo(z))
            base.append(((local - c.start).total_seconds() / 60, 1 / len(zones), z))
    days = _days(c)
    if days <= 1:
        return base
    weights = [DAY_DECAY**k for k in range(days)]
    total = sum(weights)
    return [(m + k * 1440, share * w / total, z) for k, w in enumerate(weights) for m, share, z in base]


def _days(c: Campaign) -> int:
    if c.channel is Channel.EMAIL or c.end is None or c.end <= c.start + timedelta(days=1):
        return 1
    return min(MAX_DAYS, math.ceil((c.end - c.start).total_seconds() / 86400))


def morning_after(send: datetime, zone: str | None) -> float:
    """Minutes from ``send`` to the first ``MORNING_HOUR``:00 local at least 12 hours later (UTC without a zone)."""
    tz = ZoneInfo(zone or "UTC")
    local = send.astimezone(tz) + timedelta(hours=12)
    morning = local.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    if morning < local:
        morning += timedelta(days=1)
    return (morning - send.astimezone(tz)).total_seconds() / 60


def describe(c: Campaign, plan_sends: list[tuple[float, float, str | None]]) -> list[str]:
    """What the forecast assumed about when the audience gets the campaign, in plain words."""
    out = []
    zones = {z for _, _, z in plan_sends if z}
    if len(zones) > 1 and len({m % 1440 for m, _, _ in plan_sends}) > 1:
        out.append(f"local-time send in {len(zones)} zones ({', '.join(sorted(zones))}): each at "
                   f"{c.start:%H:%M} local, the audience split evenly")
    days = _days(c)
    if days > 1:
        out.append(f"runs {days} days (until {c.end:%Y-%m-%d}): a pulse a day at the start's time, each day "
                   f"{DAY_DECAY:.0%} of the one before")
    return out
