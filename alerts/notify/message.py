"""What on-call reads: the title and plain-text body of an incident notification.

One wording for every channel (email, chat, Alertmanager annotations): the verdict and
site first, then how big the surge is against its baseline and what drives it, the
detector's evidence sentences, the block suggestion for bot traffic, on-call's own
correction, and a link to the incident on the dashboard's Overview page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from alerts.incidents.model import Incident, iso

EventKind = Literal["new", "changed", "resolved", "refresh", "test"]
SEVERITY = {"bot": "critical", "errors": "critical", "drop": "critical", "mixed": "warning",
            "campaign": "info", "organic": "info"}
MAX_DENY_LINES = 40  # an nginx snippet longer than this is cut in messages; the dashboard has it whole


@dataclass
class NotifyEvent:
    """Something on-call must hear about one incident, and what the channel was told before."""

    kind: EventKind
    incident: Incident
    previous: dict[str, Any] | None = None  # the snapshot sent last time (verdict, campaign, status)
    results: str | None = None  # a resolved campaign surge: the campaign's visits, leads and cost per lead so far


def snapshot(inc: Incident) -> dict[str, Any]:
    """The part of an incident whose change is worth a message."""
    return {"verdict": inc.verdict, "campaign": inc.campaign, "status": inc.status}


def severity(verdict: str) -> str:
    return SEVERITY.get(verdict, "warning")


@dataclass(frozen=True)
class Note:
    """A message to on-call that is not about an incident (a campaign ahead): its own words and labels.

    ``key`` names what it is about in the state DB, ``sent`` is what it says that, changed, is worth
    a new message; ``ends`` (epoch seconds) is when Alertmanager may let it go; ``page`` the
    dashboard page it links to.
    """

    key: str
    title: str
    lines: tuple[str, ...]
    labels: dict[str, str]
    ends: int
    page: str
    sent: dict[str, Any]

    def body(self, dashboard_url: str | None) -> str:
        link = f"\n\nOn the dashboard: {dashboard_url.rstrip('/')}/{self.page}" if dashboard_url else ""
        return "\n".join(self.lines) + link


def incident_link(dashboard_url: str | None, incident_id: str) -> str | None:
    """The incident on the dashboard's Incidents page, or None without a dashboard URL."""
    if not dashboard_url:
        return None
    return f"{dashboard_url.rstrip('/')}/incidents?incident={quote(incident_id, safe='')}"


def _ratio(inc: Incident) -> str:
    if inc.verdict == "stale":
        return "no data"
    if inc.verdict == "drop":
        return f"traffic down to {inc.peak_rps:.1f} req/s (expected {inc.baseline_rps:.1f})"
    if inc.baseline_rps > 0:
        return f"{inc.peak_rps / inc.baseline_rps:.1f}x traffic"
    return f"{inc.peak_rps:.1f} req/s from nothing"


def _networks(inc: Incident) -> str:
    cidrs = (inc.block or {}).get("cidrs") or []
    return f" from {len(cidrs)} network{'s' if len(cidrs) != 1 else ''}" if cidrs else ""


def _automated_kind(inc: Incident) -> str:
    if any("hit login" in e for e in inc.evidence):
        return "credential stuffing"
    return "automated clients"


def _driver(inc: Incident) -> str:
    """What drives the surge, in a few words."""
    if inc.verdict == "bot":
        return _automated_kind(inc) + _networks(inc)
    if inc.verdict == "mixed":
        who = f"campaign {inc.campaign}" if inc.campaign else "people"
        return f"{who} with {_automated_kind(inc)}{_networks(inc)}"
    if inc.verdict == "campaign":
        return f"campaign {inc.campaign}" if inc.campaign else "an announced campaign"
    if inc.verdict == "organic":
        return (inc.looks_like or "organic traffic").replace("_", " ")
    if inc.verdict == "errors":
        what = str(inc.extra.get("what") or inc.trigger)
        return f"errors on {what}"
    if inc.verdict == "drop":
        return "site silent or logs lost"
    if inc.verdict == "stale":
        return f"collector {inc.trigger} silent for longer than usual"
    return inc.verdict


