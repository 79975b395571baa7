"""Notifications by email through Apprise to a real SMTP server (aiosmtpd), and a channel that is down."""

from __future__ import annotations

import email
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr

import metrics
from alerts.incidents.model import Incident
from alerts.notify.apprise_channel import AppriseChannel
from alerts.notify.dispatch import Notifier
from config import NotifySettings, load_settings
from store.state import StateDB
from tests.services import free_port

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
T = int(NOW.timestamp())
DASHBOARD = "https://surgewatch.example.com"
NGINX = "# Surgewatch block suggestion: review before applying\ndeny 198.51.100.0/24;\ndeny 203.0.113.0/24;"


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def texts(self) -> list[tuple[str, str]]:
        return [(str(m["Subject"]), m.get_payload(decode=True).decode() if not m.is_multipart()
                 else m.get_payload(0).get_payload(decode=True).decode()) for m in self.messages]


def accept_login(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    """The test server takes the configured login (plain SMTP on loopback, no TLS)."""
    return AuthResult(success=auth_data.login == b"oncall" and auth_data.password == b"s3cretpw")


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=accept_login,
                            auth_require_tls=False)
    controller.start()
    return controller, inbox


def mail_url(port: int) -> str:
    return f"mailto://oncall:s3cretpw@127.0.0.1:{port}?from=surgewatch@example.com&to=oncall@example.com"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    controller, inbox = smtp_server(port)
    yield port, inbox
    controller.stop()


def bot_incident(verdict: str = "bot", status: str = "open", confidence: float = 0.93) -> Incident:
    return Incident(
        id="shop.example.com-20260302T134000Z", site="shop.example.com", start=T - 1200, end=T - 10,
        peak_rps=123.0, baseline_rps=10.0, verdict=verdict, confidence=confidence, campaign=None,
        evidence=["Total 123.0 req/s against a baseline of 10.0 req/s (12.3x)",
                  "91% of extra automated requests hit login (99% POST), 96% answered 4xx"],
        block={"cidrs": ["198.51.100.0/24", "203.0.113.0/24"], "asns": ["AS64496"], "nginx": NGINX}
        if verdict in ("bot", "mixed") else None,
        status=status,
    )


def notifier(state: StateDB, port: int, **kw) -> Notifier:  # noqa: ANN003
    """The notifier on one mail channel; the test server takes mail at any rate, so no pause between sends."""
    return Notifier(state, [AppriseChannel(mail_url(port), DASHBOARD, min_interval=0)], backoff=0.01, **kw)


def test_new_bot_incident_sends_one_email_with_verdict_evidence_and_nginx_snippet(smtp, state) -> None:
    port, inbox = smtp
    n = notifier(state, port)
    assert n.process([bot_incident()], NOW)["sent"] == 1
    for later in (10, 20, 30):  # the next runs, same verdict: nothing
        assert n.process([bot_incident()], NOW + timedelta(seconds=later))["sent"] == 0
    assert len(inbox.messages) == 1
    subject, text = inbox.texts()[0]
    assert subject == "[BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks"
    assert "Verdict: bot (confidence 93%)" in text
    assert "- 91% of extra automated requests hit login (99% POST), 96% answered 4xx" in text
    assert "deny 198.51.100.0/24;\ndeny 203.0.113.0/24;" in text.replace("\r\n", "\n")
    assert ("Open in Surgewatch: https://surgewatch.example.com/incidents?incident=shop.example.com-20260302T134000Z"
            in text)


def test_verdict_change_sends_one_email_and_closing_sends_resolved(smtp, state) -> None:
    port, inbox = smtp
    n = notifier(state, port)
    n.process([bot_incident("organic", confidence=0.6)], NOW)
    n.process([bot_incident("bot")], NOW + timedelta(seconds=10))
    n.process([bot_incident("bot")], NOW + timedelta(seconds=20))
    n.process([bot_incident("bot", status="closed")], NOW + timedelta(seconds=30))
    n.process([bot_incident("bot", status="closed")], NOW + timedelta(seconds=40))
    subjects = [s for s, _ in inbox.texts()]
    assert subjects == [
        "[ORGANIC] shop.example.com: 12.3x traffic, organic traffic",
        "[BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks (was organic)",
        "[RESOLVED] [BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks",
    ]
    assert "Verdict: bot (confidence 93%), was organic" in inbox.texts()[1][1]
    assert "ended 2026-03-02 13:59:50 UTC" in inbox.texts()[2][1]


