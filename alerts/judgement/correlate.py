"""Does an announced campaign explain a surge? Match it against the campaign calendar.

Each campaign is scored on what the human part of the excess shows: its timing against
the campaign start (each channel has its own onset lag: a push lands in minutes, a
press piece over hours), the share carrying the campaign's ``utm_campaign``, the share
from its audience regions, and the share arriving the channel's way (webmail and mail
clients for email, social sites for social). The best match, if it is good enough,
explains the surge; its numbers become evidence sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from alerts.detection.slices import Surge
from alerts.judgement.classify import Excess

# channel -> (latest onset after the start in seconds, how long it keeps pulling people in)
CHANNEL_LAG: dict[str, tuple[int, int]] = {
    "email": (2700, 6 * 3600),
    "social": (3600, 6 * 3600),
    "push": (600, 2 * 3600),
    "sms": (600, 2 * 3600),
    "ads": (1800, 24 * 3600),
    "press": (7200, 12 * 3600),
    "other": (3600, 6 * 3600),
}
EARLY = 180  # a surge may start this many seconds before the announced start (clocks, early sends)
CHANNEL_REFERRERS: dict[str, tuple[str, ...]] = {
    "email": ("email", "direct"),
    "social": ("social",),
    "push": ("direct",),
    "sms": ("direct",),
    "ads": ("search", "social", "other"),
    "press": ("other", "search", "social"),
    "other": (),
}


@dataclass
class CampaignInfo:
    """The fields of a campaign that correlation needs (from the Foundation schema)."""

    name: str
    channel: str
    start: int
    end: int | None = None
    regions: list[str] = field(default_factory=list)
    landing: list[str] = field(default_factory=list)
    utm_campaign: str | None = None
    audience: int | None = None
    id: str = ""

    @classmethod
    def of(cls, c: Any) -> CampaignInfo:
        """From a ``campaigns.model.Campaign`` or a plain dict in the same schema."""
        get = c.get if isinstance(c, dict) else lambda k, d=None: getattr(c, k, d)

        def epoch(v: Any) -> int | None:
            if v in (None, ""):
                return None
            if isinstance(v, (int, float)):
                return int(v)
            ts = pd.Timestamp(v) if not isinstance(v, datetime) else pd.Timestamp(v)
            if ts.tzinfo is None:
                ts = ts.tz_localize("UTC")
            return int(ts.timestamp())

        channel = get("channel") or "other"
        channel = str(getattr(channel, "value", channel)).lower()
        start = epoch(get("start"))
        if start is None:
            raise ValueError(f"campaign {get('name')!r} has no start")
        return cls(name=str(get("name")), channel=channel if channel in CHANNEL_LAG else "other", start=start,
                   end=epoch(get("end")), regions=[r.upper() for r in (get("regions") or [])],
                   landing=list(get("landing") or []), utm_campaign=get("utm_campaign") or None,
                   audience=get("audience"), id=str(get("id") or ""))


@dataclass
class Match:
    campaign: CampaignInfo
    score: float
    explains: bool
    timing: str
    utm_share: float
    region_share: float | None
    referrer_share: float | None
    evidence: list[str]


def _share(series: pd.Series, keys: set[str] | tuple[str, ...]) -> float:
    total = float(series.sum())
    return float(series[series.index.isin(list(keys))].sum()) / total if total > 0 else 0.0


def _timing(c: CampaignInfo, surge: Surge) -> tuple[float, str]:
    lag_max, pull = CHANNEL_LAG[c.channel]
    lag = surge.start - c.start
    mins = abs(lag) / 60
    if -EARLY <= lag <= lag_max:
        when = "before" if lag < 0 else "after"
        return 1.0, f"started {mins:.0f} min {when} the {c.channel} campaign went out"
    end = c.end if c.end is not None else c.start + pull
    if c.start <= surge.start <= end:
        return 0.5, f"started while the campaign was running ({mins:.0f} min after its start)"
    if c.start <= surge.end and surge.start <= end:
        return 0.3, "overlaps the campaign's running time"
    return 0.0, ""


def _landing_share(ex: Excess) -> float:
    """Share of the extra human page views (assets aside) on landing pages of announced campaigns."""
    paths = ex.human_dims["path_group"]
    pages = paths[~paths.index.isin(["asset", "api"])]
    pages = pages[pages > 0]
    return _share(pages, {"landing"})


def match_campaign(c: CampaignInfo, surge: Surge, ex: Excess) -> Match:
    timing, timing_text = _timing(c, surge)
    utm = ex.human_dims["utm_campaign"]
    utm_share = _share(utm, {c.utm_campaign}) if c.utm_campaign else 0.0
    region_share = _share(ex.human_dims["country"], set(c.regions)) if c.regions else None
    refs = CHANNEL_REFERRERS[c.channel]
    referrer_share = _share(ex.human_dims["referrer"], refs) if refs else None
    landing_share = _landing_share(ex) if c.landing else None
    evidence = []
    if timing_text:
        evidence.append(f"Surge {timing_text}")
    if utm_share >= 0.05:
        evidence.append(f"{utm_share:.0%} of extra human arrivals carry utm_campaign={c.utm_campaign} ({c.name})")
    if region_share is not None:
        top = ", ".join(list(ex.human_dims["country"].index[:3]))
        evidence.append(f"{region_share:.0%} of extra human traffic from the campaign's regions "
                        f"({'/'.join(c.regions[:6])}); top countries {top}")
    if referrer_share is not None:
        evidence.append(f"{referrer_share:.0%} of extra human arrivals come the {c.channel} way "
                        f"(referrer {'/'.join(refs)})")
    if landing_share is not None and landing_share >= 0.05:
        evidence.append(f"{landing_share:.0%} of the extra human page views are on the campaign's landing pages "
                        f"({', '.join(c.landing[:3])})")
    score = 0.0
    if timing > 0 or utm_share >= 0.3:
        score = 0.35 * timing + 0.4 * min(utm_share / 0.5, 1.0)
        score += 0.15 * (region_share if region_share is not None else 0.5)
        score += 0.1 * (referrer_share if referrer_share is not None else 0.5)
    explains = (utm_share >= 0.3 and timing > 0) or (timing > 0 and (landing_share or 0) >= 0.3) or (
        timing >= 1.0 and (region_share is None or region_share >= 0.4)
        and (referrer_share is None or referrer_share >= 0.3 or utm_share >= 0.1)) or (
        timing >= 0.5 and (region_share or 0) >= 0.6 and (referrer_share or 0) >= 0.5)
    return Match(c, round(score, 3), explains, timing_text, utm_share, region_share, referrer_share, evidence)


def best_match(campaigns: list[CampaignInfo], surge: Surge, ex: Excess) -> Match | None:
    """The campaign that explains the surge best (None when none does)."""
    matches = [match_campaign(c, surge, ex) for c in campaigns]
    good = [m for m in matches if m.explains]
    return max(good, key=lambda m: m.score) if good else None


def unannounced_utm(campaigns: list[CampaignInfo], ex: Excess) -> tuple[str, float] | None:
    """A utm_campaign no announced campaign uses that carries much of the human excess."""
    known = {c.utm_campaign for c in campaigns if c.utm_campaign}
    utm = ex.human_dims["utm_campaign"]
    total = float(utm.sum())
    for value, n in utm.items():
        if value not in known and value not in ("none", "other") and total > 0 and n / total >= 0.25:
            return str(value), float(n / total)
    return None
