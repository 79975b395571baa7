"""The verdict on one surge: campaign, organic, bot or mixed, with confidence and evidence.

- ``bot``: automated requests make up most of the excess and the human part alone would
  not be a surge (even while a campaign runs);
- ``mixed``: the human part alone is a surge and automated requests are at least 20 % of
  the excess (naming the campaign when one explains the human part);
- ``campaign``: a human surge an announced campaign explains;
- ``organic``: a human surge no announced campaign explains, with what it looks like.
When the numbers are unclear the verdict leans human: blocking customers is the worst error.
Evidence sentences carry the numbers a marketer and an engineer can check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from alerts.detection.slices import Surge
from alerts.judgement.classify import HUMAN, Excess
from alerts.judgement.correlate import CampaignInfo, Match, best_match, unannounced_utm
from store.base import BUCKET_SECONDS

MIXED_SHARE = 0.2
BOT_SHARE = 0.35  # people alone no surge, together they are: bots this much of the excess make it bot


@dataclass
class Verdict:
    verdict: str
    confidence: float
    campaign: str | None
    evidence: list[str]
    bot_share: float
    looks_like: str | None = None
    match: Match | None = field(default=None, repr=False)


def _top(series: pd.Series, n: int = 3) -> str:
    total = float(series.sum())
    if total <= 0:
        return "none"
    return ", ".join(f"{k} {v / total:.0%}" for k, v in series.head(n).items() if v > 0)


def _share(series: pd.Series, keys: tuple[str, ...]) -> float:
    total = float(series.sum())
    return float(series[series.index.isin(keys)].sum()) / total if total > 0 else 0.0


def _headline(surge: Surge, ex: Excess) -> str:
    rps, base = surge.peak_value / BUCKET_SECONDS, surge.expected_at_peak / BUCKET_SECONDS
    ratio = f"{rps / base:.1f}x" if base > 0 else "far above"
    mins = ex.buckets * BUCKET_SECONDS / 60
    without = " (mail link scanners left out)" if ex.scanner > 0 else ""
    return (f"Peak {rps:.1f} req/s{without}, {ratio} the baseline of {base:.1f} req/s; "
            f"{ex.total:,.0f} extra requests over {mins:.0f} min")


def _actor_split(ex: Excess) -> str:
    total = max(ex.human, 0) + max(ex.automated, 0) + max(ex.scanner, 0)
    if total <= 0:
        return "No clear extra traffic by actor"
    parts = [f"{ex.human / total:.0%} people's browsers", f"{ex.automated / total:.0%} automated clients"]
    if ex.scanner > 0:
        parts.append(f"{ex.scanner / total:.0%} mail link scanners / privacy proxies")
    return "Extra requests: " + ", ".join(parts)


def _human_behaviour(ex: Excess) -> str | None:
    b = ex.behaviour.get(HUMAN)
    if not b or b["pages"] <= 0:
        return None
    assets = b["assets"] / b["pages"]
    ref_assets = b["ref_assets"] / b["ref_pages"] if b["ref_pages"] > 0 else 0.0
    conv = b["conversions"] / b["pages"]
    return (f"People's traffic: median {b['rpc_p50']:.0f} requests per client (baseline {b['ref_rpc_p50']:.0f}), "
            f"asset ratio {assets:.1f} (baseline {ref_assets:.1f}), {conv:.1%} of pages convert")


def automated_behaviour(ex: Excess) -> list[str]:
    """What the programs' extra requests are: client classes, networks, paths and answers, their rate."""
    out = []
    dims = ex.automated_dims
    total = float(dims["path_group"].sum())
    if total <= 0:
        return out
    login = _share(dims["path_group"], ("login",))
    post = _share(dims["method"], ("POST",))
    fails = _share(dims["status"], ("4xx",))
    clients = _top(dims["client"])
    b = ex.behaviour.get("automated", {})
    dc = (b.get("datacenter", 0) - b.get("ref_datacenter", 0)) / max(b.get("requests", 0) - b.get("ref_requests", 0), 1)
    out.append(f"Automated extra by client class: {clients}; {max(dc, 0):.0%} from hosting/datacenter networks")
    if login >= 0.3:
        out.append(f"{login:.0%} of extra automated requests hit login ({post:.0%} POST), {fails:.0%} answered 4xx")
    else:
        out.append(f"Automated extra by path: {_top(dims['path_group'])}; {fails:.0%} answered 4xx")
    if b.get("clients", 0) > 0:
        out.append(f"Automated clients: median {b.get('rpc_p50', 0):.0f} requests per client per 10 s, "
                   f"up to {b.get('ua_families', 0):.0f} user-agent families")
    return out