def test_incident_that_drops_out_of_detection_is_resolved_from_the_state_db(smtp, state) -> None:
    port, inbox = smtp
    n = notifier(state, port)
    n.process([bot_incident()], NOW)
    state.upsert(bot_incident(status="closed").to_dict())  # closed by another path, no longer returned
    assert n.process([], NOW + timedelta(seconds=10))["sent"] == 1
    assert inbox.texts()[-1][0].startswith("[RESOLVED] [BOT]")


def test_incident_gone_from_the_state_db_is_no_longer_followed(smtp, state) -> None:
    port, inbox = smtp
    n = notifier(state, port)
    n.process([bot_incident("bot", confidence=0.9)], NOW)  # told, but not in the state DB (e.g. deleted)
    assert state.notified_open()
    assert n.process([], NOW + timedelta(seconds=10))["sent"] == 0
    assert state.notified_open() == [] and len(inbox.messages) == 1


def test_silence_matching_the_site_withholds_the_email(smtp, state) -> None:
    port, inbox = smtp
    state.add_silence({"site": "shop.example.com"}, NOW - timedelta(minutes=5), NOW + timedelta(hours=1),
                      user="alice", comment="load test")
    n = notifier(state, port)
    assert n.process([bot_incident()], NOW)["silenced"] == 1
    assert n.process([bot_incident()], NOW + timedelta(seconds=10)) == {
        "sent": 0, "failed": 0, "silenced": 0, "refreshed": 0, "deferred": 0}
    assert inbox.messages == []
    n.process([bot_incident(status="closed")], NOW + timedelta(hours=2))  # silence over: the end is news
    assert [s for s, _ in inbox.texts()] == [
        "[RESOLVED] [BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks"]


def test_restarted_notifier_on_the_same_state_db_resends_nothing(smtp, tmp_path: Path) -> None:
    port, inbox = smtp
    first = StateDB(tmp_path / "state.db")
    notifier(first, port).process([bot_incident()], NOW)
    first.close()
    again = StateDB(tmp_path / "state.db")
    try:
        assert notifier(again, port).process([bot_incident()], NOW + timedelta(seconds=10))["sent"] == 0
    finally:
        again.close()
    assert len(inbox.messages) == 1


def test_verdict_and_confidence_filters_hold_back_new_incidents_only(smtp, state) -> None:
    port, inbox = smtp
    n = notifier(state, port, verdicts=["bot", "mixed"], min_confidence=0.8)
    n.process([bot_incident("organic", confidence=0.9)], NOW)
    n.process([bot_incident("bot", confidence=0.5)], NOW + timedelta(seconds=10))
    assert inbox.messages == []
    n.process([bot_incident("bot", confidence=0.9)], NOW + timedelta(seconds=20))
    n.process([bot_incident("campaign", confidence=0.9)], NOW + timedelta(seconds=30))  # told: bot → campaign
    subjects = [s for s, _ in inbox.texts()]
    assert subjects[0].startswith("[BOT]") and subjects[1].startswith("[CAMPAIGN]") and len(subjects) == 2


