"""Incidents posted to a real Prometheus Alertmanager (v2 API): fired, kept alive, re-labelled, resolved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from alerts.incidents.model import Incident
from alerts.notify.alertmanager import AlertmanagerChannel
from alerts.notify.dispatch import Notifier
from config import NotifySettings
from store.state import StateDB
from tests.services import Service, alertmanager

DASHBOARD = "https://surgewatch.example.com"


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = alertmanager(tmp_path_factory.mktemp("alertmanager"))
    yield svc
    svc.stop()


def incident(incident_id: str, verdict: str = "bot", status: str = "open") -> Incident:
    now = int(time.time())
    return Incident(
        id=incident_id, site="shop.example.com", start=now - 600, end=now - 10, peak_rps=80.0, baseline_rps=10.0,
        verdict=verdict, confidence=0.9, campaign="Spring sale" if verdict == "mixed" else None,
        evidence=["Total 80.0 req/s against a baseline of 10.0 req/s (8.0x)"],
        block={"cidrs": ["198.51.100.0/24"], "asns": ["AS64496"],
               "nginx": "# Surgewatch block suggestion: review before applying\ndeny 198.51.100.0/24;"},
        status=status,
    )


def active(am: Service, incident_id: str) -> list[dict]:
    r = httpx.get(f"{am.url}/api/v2/alerts", params={"filter": f'incident="{incident_id}"', "active": "true"},
                  timeout=5)
    r.raise_for_status()
    return [a for a in r.json() if a["status"]["state"] == "active"]


def wait_for(predicate, timeout: float = 5.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def notifier(am: Service, state: StateDB) -> Notifier:
    settings = NotifySettings(alertmanager_url=am.url, dashboard_url=DASHBOARD, alertmanager_refresh=60)
    n = Notifier.from_settings(settings, state)
    n.backoff = 0.01
    return n


def test_new_incident_fires_an_alert_with_labels_and_annotations(am, state) -> None:
    n = notifier(am, state)
    assert n.process([incident("shop-a")])["sent"] == 1
    assert wait_for(lambda: len(active(am, "shop-a")) == 1)
    alert = active(am, "shop-a")[0]
    assert alert["labels"] == {"alertname": "SurgewatchIncident", "site": "shop.example.com", "verdict": "bot",
                               "severity": "critical", "incident": "shop-a"}
    ann = alert["annotations"]
    assert ann["summary"] == "[BOT] shop.example.com: 8.0x traffic, automated clients from 1 network"
    assert "deny 198.51.100.0/24;" in ann["description"]
    assert ann["dashboard"] == ann["runbook_url"] == f"{DASHBOARD}/incidents?incident=shop-a"
    assert alert["generatorURL"] == f"{DASHBOARD}/incidents?incident=shop-a"


def test_changed_verdict_replaces_the_alert_and_resolving_ends_it(am, state) -> None:
    n = notifier(am, state)
    n.process([incident("shop-b", "bot")])
    n.process([incident("shop-b", "mixed")])
    assert wait_for(lambda: [a["labels"]["verdict"] for a in active(am, "shop-b")] == ["mixed"])
    assert active(am, "shop-b")[0]["labels"]["severity"] == "warning"
    n.process([incident("shop-b", "mixed", status="closed")])
    assert wait_for(lambda: active(am, "shop-b") == [])
    every = httpx.get(f"{am.url}/api/v2/alerts", params={"filter": 'incident="shop-b"'}, timeout=5).json()
    assert all(datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00")) <= datetime.now(UTC) for a in every)


def test_open_incident_is_reposted_every_refresh_interval_and_not_in_between(am, state) -> None:
    n = notifier(am, state)
    now = datetime.now(UTC)
    assert n.process([incident("shop-c")], now)["sent"] == 1
    assert n.process([incident("shop-c")], now + timedelta(seconds=30))["refreshed"] == 0
    assert n.process([incident("shop-c")], now + timedelta(seconds=61))["refreshed"] == 1
    assert n.process([incident("shop-c")], now + timedelta(seconds=90))["refreshed"] == 0
    assert wait_for(lambda: len(active(am, "shop-c")) == 1)


def test_alertmanager_down_keeps_the_alert_to_post_at_the_next_run(tmp_path: Path, state) -> None:
    svc = alertmanager(tmp_path / "am")
    url = svc.url
    svc.stop()
    n = Notifier(state, [AlertmanagerChannel(url, DASHBOARD)], backoff=0.01)
    assert n.process([incident("shop-d")])["failed"] == 1
    svc.start()
    try:
        assert n.process([incident("shop-d")])["sent"] == 1
        assert wait_for(lambda: len(active(svc, "shop-d")) == 1)
    finally:
        svc.stop()