def title(event: NotifyEvent) -> str:
    """E.g. ``[BOT] shop.example.com: 12.3x traffic, credential stuffing from 312 networks``."""
    inc = event.incident
    head = f"[{inc.verdict.upper()}] {inc.site}: {_ratio(inc)}, {_driver(inc)}"
    if event.kind == "resolved":
        return f"[RESOLVED] {head}"
    if event.kind == "test":
        return f"[TEST] {head}"
    prev = event.previous or {}
    if event.kind == "changed" and prev.get("verdict") and prev["verdict"] != inc.verdict:
        return f"{head} (was {prev['verdict']})"
    return head


def _block_lines(block: dict[str, Any] | None) -> list[str]:
    if not block or not block.get("cidrs"):
        return []
    cidrs, asns = block["cidrs"], block.get("asns") or []
    lines = ["", f"Block suggestion (review before applying): {len(cidrs)} CIDR{'s' if len(cidrs) != 1 else ''}"
             + (f", ASNs {', '.join(asns[:10])}{' and more' if len(asns) > 10 else ''}" if asns else "")]
    snippet = (block.get("nginx") or "").splitlines()
    if len(snippet) > MAX_DENY_LINES + 1:
        more = len(snippet) - MAX_DENY_LINES - 1
        snippet = [*snippet[:MAX_DENY_LINES + 1], f"# ... and {more} more deny lines (whole list on the dashboard)"]
    return lines + snippet


def _when(epoch: int) -> str:
    return iso(epoch).replace("T", " ").replace("Z", " UTC")


def body(event: NotifyEvent, dashboard_url: str | None = None) -> str:
    """Plain text that reads well in an email and in a chat message."""
    inc = event.incident
    prev = event.previous or {}
    lines = [f"Verdict: {inc.verdict} (confidence {inc.confidence:.0%})"
             + (f", was {prev['verdict']}" if prev.get("verdict") and prev["verdict"] != inc.verdict else "")]
    if inc.campaign or prev.get("campaign"):
        lines.append(f"Campaign: {inc.campaign or 'none'}"
                     + (f" (was {prev['campaign']})" if prev and prev.get("campaign") != inc.campaign else ""))
    lines.append(f"Site: {inc.site}, incident {inc.id}")
    if inc.verdict == "drop":
        lines.append(f"Traffic {inc.peak_rps:.1f} req/s against an expected {inc.baseline_rps:.1f} req/s")
    else:
        lines.append(f"Peak {inc.peak_rps:.1f} req/s against a baseline of {inc.baseline_rps:.1f} req/s")
    ended = f", ended {_when(inc.end)}" if inc.status == "closed" else ", still going on"
    lines.append(f"Started {_when(inc.start)}{ended}")
    if event.results:
        lines.append(f"Campaign results so far: {event.results}")
    if inc.evidence:
        lines += ["", "Evidence:", *(f"- {e}" for e in inc.evidence)]
    lines += _block_lines(inc.block if inc.verdict in ("bot", "mixed") else None)
    fb = inc.feedback
    if fb and (fb.verdict or fb.campaign):
        said = ", ".join(x for x in (f"verdict {fb.verdict}" if fb.verdict else "",
                                     f"campaign {fb.campaign}" if fb.campaign else "") if x)
        lines += ["", f"On-call says: {said}" + (f" ({fb.by})" if fb.by else "") + (f": {fb.note}" if fb.note else "")]
    link = incident_link(dashboard_url, inc.id)
    if link:
        lines += ["", f"Open in Surgewatch: {link}"]
    return "\n".join(lines)


def sample_incident(site: str, now: datetime | None = None) -> Incident:
    """A made-up bot incident for ``notify-test``: every part of a message, clearly marked as a test."""
    t = int((now or datetime.now(UTC)).timestamp())
    cidrs = ["198.51.100.0/24", "203.0.113.0/24"]
    return Incident(
        id=f"{site}-notify-test", site=site, start=t - 300, end=t, peak_rps=123.0, baseline_rps=10.0,
        verdict="bot", confidence=0.9, campaign=None,
        evidence=["This is a test notification sent by `surgewatch notify-test`: no incident is going on",
                  "92% of extra automated requests hit login (98% POST), 95% answered 4xx"],
        block={"cidrs": cidrs, "asns": ["AS64496"],
               "nginx": "\n".join(["# Surgewatch block suggestion: review before applying",
                                   *(f"deny {c};" for c in cidrs)])},
        status="open", detected_at=t,
    )
