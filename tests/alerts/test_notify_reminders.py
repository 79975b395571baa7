"""Campaigns ahead, told to on-call by the worker: by email (real SMTP server) and to a real Alertmanager."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from alerts.notify.alertmanager import AlertmanagerChannel
from alerts.notify.apprise_channel import AppriseChannel
from alerts.notify.dispatch import Notifier
from campaigns.model import parse_campaign
from config import load_settings
from store.base import Point
from store.embedded import EmbeddedStore
from tests.alerts.test_notify_email import mail_url, smtp  # noqa: F401 - smtp is a fixture
from tests.services import Service, alertmanager

DASHBOARD = "https://surgewatch.example.com"


@pytest.fixture
def worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A worker with no collectors on a shop of 10 req/s, one email campaign announced for 2 h from now."""
    from worker import Worker

    monkeypatch.chdir(tmp_path)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    t = int(now.timestamp())
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 100, "bytes": 1},
                      t - 10 * i) for i in range(1, 1080))
    settings = load_settings(site="shop", state={"path": tmp_path / "state.db"}, worker={"metrics_port": 0},
                             dashboard={"timezone": "Europe/Paris"}, notify={"dashboard_url": DASHBOARD},
                             capacity={"rps_per_instance": 5, "instances": 2})
    w = Worker(settings, store=store, collectors=[], clock=lambda: now)
    w.state.upsert_campaign(parse_campaign({
        "name": "Spring Sale", "channel": "email", "site": "shop", "audience": 300_000, "regions": ["FR", "BE"],
        "start": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"), "landing": ["/printemps"]}))
    yield w
    w.state.close()
    store.close()


def test_on_call_gets_one_email_ahead_of_the_campaign_and_another_only_when_it_moves(worker, smtp) -> None:  # noqa: F811
    port, inbox = smtp
    worker.notifier = Notifier(worker.state, [AppriseChannel(mail_url(port), DASHBOARD, min_interval=0)],
                               backoff=0.01)
    worker.remind()
    worker.remind()  # a minute later: nothing new to say
    (subject, text), = inbox.texts()
    assert subject.startswith("[CAMPAIGN AHEAD] shop: Spring Sale at ") and ", scale from 2 to " in subject
    assert "Email campaign to 300,000 recipients in FR, BE" in text and "(Europe/Paris, in 120 min)" in text
    assert "not an attack" in text and f"{DASHBOARD}/capacity?campaign=spring-sale" in text
    # Marketing moves the send by half an hour: the plan's times change, so on-call hears it again.
    c = worker.state.get_campaign("spring-sale")
    worker.state.upsert_campaign(c.model_copy(update={"start": c.start + timedelta(minutes=30)}))
    worker.remind()
    assert len(inbox.texts()) == 2 and "in 150 min" in inbox.texts()[1][1]
    # A restarted worker (a new notifier on the same state DB) sends nothing twice.
    worker.notifier = Notifier(worker.state, [AppriseChannel(mail_url(port), DASHBOARD, min_interval=0)])
    worker.remind()
    assert len(inbox.texts()) == 2


def test_a_silence_on_campaign_reminders_withholds_them(worker, smtp) -> None:  # noqa: F811
    port, inbox = smtp
    now = worker.clock()
    worker.state.add_silence({"alertname": "SurgewatchCampaignAhead"}, now - timedelta(minutes=1),
                             now + timedelta(hours=4), user="lena", comment="we know about the spring sale")
    worker.notifier = Notifier(worker.state, [AppriseChannel(mail_url(port), DASHBOARD, min_interval=0)])
    worker.remind()
    assert inbox.texts() == []
    assert worker.state.reminder("campaign:spring-sale", worker.notifier.channels[0].key)["delivered"] is False


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = alertmanager(tmp_path_factory.mktemp("alertmanager-reminders"))
    yield svc
    svc.stop()


def test_alertmanager_gets_an_info_alert_until_two_hours_after_the_start(worker, am: Service) -> None:
    worker.notifier = Notifier(worker.state, [AlertmanagerChannel(am.url, DASHBOARD)], backoff=0.01)
    worker.remind()
    r = httpx.get(f"{am.url}/api/v2/alerts", params={"filter": 'alertname="SurgewatchCampaignAhead"'}, timeout=5)
    (alert,) = r.json()
    assert alert["labels"] == {"alertname": "SurgewatchCampaignAhead", "site": "shop", "campaign": "spring-sale",
                               "severity": "info"}
    assert alert["annotations"]["summary"].startswith("[CAMPAIGN AHEAD] shop: Spring Sale")
    assert alert["annotations"]["dashboard"] == f"{DASHBOARD}/capacity?campaign=spring-sale"
    ends = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
    assert ends == worker.state.get_campaign("spring-sale").start + timedelta(hours=2)
