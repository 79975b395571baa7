"""Mailchimp collector against a local server replaying responses shaped as the Marketing API v3 documents."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.model import Campaign, Channel, Status
from collectors.mailchimp import MailchimpCollector, MailchimpSettings, data_center
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.replay.server import ReplayServer, Reply, Request, recorded

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef-us6"


def campaigns_pages(req: Request) -> Reply:
    page = "campaigns_page_1.json" if req.query.get("offset") == "0" else "campaigns_page_2.json"
    return Reply(recorded(f"mailchimp/{page}"))


@pytest.fixture
def server():
    with ReplayServer() as srv:
        srv.route("GET", "/3.0/campaigns", campaigns_pages)
        srv.route("GET", "/3.0/reports/a1b2c3d4e5", Reply(recorded("mailchimp/report.json")))
        srv.route("GET", "/3.0/reports/a1b2c3d4e5/email-activity", Reply(recorded("mailchimp/email_activity.json")))
        yield srv


def make(server: ReplayServer, store: EmbeddedStore, state: StateDB) -> MailchimpCollector:
    settings = MailchimpSettings(enabled=True, api_key=KEY, base_url=server.url, page_size=2, every_seconds=60)
    return MailchimpCollector(settings, store, state, site="shop")


def minute(h: int, m: int) -> int:
    return int(datetime(2026, 3, 2, h, m, tzinfo=UTC).timestamp())


def sends(store: EmbeddedStore) -> dict[int, dict]:
    return {p.time: dict(p.fields) for p in store.points("sends", NOW - timedelta(days=1), NOW + timedelta(hours=1))}


def test_campaigns_become_records_with_send_time_audience_and_utm(server: ReplayServer) -> None:
    state = StateDB(":memory:")
    make(server, EmbeddedStore(":memory:"), state).poll(NOW)

    offsets = [r.query["offset"] for r in server.requests if r.path == "/3.0/campaigns"]
    assert offsets == ["0", "2"]
    auth = server.requests[0].headers["authorization"]
    assert base64.b64decode(auth.removeprefix("Basic ")).decode().endswith(":" + KEY)
    by_id = {c.id: c for c in state.list_campaigns()}
    assert set(by_id) == {"mailchimp-a1b2c3d4e5", "mailchimp-f6a7b8c9d0"}  # the draft has no send time
    sent = by_id["mailchimp-a1b2c3d4e5"]
    assert (sent.name, sent.channel, sent.status, sent.audience, sent.utm_campaign, sent.site) == (
        "Spring sale 2026", Channel.EMAIL, Status.SENT, 3, "spring_sale", "shop")
    assert sent.start == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    planned = by_id["mailchimp-f6a7b8c9d0"]
    assert (planned.name, planned.status, planned.audience, planned.utm_campaign) == (
        "Our April newsletter", Status.PLANNED, 5000, None)


def test_activity_is_counted_per_minute_without_keeping_addresses(server: ReplayServer) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    make(server, store, state).poll(NOW)

    assert sends(store) == {
        minute(9, 0): {"sent": 3, "opens": 0, "clicks": 0},
        minute(9, 5): {"sent": 0, "opens": 2, "clicks": 1},
        minute(9, 7): {"sent": 0, "opens": 1, "clicks": 0},
    }
    point = store.points("sends", NOW - timedelta(days=1), NOW)[0]
    assert point.tags == {"site": "shop", "source": "mailchimp", "campaign": "mailchimp-a1b2c3d4e5",
                          "channel": "email"}
    activity = [r for r in server.requests if r.path.endswith("/email-activity")][0]
    assert "email_address" not in activity.query["fields"]
    assert "example.com" not in str(state.get_checkpoint("sends:mailchimp"))


def test_unchanged_report_totals_skip_the_activity_download(server: ReplayServer) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    c = make(server, store, state)
    c.poll(NOW)
    c.poll(NOW + timedelta(minutes=2))
    assert len([r for r in server.requests if r.path.endswith("/email-activity")]) == 1


def test_new_activity_is_recounted_from_the_checkpoint_after_a_restart(server: ReplayServer) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    make(server, store, state).poll(NOW)
    server.route("GET", "/3.0/reports/a1b2c3d4e5", Reply(recorded("mailchimp/report_later.json")))
    server.route("GET", "/3.0/reports/a1b2c3d4e5/email-activity",
                 Reply(recorded("mailchimp/email_activity_since.json")))
    restarted = make(server, store, state)
    restarted.poll(NOW + timedelta(minutes=5))

    last = [r for r in server.requests if r.path.endswith("/email-activity")][-1]
    assert last.query["since"] == "2026-03-02T11:57:59Z"  # the first minute not final at the last poll
    got = sends(store)
    assert sum(f["opens"] for f in got.values()) == 5  # 3 before + 2 new; the old open is not counted again
    assert got[minute(11, 58)]["opens"] == 1 and got[minute(12, 3)]["opens"] == 1


def test_fields_added_by_hand_survive_a_poll(server: ReplayServer) -> None:
    state = StateDB(":memory:")
    state.upsert_campaign(Campaign(id="mailchimp-a1b2c3d4e5", name="old name", channel="email",
                                   start=datetime(2026, 3, 2, 8, 0, tzinfo=UTC), regions=["JP", "GB"],
                                   landing=["/spring"], site="shop"))
    make(server, EmbeddedStore(":memory:"), state).poll(NOW)
    c = state.get_campaign("mailchimp-a1b2c3d4e5")
    assert (c.name, c.regions, c.landing, c.start.hour) == ("Spring sale 2026", ["JP", "GB"], ["/spring"], 9)


def test_a_problem_json_error_names_title_detail_and_the_setting(server: ReplayServer) -> None:
    server.route("GET", "/3.0/campaigns", Reply(recorded("mailchimp/error_401.json"), 401,
                                                content_type="application/problem+json"))
    c = make(server, EmbeddedStore(":memory:"), StateDB(":memory:"))
    assert c.poll(NOW) == 0
    assert c.errors["source"] == 1
    assert "API Key Invalid" in c.last_error and "wrong datacenter" in c.last_error
    assert "collectors.mailchimp.api_key" in c.last_error


def test_the_data_center_comes_from_the_key_suffix() -> None:
    assert data_center(KEY) == "us6"
    c = MailchimpCollector(MailchimpSettings(api_key=KEY), EmbeddedStore(":memory:"), StateDB(":memory:"))
    assert c.base_url == "https://us6.api.mailchimp.com/3.0"
    with pytest.raises(ValueError, match="data center"):
        data_center("0123456789abcdef")
