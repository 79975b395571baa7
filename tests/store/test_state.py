"""The state DB: migrations, checkpoints, daily salts, campaigns, incidents, feedback, silences."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from campaigns.files import campaigns_from_json
from store.base import StoreError
from store.state import MIGRATIONS, StateDB


def test_fresh_db_is_migrated_to_the_latest_version_and_reopening_keeps_data(tmp_path) -> None:  # noqa: ANN001
    db = StateDB(tmp_path / "state.db")
    assert db.version == len(MIGRATIONS)
    db.put_checkpoint("nginx", {"offset": 42, "inode": 7})
    db.close()
    again = StateDB(tmp_path / "state.db")
    assert again.get_checkpoint("nginx") == {"offset": 42, "inode": 7}


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "state.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    con.close()
    with pytest.raises(StoreError, match="newer than this Surgewatch"):
        StateDB(path)


def test_salt_is_stable_within_its_day_and_deleted_after_48_hours() -> None:
    db = StateDB(":memory:")
    t0 = datetime(2026, 5, 1, 0, 5, tzinfo=UTC)
    s1 = db.salt_for(date(2026, 5, 1), now=t0)
    assert len(s1) == 32
    assert db.salt_for(date(2026, 5, 1), now=t0 + timedelta(hours=23)) == s1
    assert db.salt_for(date(2026, 5, 2), now=t0 + timedelta(days=1)) != s1
    db.salt_for(date(2026, 5, 3), now=t0 + timedelta(hours=48, minutes=1))
    assert "2026-05-01" not in db.salt_days()
    assert db.salt_days() == ["2026-05-02", "2026-05-03"]


def test_campaign_upsert_replaces_and_lists_by_time_and_site() -> None:
    db = StateDB(":memory:")
    a, b = campaigns_from_json(
        '[{"name": "A", "start": "2026-01-02T00:00:00Z", "site": "shop"},'
        ' {"name": "B", "start": "2026-01-01T00:00:00Z", "site": "blog"}]'
    )
    db.upsert_campaign(a)
    db.upsert_campaign(b)
    db.upsert_campaign(a.model_copy(update={"audience": 5}))
    assert [c.name for c in db.list_campaigns()] == ["B", "A"]
    assert [c.audience for c in db.list_campaigns(site="shop")] == [5]
    assert db.list_campaigns(since=datetime(2026, 1, 1, 12, tzinfo=UTC))[0].name == "A"
    assert db.delete_campaign("a") and db.get_campaign("a") is None
    assert [e["action"] for e in db.audit()][:1] == ["campaign.delete"]


def test_incident_updates_keep_one_incident_and_a_history_of_changes() -> None:
    db = StateDB(":memory:")
    inc = {"id": "i-1", "site": "shop", "start": "2026-01-01T10:00:00Z", "verdict": "organic", "status": "open"}
    db.upsert_incident(inc)
    db.upsert_incident(inc)  # unchanged: no new history entry
    db.upsert_incident(inc | {"verdict": "campaign", "confidence": 0.8})
    assert len(db.list_incidents()) == 1
    assert db.get_incident("i-1")["verdict"] == "campaign"
    assert [h["verdict"] for _, h in db.incident_history("i-1")] == ["organic", "campaign"]


def test_feedback_is_stored_and_audited_and_bad_kinds_refused() -> None:
    db = StateDB(":memory:")
    db.add_feedback("i-1", user="oncall", kind="verdict", value="campaign", comment="it was the newsletter")
    assert db.feedback("i-1")[0]["value"] == "campaign"
    assert db.audit()[0]["action"] == "incident.verdict"
    with pytest.raises(ValueError, match="not one of"):
        db.add_feedback("i-1", user="x", kind="thumbs", value="up")


def test_silence_matches_labels_only_while_active() -> None:
    db = StateDB(":memory:")
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    db.add_silence({"verdict": "campaign"}, now, now + timedelta(hours=1), user="oncall")
    assert db.is_silenced({"verdict": "campaign", "site": "shop"}, now + timedelta(minutes=5))
    assert not db.is_silenced({"verdict": "bot"}, now + timedelta(minutes=5))
    assert not db.is_silenced({"verdict": "campaign"}, now + timedelta(hours=2))


def test_users_have_known_roles() -> None:
    db = StateDB(":memory:")
    db.set_user("mia", "marketing")
    assert db.user_role("mia") == "marketing"
    with pytest.raises(ValueError, match="role"):
        db.set_user("bob", "god")
