"""Replay the worker's live detection over stored traffic on a simulated clock.

``replay`` steps a clock through a stored range every ``step`` seconds on the worker's
schedule (just after each bucket boundary), runs the very job the worker runs
(``alerts.live.run_detection``, with the time-of-day profile from the history before each
window) and passes what it found to the real ``Notifier`` with a recording channel. What
on-call would have seen comes back in time order: when each incident opened and closed,
each verdict it showed, and each notification (new, changed, resolved). Users backtest
their settings (sensitivity, minimum volume, notification hold and filters) on a past log
with it; ``bench/detection.py`` measures live delays with it.

Running the live job every 10 s over a day of logs is 8,640 runs of a six-hour analysis, so the
clock steps every ``step`` seconds where anything can happen and every ``QUIET_STEP`` elsewhere:
a whole-range pass of the same detectors (every rise and drop of the total and of each slice,
before any volume guard) marks the candidate windows, and the clock keeps the fine step for as
long as an incident is open, so a rise the live job opens is followed to its close.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.detection.buckets import load_traffic, sites
from alerts.detection.detect import DetectorConfig
from alerts.detection.seasonal_history import ProfileCache
from alerts.detection.slices import TOTAL, find_surges
from alerts.live import BLIP_GRACE, first_detection, run_detection
from alerts.notify.dispatch import Notifier
from alerts.notify.message import Note, NotifyEvent
from store.base import TimeSeriesStore

QUIET_STEP = 300   # seconds between runs outside the candidate windows
LEAD = 120         # a window opens this long before its rise or drop starts
AFTER = BLIP_GRACE + 300  # and closes once the live job has seen it end (an open incident keeps the fine step)


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
           progress: Callable[[int, int], None] | None = None,
           profiles: ProfileCache | None | bool = True) -> list[Seen]:
    """Run the live job every ``step`` seconds from ``start`` to ``end`` (epoch seconds); what on-call saw.

    ``state`` is a state DB (``store.state.StateDB``) holding the campaigns; incidents and
    notification records are written to it as the worker would. ``notifier`` brings the
    notification settings (hold, verdicts, confidence); its channels are replaced by a recorder.
    ``profiles``: the time-of-day profiles from the history before each window, as the worker
    reads them (True), given, or none (False: the total judged against its recent level only).
    """
    channel = RecordingChannel()
    notifier = notifier or Notifier(state, [])
    notifier.state, notifier.channels, notifier.attempts = state, [channel], 1
    if profiles is True:
        profiles = ProfileCache()
    seen: dict[str, Seen] = {}
    windows = candidate_windows(store, start, end, detector)
    now = int(first_detection(start, step))
    total = max(1, (end - now) // step + 1)
    while now <= end:
        found = run_detection(store, state, now, profiles=profiles or None, detector=detector)
        channel.now = now
        notifier.process(found, datetime.fromtimestamp(now, UTC))
        for inc in found:
            _observe(seen, inc, now)
        busy = any(inc.status != "closed" for inc in found)
        now = _next(now, step, busy, windows)
        if progress is not None:
            progress(min(total, max(1, (now - start) // step)), total)
    for at, incident_id, kind in channel.sent:
        if incident_id in seen:
            seen[incident_id].notified.append({"at": at, "kind": kind})
    return sorted(seen.values(), key=lambda s: (s.opened_at, s.id))


def candidate_windows(store: TimeSeriesStore, start: int, end: int,
                      detector: DetectorConfig = TOTAL) -> list[tuple[int, int]]:
    """Spans of [start, end] where the live job may find something: around every rise and drop the
    detectors see in one pass over the whole range (of every site, the total and each slice)."""
    spans: list[tuple[int, int]] = []
    for site in sites(store):
        found = find_surges(load_traffic(store, site, start - 6 * 3600, end), total_detector=detector)
        spans += [(s.start - LEAD, s.end + AFTER) for s in (*found.surges, *found.outages)]
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _next(now: int, step: int, busy: bool, windows: list[tuple[int, int]]) -> int:
    """The next run: one step on while an incident is open or inside a window, else a quiet step
    (never past the start of the next window, and on the same schedule)."""
    nxt = now + step
    if busy or any(a <= nxt <= b for a, b in windows):
        return nxt
    quiet = now + max(step, QUIET_STEP // step * step)
    ahead = [a for a, _ in windows if nxt < a <= quiet]
    if ahead:
        return now + max(step, (ahead[0] - now) // step * step)
    return quiet


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
