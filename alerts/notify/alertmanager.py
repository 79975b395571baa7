"""The Prometheus Alertmanager receiver (v2 API).

``POST /api/v2/alerts`` with a list of ``{labels, annotations, startsAt, endsAt, generatorURL}``.
An incident's alert is labelled alertname, site, verdict, severity and incident; a changed
verdict is a new label set, so the alert under the old verdict is resolved in the same post.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx

from alerts.incidents.model import iso
from alerts.notify.channels import ChannelError, mask_url
from alerts.notify.message import Note, NotifyEvent, body, incident_link, severity, title

ALERTNAME = "SurgewatchIncident"
TIMEOUT = 5.0


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
