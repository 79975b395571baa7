"""``stale`` incidents: a real tail goes silent, one incident is raised, updated, and resolved when data flows."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from alerts.incidents.stale import STALE, check_stale, stale_id
from alerts.live import run_detection
from collectors.accesslog import AccessLogTail
from collectors.status import StatusRecorder
from config import Settings
from store import collector_status as cs
from store.base import Point
from tests.collectors import tailing
from tests.collectors.tailing import append, new_tail
from worker import Worker

parts = tailing.parts  # the fixture: a fresh store and state DB


def _flow(tail: AccessLogTail, log: Path, rec: StatusRecorder, t0: float, polls: int) -> float:
    t = t0
    for i in range(polls):
        append(log, 2)
        t = t0 + 2 * i
        rec.observe(tail, tail.poll(), t)
    return t


def _idle(tail: AccessLogTail, rec: StatusRecorder, t0: float, t1: float) -> None:
    """Polls that read nothing from ``t0`` to ``t1``, every 10 s, as the worker keeps polling a silent file."""
    t = t0
    while t <= t1:
        rec.observe(tail, tail.poll(), t)
        t += 10


def test_a_silent_collector_raises_one_stale_incident_and_resolves_when_data_flows(tmp_path: Path, parts) -> None:
    store, state = parts
    tail, log = new_tail(tmp_path, store, state)
    rec = StatusRecorder(state)
    last = _flow(tail, log, rec, 10_000.0, 30)
    _idle(tail, rec, last + 2, last + 100)
    assert check_stale(state, last + 100) == []
    _idle(tail, rec, last + 110, last + cs.STALE_FLOOR + 10)
    first = check_stale(state, last + cs.STALE_FLOOR + 10)
    assert [i.verdict for i in first] == [STALE] and first[0].status == "open"
    assert "accesslog:web1" in first[0].evidence[0] and first[0].site == "shop"
    for t in range(int(last) + 140, int(last) + 410, 10):  # detection every 10 s while the file stays silent
        _idle(tail, rec, t, t)
        again = check_stale(state, t)
        assert [i.id for i in again] in ([], [first[0].id])  # the same silence, the same incident
    history = state.incident_history(first[0].id)
    assert 4 <= len(history) <= 6  # stored again once a minute, not at every run
    append(log, 3)
    rec.observe(tail, tail.poll(), last + 500)
    resolved = check_stale(state, last + 501)
    assert [(i.id, i.status) for i in resolved] == [(first[0].id, "closed")]
    assert "Data flows again" in resolved[0].evidence[-1]
    stored = [d for d in state.list_incidents() if d["verdict"] == STALE]
    assert len(stored) == 1 and stored[0]["status"] == "closed" and stored[0]["end"] == int(last + 500)
    assert check_stale(state, last + 510) == []


def test_a_stale_collector_the_worker_no_longer_runs_is_closed(tmp_path: Path, parts) -> None:
    store, state = parts
    tail, log = new_tail(tmp_path, store, state)
    rec = StatusRecorder(state)
    last = _flow(tail, log, rec, 10_000.0, 30)
    _idle(tail, rec, last + 2, last + 200)
    assert [i.status for i in check_stale(state, last + 200)] == ["open"]
    # removed from the configuration: the worker stops refreshing its row
    (closed,) = check_stale(state, last + 200 + cs.REPORT_TIMEOUT + 10)
    assert closed.status == "closed" and "no longer reports" in closed.evidence[-1]
    assert cs.view(cs.get_status(state, "accesslog:web1"), last + 600)["state"] == "not reporting"


def test_the_worker_records_status_and_raises_stale_through_its_incident_sink(tmp_path: Path, parts) -> None:
    store, state = parts
    tail, log = new_tail(tmp_path, store, state)
    clock = {"t": datetime.now(UTC).timestamp()}
    w = Worker(Settings(site="shop"), store=store, state=state, collectors=[tail],
               clock=lambda: datetime.fromtimestamp(clock["t"], UTC))
    for _ in range(25):
        append(log, 4)
        w.poll_collectors()
        clock["t"] += 2
    row = cs.get_status(state, "accesslog:web1")
    assert row["parsed"] == 100 and row["gaps"]["seen"] == 24
    assert cs.get_status(state, cs.STORE_ROW)["reachable"] is True
    clock["t"] += 600
    w.poll_collectors()  # nothing new
    w.detect()
    stale = [d for d in state.list_incidents(status="open") if d["verdict"] == STALE]
    assert len(stale) == 1 and stale[0]["extra"]["collector"] == "accesslog:web1"
    w.stop()


def test_surge_detection_leaves_an_open_stale_incident_alone(parts) -> None:
    store, state = parts
    now = int(time.time()) // 10 * 10
    store.write(Point("http", {"site": "shop", "source": "web2", "actor": "human"}, {"requests": 50, "bytes": 1},
                      now - 10 * i) for i in range(1, 720))
    start = now - 1800
    # Last updated 10 minutes ago (the worker was stopped meanwhile): a surge incident this old would be closed.
    state.upsert({"id": stale_id("shop", "accesslog:web1", start), "site": "shop", "start": start, "end": now - 600,
                  "peak_rps": 0.0, "baseline_rps": 0.0, "verdict": STALE, "confidence": 0.9, "campaign": None,
                  "evidence": ["No data from accesslog:web1"], "status": "open",
                  "extra": {"collector": "accesslog:web1"}})
    run_detection(store, state, now, profiles=None)
    (inc,) = [d for d in state.list_incidents() if d["verdict"] == STALE]
    assert inc["status"] == "open"  # not closed as an unseen surge: only its collector's data closes it
