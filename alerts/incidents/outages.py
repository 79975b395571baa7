"""Drops and error bursts as incidents: traffic falling to zero, a campaign's landing failing.

Surges are not the only thing on-call must hear about live: a broken link in an email
(its ``utm_campaign`` answering 404/5xx) or the site going silent are incidents too. Each
outage becomes an incident with verdict ``drop`` or ``errors`` and evidence in numbers; its
id is its site, kind, what failed and start, so the worker upserts the same outage into one
incident at every run.
"""

from __future__ import annotations

import time

from alerts.detection.slices import ATTACK_ERRORS, Outage
from alerts.incidents.model import Incident
from store.base import BUCKET_SECONDS

OUTAGE_VERDICTS = ("drop", "errors", "stale")  # stale: a silent collector (alerts.incidents.stale)


def _evidence(o: Outage) -> list[str]:
    rps, base = o.value / BUCKET_SECONDS, o.expected / BUCKET_SECONDS
    mins = (o.end + BUCKET_SECONDS - o.start) / 60
    if o.kind == "drop":
        return [f"Traffic fell to {rps:.1f} req/s against an expected {base:.1f} req/s, for {mins:.0f} min so far",
                "Check the site, its load balancer and the log shipping: silence is either an outage or lost data"]
    what = o.what.split("=", 1)
    if what[0] == "utm_campaign":
        named = f"{o.campaign} (utm_campaign={what[1]})" if o.campaign else f"utm_campaign={what[1]}"
        return [f"Requests of campaign {named} fail: up to {rps:.1f} req/s answered 4xx/5xx "
                f"(before: {base:.1f} req/s) over {mins:.0f} min",
                "The campaign's landing link may be broken: check the URL in the email or ad"]
    out = [f"{rps:.1f} req/s answered {what[-1]} at the worst point (baseline {base:.1f} req/s), "
           f"over {mins:.0f} min", f"A larger share of requests than before answers {what[-1]}"]
    if o.attack_share >= ATTACK_ERRORS:
        out.append(f"{o.attack_share:.0%} of the failing requests are sent by programs or posted to a login form: "
                   "an attack (credential stuffing, a scan) rather than the site failing its visitors")
    return out


def outage_id(site: str, o: Outage) -> str:
    """The stable id of an outage's incident: site, start, kind and what failed."""
    slug = o.what.replace("=", "-").replace("/", "-")
    return f"{Incident.make_id(site, o.start)}-{o.kind}-{slug}"


def outage_incident(site: str, o: Outage) -> Incident:
    """The incident of one outage (verdict ``drop`` or ``errors``)."""
    return Incident(
        id=outage_id(site, o), site=site, start=o.start,
        end=o.end + BUCKET_SECONDS, peak_rps=o.value / BUCKET_SECONDS, baseline_rps=o.expected / BUCKET_SECONDS,
        verdict=o.kind, confidence=0.9 if o.kind == "drop" or o.what.startswith("utm_campaign=") else 0.7,
        campaign=o.campaign, evidence=_evidence(o), updated_at=time.time(), status="open" if o.open else "closed",
        detected_at=o.start, trigger=o.what, extra={"outage": o.kind, "what": o.what},
    )
