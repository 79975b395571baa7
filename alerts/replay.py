"""Replay the worker's live detection over stored traffic on a simulated clock.

``replay`` steps a clock through a stored range every ``step`` seconds on the worker's
schedule (just after each bucket boundary), runs the very job the worker runs
(``alerts.live.run_detection``, with the time-of-day profile from the history before each
window) and passes what it found to the real ``Notifier`` with a recording channel. What
on-call would have seen comes back in time order: when each incident opened and closed,
each verdict it showed, and each notification (new, changed, resolved). Users backtest
their settings (sensitivity, minimum volume, notification hold and filters) on a past log
with it; ``bench/detection.py`` measures live delays with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.detection.detect import DetectorConfig
from alerts.detection.seasonal_history import ProfileCache
from alerts.detection.slices import TOTAL
from alerts.live import first_detection, run_detection
from alerts.notify.dispatch import Notifier
from alerts.notify.message import Note, NotifyEvent
from store.base import TimeSeriesStore


def iso_z(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Seen:
    """One incident as on-call saw it over the replay."""

    id: str
    opened_at: int
    closed_at: int | None = None
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    notified: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "opened_at": iso_z(self.opened_at),
                "closed_at": iso_z(self.closed_at) if self.closed_at is not None else None,
                "verdicts": [{**v, "at": iso_z(v["at"])} for v in self.verdicts],
                "notified": [{**n, "at": iso_z(n["at"])} for n in self.notified]}


class RecordingChannel:
    """A notification channel that keeps what it was asked to send, with the simulated time."""

    key = "replay"
    kind = "replay"
    name = "replay"
    refreshes = False

    def __init__(self) -> None:
        self.now = 0
        self.sent: list[tuple[int, str, str]] = []  # (at, incident id, kind)

    def send(self, event: NotifyEvent) -> None:
        self.sent.append((self.now, event.incident.id, event.kind))

    def send_note(self, note: Note) -> None:  # campaign reminders are not replayed
        pass


def replay(store: TimeSeriesStore, state: Any, start: int, end: int, *, step: int = 10,
           detector: DetectorConfig = TOTAL, notifier: Notifier | None = None,
           progress: Callable[[int, int], None] | None = None) -> list[Seen]:
    """Run the live job every ``step`` seconds from ``start`` to ``end`` (epoch seconds); what on-call saw.

    ``state`` is a state DB (``store.state.StateDB``) holding the campaigns; incidents and
    notification records are written to it as the worker would. ``notifier`` brings the
    notification settings (hold, verdicts, confidence); its channels are replaced by a recorder.
    """
    channel = RecordingChannel()
    notifier = notifier or Notifier(state, [])
    notifier.state, notifier.channels, notifier.attempts = state, [channel], 1
    profiles = ProfileCache()
    seen: dict[str, Seen] = {}
    now = int(first_detection(start, step))
    total = max(1, (end - now) // step + 1)
    done = 0
    while now <= end:
        found = run_detection(store, state, now, profiles=profiles, detector=detector)
        channel.now = now
        notifier.process(found, datetime.fromtimestamp(now, UTC))
        for inc in found:
            _observe(seen, inc, now)
        done += 1
        if progress is not None and (done % 30 == 0 or now + step > end):
            progress(done, total)
        now += step
    for at, incident_id, kind in channel.sent:
        if incident_id in seen:
            seen[incident_id].notified.append({"at": at, "kind": kind})
    return sorted(seen.values(), key=lambda s: (s.opened_at, s.id))


def _observe(seen: dict[str, Seen], inc: Any, now: int) -> None:
    s = seen.get(inc.id)
    if s is None:
        s = seen[inc.id] = Seen(inc.id, now)
    shown = {"verdict": inc.verdict, "confidence": round(float(inc.confidence), 2), "campaign": inc.campaign}
    last = s.verdicts[-1] if s.verdicts else None
    if last is None or (last["verdict"], last["campaign"]) != (shown["verdict"], shown["campaign"]):
        s.verdicts.append({"at": now, **shown})
    if inc.status == "closed" and s.closed_at is None:
        s.closed_at = now
    elif inc.status != "closed":
        s.closed_at = None
