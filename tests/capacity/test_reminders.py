"""Campaigns ahead: which campaigns on-call hears of before they go out, and what each reminder says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaigns.model import parse_campaign
from capacity.reminders import due
from capacity.settings import CapacitySettings
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SIZED = CapacitySettings(rps_per_instance=5, instances=2)


def site(tmp_path: Path) -> tuple[EmbeddedStore, StateDB]:
    t = int(NOW.timestamp())
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 100, "bytes": 1},
                      t - 10 * i) for i in range(1, 1080))
    state = StateDB(tmp_path / "state.db")
    for name, minutes, audience, status in (
            ("Spring Sale", 150, 400_000, "planned"), ("Tiny Post", 30, None, "planned"),
            ("Called Off", 60, 80_000, "cancelled"), ("Tonight", 600, 9_000, "planned"),
            ("Gone Out", -30, 90_000, "sent")):
        state.upsert_campaign(parse_campaign({
            "name": name, "channel": "email", "site": "shop", "audience": audience, "status": status,
            "start": (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "regions": ["JP", "KR"],
            "landing": ["/spring"], "utm_campaign": "spring_26", "owner": "crm-team"}))
    return store, state


def test_campaigns_starting_within_the_reminder_window_are_due_soonest_first(tmp_path: Path) -> None:
    store, state = site(tmp_path)
    got = due(store, state, SIZED, NOW, tz="Asia/Tokyo")
    assert [r.campaign.name for r in got] == ["Tiny Post", "Spring Sale"]  # not cancelled, later or gone out
    assert due(store, state, SIZED.model_copy(update={"remind_before_minutes": 0}), NOW) == []
    assert [r.campaign.name for r in due(store, state, SIZED.model_copy(update={"remind_before_minutes": 720}),
                                         NOW)] == ["Tiny Post", "Spring Sale", "Tonight"]


def test_a_reminder_says_when_to_whom_and_the_scaling_in_the_dashboard_time_zone(tmp_path: Path) -> None:
    store, state = site(tmp_path)
    spring = due(store, state, SIZED, NOW, tz="Asia/Tokyo")[1]
    assert spring.title.startswith("[CAMPAIGN AHEAD] shop: Spring Sale at Mon 17:30, scale from 2 to ")
    text = "\n".join(spring.lines)
    assert "Email campaign to 400,000 recipients in JP, KR, going out Mon 17:30 (Asia/Tokyo, in 150 min)" in text
    assert "not an attack" in text and "Scale up from 2 instance(s)" in text
    assert "Landing: /spring; utm_campaign=spring_26" in text and "Announced by crm-team." in text
    assert spring.key["peak_instances"] > 2 and spring.key["start"] == "2026-03-02T08:30:00+00:00"
    tiny = due(store, state, SIZED, NOW)[0]
    assert tiny.title.endswith("not sized") and "No scaling plan: no audience given" in "\n".join(tiny.lines)


def test_what_a_reminder_says_changes_its_key_only_when_the_plan_or_start_does(tmp_path: Path) -> None:
    store, state = site(tmp_path)
    first = due(store, state, SIZED, NOW)[1].key
    assert due(store, state, SIZED, NOW + timedelta(minutes=1))[1].key == first
    bigger = due(store, state, SIZED.model_copy(update={"rps_per_instance": 2.0}), NOW)[1].key
    assert bigger["peak_instances"] > first["peak_instances"]
