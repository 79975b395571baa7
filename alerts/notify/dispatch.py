"""Telling on-call: after each detection run, send what changed, once per channel.

A channel hears about an incident when it is **new** (and passes ``verdicts`` and
``min_confidence``, and has gone on for ``hold_seconds``: one that ends sooner is never
told, like a Prometheus rule's ``for``), when its shown verdict or campaign **changed**,
and when it is **resolved**; not at every 10 s update. What each channel was last told is kept in the
state DB, so a restarted worker sends nothing twice, and a channel that failed is simply
behind: its event is sent at the next run. Silences (``StateDB.is_silenced`` on the labels
alertname, site, verdict, severity, incident) withhold an event for good. Alertmanager
also gets open incidents re-posted every ``alertmanager_refresh`` seconds, so its
resolve_timeout does not resolve them while they go on.

Notes that are not about an incident (the reminder ahead of a campaign, ``capacity.reminders``)
go the same way in ``process_notes``: each channel hears a note once, and again only when what
it says changes; silences on its labels withhold it.

A failing channel is retried with backoff (tenacity), then logged under its masked name,
counted, and skipped for the rest of the run; nothing here raises into detection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

import metrics
from alerts.incidents.model import Incident
from alerts.notify.alertmanager import ALERTNAME
from alerts.notify.channels import Channel, ChannelError, build_channels
from alerts.notify.message import Note, NotifyEvent, severity, snapshot

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, state: Any, channels: list[Channel], *, verdicts: Iterable[str] | None = None,
                 min_confidence: float = 0.0, refresh_seconds: int = 120, attempts: int = 3,
                 backoff: float = 0.5, hold_seconds: int = 0) -> None:
        self.state = state
        self.channels = channels
        self.verdicts = set(verdicts) if verdicts is not None else None
        self.min_confidence = min_confidence
        self.hold_seconds = hold_seconds
        self.refresh_seconds = refresh_seconds
        self.attempts = attempts
        self.backoff = backoff
        self._thread: threading.Thread | None = None
        # the campaign's results in one line, for a resolved surge tied to it (set by the worker, which reads them)
        self.results_line: Callable[[Incident], str | None] | None = None

    @classmethod
    def from_settings(cls, settings: Any, state: Any) -> Notifier:
        """From ``NotifySettings``; an unusable URL is logged and counted, the other channels still work."""
        channels, problems = build_channels([u.get_secret_value() for u in settings.urls], settings.alertmanager_url,
                                            settings.dashboard_url)
        for p in problems:
            metrics.ERRORS.labels("notify", "bad_url").inc()
            log.error("%s; fix it in SURGEWATCH_NOTIFY__URLS (the other channels still notify)", p)
        return cls(state, channels, verdicts=settings.verdicts, min_confidence=settings.min_confidence,
                   refresh_seconds=settings.alertmanager_refresh, hold_seconds=settings.hold_seconds)

    # -- deciding ---------------------------------------------------------------------------
    def wanted(self, inc: Incident) -> bool:
        """Whether a new incident is worth telling on-call (verdict and confidence filters)."""
        return (self.verdicts is None or inc.verdict in self.verdicts) and inc.confidence >= self.min_confidence

    def held(self, inc: Incident, now: datetime) -> bool:
        """Whether a new incident is still held back: it has not gone on for ``hold_seconds`` since it was
        detected, or it ended before it had (a blip on-call need never hear of)."""
        if self.hold_seconds <= 0:
            return False
        return inc.status == "closed" or now.timestamp() - inc.detected_at < self.hold_seconds

    def labels(self, inc: Incident) -> dict[str, str]:
        return {"alertname": ALERTNAME, "site": inc.site, "verdict": inc.verdict, "severity": severity(inc.verdict),
                "incident": inc.id}

    def event_for(self, inc: Incident, channel: Channel, now: datetime) -> NotifyEvent | None:
        """What this channel must be told about this incident now, if anything."""
        told = self.state.notification(inc.id, channel.key)
        snap = snapshot(inc)
        if told is None:
            return NotifyEvent("new", inc) if self.wanted(inc) and not self.held(inc, now) else None
        if told["sent"] == snap:
            due = (now - told["sent_at"]).total_seconds() >= self.refresh_seconds
            if channel.refreshes and told["delivered"] and inc.status != "closed" and due:
                return NotifyEvent("refresh", inc, told["sent"])
            return None
        if inc.status != "closed":
            return NotifyEvent("changed", inc, told["sent"])
        return NotifyEvent("resolved", inc, told["sent"], self._results(inc))

    def _results(self, inc: Incident) -> str | None:
        """The campaign's results line for a resolved surge tied to one; None without one or when unreadable."""
        if not inc.campaign or self.results_line is None:
            return None
        try:
            return self.results_line(inc)
        except Exception as exc:  # noqa: BLE001 - the message goes out without the line
            metrics.ERRORS.labels("notify", "campaign_results").inc()
            log.warning("campaign results for incident %s not added to its message: %s", inc.id, exc)
            return None

    def _incidents(self, found: Iterable[Incident | dict[str, Any]]) -> list[Incident]:
        """This run's incidents, plus those told as open that detection no longer returns (closed since)."""
        by_id: dict[str, Incident] = {}
        for inc in found:
            inc = inc if isinstance(inc, Incident) else Incident.from_dict(inc)
            by_id[inc.id] = inc
        for incident_id, channel in self.state.notified_open():
            if incident_id not in by_id:
                stored = self.state.get_incident(incident_id)
                if stored:
                    by_id[incident_id] = Incident.from_dict(stored)
                else:  # deleted from the state DB: nothing left to tell, stop looking for it
                    self.state.record_notification(incident_id, channel, {"status": "closed"}, delivered=False)
        return list(by_id.values())

    # -- sending ----------------------------------------------------------------------------
    def process(self, found: Iterable[Incident | dict[str, Any]], now: datetime | None = None) -> dict[str, int]:
        """Send what changed since the last run; returns counts by outcome. Never raises for a channel."""
        counts = {"sent": 0, "failed": 0, "silenced": 0, "refreshed": 0, "deferred": 0}
        if not self.channels:
            return counts
        now = now or datetime.now(UTC)
        down: set[str] = set()
        for inc in self._incidents(found):
            silenced: bool | None = None
            for ch in self.channels:
                event = self.event_for(inc, ch, now)
                if event is None:
                    continue
                if silenced is None:
                    silenced = self.state.is_silenced(self.labels(inc), now)
                if silenced and event.kind != "refresh":
                    self.state.record_notification(inc.id, ch.key, snapshot(inc), delivered=False, at=now)
                    self._count(ch, "silenced", counts)
                    continue
                if silenced or ch.key in down:
                    counts["deferred"] += 1
                    continue
                if self._deliver(ch, event):
                    self.state.record_notification(inc.id, ch.key, snapshot(inc), at=now)
                    self._count(ch, "refreshed" if event.kind == "refresh" else "sent", counts)
                else:
                    down.add(ch.key)
                    self._count(ch, "failed", counts)
        return counts

    def process_notes(self, notes: Iterable[Note], now: datetime | None = None) -> dict[str, int]:
        """Send each note to every channel not yet told what it says now (kept in the state DB, so a
        restart sends nothing twice); a silence matching its labels withholds it. Never raises for a channel."""
        counts = {"sent": 0, "failed": 0, "silenced": 0, "deferred": 0}
        now = now or datetime.now(UTC)
        down: set[str] = set()
        for note in notes:
            silenced: bool | None = None
            for ch in self.channels:
                told = self.state.reminder(note.key, ch.key)
                if told is not None and told["sent"] == note.sent:
                    continue
                if silenced is None:
                    silenced = self.state.is_silenced(note.labels, now)
                if silenced:
                    self.state.record_reminder(note.key, ch.key, note.sent, delivered=False, at=now)
                    self._count(ch, "silenced", counts)
                elif ch.key in down:
                    counts["deferred"] += 1
                elif self._deliver(ch, note):
                    self.state.record_reminder(note.key, ch.key, note.sent, at=now)
                    self._count(ch, "sent", counts)
                else:
                    down.add(ch.key)
                    self._count(ch, "failed", counts)
        return counts

    def _deliver(self, ch: Channel, event: NotifyEvent | Note) -> bool:
        what = f"note {event.key}" if isinstance(event, Note) else f"{event.kind} of incident {event.incident.id}"
        try:
            for attempt in Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                                    wait=wait_exponential(multiplier=self.backoff, max=8 * self.backoff),
                                    retry=retry_if_exception_type(ChannelError)):
                with attempt:
                    if isinstance(event, Note):
                        ch.send_note(event)
                    else:
                        ch.send(event)
        except ChannelError as exc:
            metrics.ERRORS.labels(f"notify:{ch.kind}", "delivery").inc()
            log.error("notification %s to %s failed after %d attempts: %s; it is sent again at the next run",
                      what, ch.name, self.attempts, exc)
            return False
        except Exception as exc:  # a channel's own bug must not break detection either
            metrics.ERRORS.labels(f"notify:{ch.kind}", type(exc).__name__).inc()
            log.error("notification %s to %s failed: %s: %s", what, ch.name, type(exc).__name__, exc)
            return False
        log.info("notified %s: %s", ch.name, what if isinstance(event, Note) else f"{what} ({event.incident.verdict})")
        return True

    @staticmethod
    def _count(ch: Channel, outcome: str, counts: dict[str, int]) -> None:
        counts[outcome] += 1
        metrics.NOTIFICATIONS.labels(ch.kind, outcome).inc()

    # -- in the worker ----------------------------------------------------------------------
    def submit(self, found: list[Any], now: datetime | None = None) -> bool:
        """Run ``process`` in the background, so a slow channel never holds up detection.

        While the previous run is still sending this one is skipped (returns False): what
        each channel was told is in the state DB, so the next run sends what is still due.
        """
        if not self.channels or (self._thread is not None and self._thread.is_alive()):
            return False

        def run() -> None:
            try:
                self.process(found, now)
            except Exception as exc:  # e.g. the state DB unreadable: logged, counted, tried again next run
                metrics.ERRORS.labels("notify", type(exc).__name__).inc()
                log.error("notifications skipped this run: %s", exc)

        self._thread = threading.Thread(target=run, name="notify", daemon=True)
        self._thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
