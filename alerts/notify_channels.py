"""Where notifications go: Apprise URLs (email, Slack, Teams, webhooks…) and Prometheus Alertmanager.

A channel sends one event or raises ``ChannelError`` with a reason fit for a log: its
``name`` is the URL with secrets masked, and no message of ours ever holds the secret URL.
Its ``key`` is a stable id for the state DB (a hash for Apprise URLs, which hold tokens).

Alertmanager gets the v2 API: ``POST /api/v2/alerts`` with a list of
``{labels, annotations, startsAt, endsAt, generatorURL}``. An incident's alert is labelled
alertname, site, verdict, severity and incident; a changed verdict is a new label set, so
the alert under the old verdict is resolved in the same post.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from alerts.incidents import iso
from alerts.notify_message import Note, NotifyEvent, body, incident_link, severity, title

ALERTNAME = "SurgewatchIncident"
TIMEOUT = 5.0


class ChannelError(RuntimeError):
    """A channel could not deliver; the message says why (without secrets)."""


class Channel(Protocol):
    key: str    # stable id, stored in the state DB
    kind: str   # metrics label: the Apprise scheme or "alertmanager"
    name: str   # for logs: the URL with secrets masked
    refreshes: bool  # open incidents must be re-sent every so often (Alertmanager)

    def send(self, event: NotifyEvent) -> None:
        """Deliver the event or raise ChannelError."""

    def send_note(self, note: Note) -> None:
        """Deliver a message that is not about an incident (a campaign ahead) or raise ChannelError."""


def mask_url(url: str) -> str:
    """The URL with its password, path and query hidden: safe to log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}:****@" if parts.password else ("****@" if parts.username else "")
        return urlunsplit((parts.scheme, user + host, "/…" if parts.path.strip("/") else "", "", ""))
    except ValueError:
        return "<unparsable URL>"


class AppriseChannel:
    """One Apprise URL (``mailto://``, ``slack://``, ``msteams://``, ``json://``…)."""

    refreshes = False

    def __init__(self, url: str, dashboard_url: str | None = None, min_interval: float | None = None) -> None:
        """``min_interval``: seconds between two sends to this URL (default: Apprise's own for the service)."""
        import apprise

        self._apprise = apprise.Apprise()
        quiet = logging.getLogger("apprise")
        was, quiet.disabled = quiet.disabled, True  # Apprise logs a URL it cannot parse whole, secrets and all
        try:
            plugin = apprise.Apprise.instantiate(url)
        finally:
            quiet.disabled = was
        self.kind = url.split("://", 1)[0].lower() if "://" in url else "unknown"
        if plugin is None:
            raise ChannelError(f"{self.kind}://… (rest hidden, it may hold a token): not a URL Apprise knows; "
                               "see the Apprise wiki for your service's URL "
                               "(e.g. mailtos://user:pass@smtp.example.com?to=oncall@example.com)")
        self.name = plugin.url(privacy=True) or mask_url(url)
        if min_interval is not None:
            plugin.request_rate_per_sec = min_interval  # Apprise's name; it holds seconds between requests
        self._apprise.add(plugin)
        self.key = "apprise:" + hashlib.sha256(url.encode()).hexdigest()[:16]
        self.dashboard_url = dashboard_url

    def send(self, event: NotifyEvent) -> None:
        self._notify(title(event), body(event, self.dashboard_url))

    def send_note(self, note: Note) -> None:
        self._notify(note.title, note.body(self.dashboard_url))

    def _notify(self, title: str, body: str) -> None:
        import apprise

        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = self._apprise.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        if not ok:
            reason = " / ".join(ln.split(" - ", 2)[-1] for ln in captured.getvalue().splitlines() if ln.strip())
            raise ChannelError(reason or "the service did not accept the notification")


class AlertmanagerChannel:
    """Prometheus Alertmanager's v2 API."""

    kind = "alertmanager"
    refreshes = True

    def __init__(self, url: str, dashboard_url: str | None = None, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.name = mask_url(self.url)
        self.key = "alertmanager:" + hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.dashboard_url = dashboard_url
        self._client = client or httpx.Client(timeout=TIMEOUT)

    def alerts(self, event: NotifyEvent, now: datetime | None = None) -> list[dict[str, Any]]:
        """The v2 alerts to post for an event (the old verdict's alert resolved when the verdict changed)."""
        inc = event.incident
        now_ts = int((now or datetime.now(UTC)).timestamp())
        link = incident_link(self.dashboard_url, inc.id)
        alert: dict[str, Any] = {
            "labels": self.labels(inc.site, inc.verdict, inc.id),
            "annotations": {"summary": title(event), "description": body(event, self.dashboard_url)},
            "startsAt": iso(inc.start),
        }
        if link:
            alert["annotations"]["dashboard"] = alert["annotations"]["runbook_url"] = link
            alert["generatorURL"] = link
        if inc.status == "closed":
            alert["endsAt"] = iso(max(inc.start + 1, min(inc.end, now_ts)))
        elif event.kind == "test":
            alert["endsAt"] = iso(now_ts + 300)
        out = [alert]
        old = (event.previous or {}).get("verdict")
        if old and old != inc.verdict:
            out.insert(0, {"labels": self.labels(inc.site, old, inc.id), "startsAt": iso(inc.start),
                           "endsAt": iso(max(inc.start + 1, now_ts)),
                           "annotations": {"summary": f"{inc.id}: verdict changed to {inc.verdict}"}})
        return out

    @staticmethod
    def labels(site: str, verdict: str, incident_id: str) -> dict[str, str]:
        return {"alertname": ALERTNAME, "site": site, "verdict": verdict, "severity": severity(verdict),
                "incident": incident_id}

    def send(self, event: NotifyEvent) -> None:
        self._post(self.alerts(event))

    def send_note(self, note: Note, now: datetime | None = None) -> None:
        """The note as an alert of its own labels, from now until ``note.ends``."""
        alert: dict[str, Any] = {"labels": note.labels, "startsAt": iso(int((now or datetime.now(UTC)).timestamp())),
                                 "endsAt": iso(note.ends),
                                 "annotations": {"summary": note.title, "description": note.body(self.dashboard_url)}}
        if self.dashboard_url:
            alert["annotations"]["dashboard"] = f"{self.dashboard_url.rstrip('/')}/{note.page}"
        self._post([alert])

    def _post(self, alerts: list[dict[str, Any]]) -> None:
        try:
            r = self._client.post(f"{self.url}/api/v2/alerts", json=alerts)
        except httpx.HTTPError as exc:
            raise ChannelError(f"cannot reach Alertmanager: {type(exc).__name__}: {exc}") from None
        if r.status_code >= 300:
            raise ChannelError(f"Alertmanager answered {r.status_code}: {r.text[:200]}")

    def close(self) -> None:
        self._client.close()


def build_channels(urls: list[str], alertmanager_url: str | None,
                   dashboard_url: str | None = None) -> tuple[list[Channel], list[str]]:
    """The configured channels, and a message for each URL that cannot be used (the rest still work)."""
    channels: list[Channel] = []
    problems: list[str] = []
    for i, url in enumerate(urls, 1):
        try:
            channels.append(AppriseChannel(url, dashboard_url))
        except ChannelError as exc:
            problems.append(f"notify.urls entry {i}: {exc}")
    if alertmanager_url:
        channels.append(AlertmanagerChannel(alertmanager_url, dashboard_url))
    return channels, problems