def test_a_hold_tells_an_incident_once_it_has_gone_on_and_never_a_blip_that_ended_sooner(smtp, state) -> None:
    port, inbox = smtp
    n = notifier(state, port, hold_seconds=60)
    lasting = replace(bot_incident(), detected_at=int(NOW.timestamp()))
    blip = replace(bot_incident("campaign"), id="shop.example.com-20260302T135500Z", detected_at=int(NOW.timestamp()))
    assert n.process([lasting, blip], NOW + timedelta(seconds=50))["sent"] == 0, "both still held"
    closed = replace(blip, status="closed")
    assert n.process([lasting, closed], NOW + timedelta(seconds=60))["sent"] == 1
    n.process([lasting, closed], NOW + timedelta(seconds=70))
    n.process([replace(lasting, status="closed")], NOW + timedelta(seconds=80))
    assert [s for s, _ in inbox.texts()] == [
        "[BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks",
        "[RESOLVED] [BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks",
    ], "the blip ended within the hold: neither new nor resolved"


def _failed(kind: str) -> float:
    return metrics.REGISTRY.get_sample_value("surgewatch_notifications_total",
                                             {"channel": kind, "outcome": "failed"}) or 0.0


def test_channel_down_is_logged_masked_counted_and_retried_at_the_next_run(state, caplog) -> None:
    port = free_port()  # nobody listens yet
    n = notifier(state, port)
    before = _failed("mailto")
    with caplog.at_level(logging.ERROR, logger="alerts.notify.dispatch"):
        counts = n.process([bot_incident()], NOW)
    assert counts["failed"] == 1 and _failed("mailto") == before + 1
    assert "127.0.0.1" in caplog.text and "failed after 3 attempts" in caplog.text
    assert "s3cretpw" not in caplog.text
    controller, inbox = smtp_server(port)  # the mail server is back
    try:
        assert n.process([bot_incident()], NOW + timedelta(seconds=10))["sent"] == 1
        assert n.process([bot_incident()], NOW + timedelta(seconds=20))["sent"] == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_bad_apprise_url_is_refused_by_name_and_the_other_channels_still_work(state) -> None:
    settings = NotifySettings(urls=[SecretStr("nosuchservice://token@x"), SecretStr("json://127.0.0.1:9/hook")])
    n = Notifier.from_settings(settings, state)
    assert [c.kind for c in n.channels] == ["json"]


@pytest.fixture(scope="module")
def credential_stuffing():  # noqa: ANN201
    from collectors.weblog.options import WeblogOptions
    from collectors.weblog.pipeline import ingest_lines
    from simulate.scenarios import build
    from store.embedded import EmbeddedStore

    sim = build("credential_stuffing", 3, scale=0.5, history_hours=2.0, surge_hours=0.3)
    store = EmbeddedStore(":memory:")
    ingest_lines(sim.lines(), store, site=sim.site, source="web1", options=WeblogOptions(own_hosts=[sim.site]))
    yield store, int(sim.truth[0].start.timestamp())
    store.close()


def test_worker_detection_stores_incidents_while_mail_is_down_and_mails_once_it_is_back(
        credential_stuffing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker import Worker

    store, onset = credential_stuffing
    monkeypatch.chdir(tmp_path)
    port = free_port()
    settings = load_settings(state={"path": tmp_path / "state.db"}, worker={"metrics_port": 0},
                             notify={"urls": [mail_url(port)], "dashboard_url": DASHBOARD})
    now = {"t": onset + 90}
    w = Worker(settings, store=store, collectors=[], clock=lambda: datetime.fromtimestamp(now["t"], UTC))
    w.notifier = notifier(w.state, port)
    w.detect()  # mail server down
    w.notifier.join(30)
    stored = w.state.list_incidents()
    assert len(stored) == 1 and stored[0]["verdict"] == "bot" and stored[0]["block"]["cidrs"]
    controller, inbox = smtp_server(port)
    try:
        now["t"] = onset + 120
        w.detect()
        w.notifier.join(30)
        assert [s.split(":")[0] for s, _ in inbox.texts()] == ["[BOT] shop.example.com"]
        now["t"] = onset + 1500  # the attack is over
        w.detect()
        w.notifier.join(30)
    finally:
        controller.stop()
        w.state.close()
    subjects = [s for s, _ in inbox.texts()]
    assert len(subjects) == 2 and subjects[1].startswith("[RESOLVED] [BOT] shop.example.com")
    assert "deny " in inbox.texts()[0][1]