def _scanner_note(ex: Excess, match: Match | None, surge: Surge) -> str | None:
    if ex.scanner <= 0:
        return None
    total = max(ex.human, 0) + max(ex.automated, 0) + ex.scanner
    if ex.scanner / total < 0.02:
        return None
    sent = f" of the {match.campaign.name} send" if match and match.campaign.channel == "email" else " of an email send"
    return (f"{ex.scanner:,.0f} extra requests ({ex.scanner / total:.0%}) come from mail link scanners and "
            f"privacy proxies at the start{sent}: campaign automation, not an attack")


def _looks_like(ex: Excess, campaigns: list[CampaignInfo]) -> tuple[str, str]:
    """What an unexplained human surge resembles, and why."""
    utm = unannounced_utm(campaigns, ex)
    if utm:
        return "unannounced_campaign", f"{utm[1]:.0%} of extra human arrivals carry utm_campaign={utm[0]}, " \
                                       "which no announced campaign uses"
    refs = ex.human_dims["referrer"]
    email = _share(refs, ("email",))
    social = _share(refs, ("social",))
    press = _share(refs, ("other", "search"))
    if email >= 0.3 or (ex.scanner > 0.05 * max(ex.human, 1) and email >= 0.15):
        return "unannounced_campaign", f"{email:.0%} of extra human arrivals come from webmail / mail clients " \
                                       "(an email nobody announced)"
    if social >= 0.35 and social >= press:
        return "viral_social", f"{social:.0%} of extra human arrivals are referred by social sites"
    return "press", f"{press:.0%} of extra human arrivals are referred by news/other sites and search " \
                    f"({social:.0%} social, {_share(refs, ('direct',)):.0%} direct)"


def judge(surge: Surge, ex: Excess, campaigns: list[CampaignInfo], human_side: bool = False) -> Verdict:
    """The verdict; ``human_side`` gives the campaign / organic reading (what a held verdict shows)."""
    share = ex.bot_share
    evidence = [_headline(surge, ex), _actor_split(ex), *ex.notes]
    match = best_match(campaigns, surge, ex)
    automated_counts = ex.automated >= 0.2 * max(ex.total, 1.0)
    if human_side:
        verdict, conf = ("campaign" if match else "organic"), 0.5 + 0.4 * (1 - share) - 0.15
    elif not ex.human_is_surge and (ex.automated_is_surge or (ex.rest_is_surge and share >= BOT_SHARE)):
        verdict, conf = "bot", 0.5 + 0.45 * share
    elif ex.human_is_surge and share >= MIXED_SHARE and automated_counts:
        verdict, conf = "mixed", 0.55 + 0.4 * min(share / 0.5, 1.0)
    elif not ex.human_is_surge and share >= 0.6:
        verdict, conf = "bot", 0.4 + 0.3 * share  # early or small: may sharpen as the surge grows
    else:
        verdict, conf = ("campaign" if match else "organic"), 0.5 + 0.4 * (1 - share)
        if not ex.human_is_surge:
            conf -= 0.15
    scanner = _scanner_note(ex, match, surge)
    looks_like = None
    if verdict in ("bot", "mixed"):
        evidence += automated_behaviour(ex)
    if verdict != "bot":
        hb = _human_behaviour(ex)
        if hb:
            evidence.append(hb)
        if match:
            evidence += match.evidence
            conf = min(0.98, conf * 0.6 + match.score * 0.5)
        elif verdict == "organic":
            looks_like, why = _looks_like(ex, campaigns)
            evidence.append(f"No announced campaign explains it; looks like {looks_like.replace('_', ' ')}: {why}")
            evidence.append(f"Extra human traffic from {_top(ex.human_dims['country'])}")
    elif match:
        evidence.append(f"Campaign {match.campaign.name} is running, but the people's part alone is not a surge")
    if scanner:
        evidence.append(scanner)
    campaign = match.campaign.name if match and verdict in ("campaign", "mixed") else None
    return Verdict(verdict, round(min(max(conf, 0.05), 0.99), 2), campaign, evidence, share, looks_like, match)

