"""On-call corrections: stored with who and why, shown on the incident, used as its label."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from alerts.feedback.oncall import FeedbackError, correct
from alerts.incidents.model import Incident, labelled_history
from auth.roles import Identity
from campaigns.files import campaigns_from_json
from store.state import StateDB

INCIDENT = Incident(id="shop-20260301T000500Z", site="shop", start=1772323500, end=1772324100, peak_rps=80.0,
                    baseline_rps=5.0, verdict="organic", confidence=0.7, campaign=None,
                    evidence=["No announced campaign explains it"], looks_like="unannounced_campaign")

MIA = Identity("mia", "oncall", "local")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StateDB:
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    db = StateDB(tmp_path / "state.db")
    db.upsert_campaign(campaigns_from_json(
        '[{"name": "Spring Sale APAC", "channel": "email", "start": "2026-03-01T00:00:00Z"}]')[0])
    db.upsert_incident(INCIDENT.to_dict())
    return db


def test_linking_a_surge_to_a_campaign_is_stored_shown_and_labels_the_incident(state: StateDB) -> None:
    inc = correct(state, INCIDENT.id, user=MIA, verdict="campaign", campaign="spring-sale-apac",
                  comment="newsletter went out early")
    assert (inc.verdict, inc.final_verdict, inc.final_campaign) == ("organic", "campaign", "Spring Sale APAC")
    stored = Incident.from_dict(state.get_incident(INCIDENT.id))
    assert stored.feedback.by == "local:mia" and stored.feedback.note == "newsletter went out early"
    assert [label for _, label in labelled_history(state.list_incidents())] == ["campaign"]
    assert {a["action"] for a in state.audit()} >= {"incident.verdict", "incident.campaign"}


def test_unknown_incident_verdict_or_campaign_is_refused_with_what_is_allowed(state: StateDB) -> None:
    with pytest.raises(FeedbackError, match="alerts list"):
        correct(state, "nope", user=MIA, verdict="bot")
    with pytest.raises(FeedbackError, match="campaign, organic, bot, mixed"):
        correct(state, INCIDENT.id, user=MIA, verdict="attack")
    with pytest.raises(FeedbackError, match="recent ids: spring-sale-apac"):
        correct(state, INCIDENT.id, user=MIA, campaign="autumn")
    assert state.feedback(INCIDENT.id) == []


def test_alerts_commands_list_show_and_correct(state: StateDB) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.app, ["alerts", "link", INCIDENT.id, "Spring Sale APAC"])
    assert result.exit_code == 0, result.output
    assert "on-call says organic, campaign Spring Sale APAC" in result.output
    listed = json.loads(runner.invoke(cli.app, ["alerts", "list", "--format", "json"]).output)
    assert listed[0]["on_call_campaign"] == "Spring Sale APAC"
    shown = json.loads(runner.invoke(cli.app, ["alerts", "show", INCIDENT.id]).output)
    assert shown["feedback"][0]["user"] == f"cli:{getpass.getuser()}" and shown["incident"]["evidence"]
    bad = runner.invoke(cli.app, ["alerts", "verdict", INCIDENT.id, "attack"])
    assert bad.exit_code == 2
