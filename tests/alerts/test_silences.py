"""On-call's silences: added from the command line, in force for their span, refused when unclear."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from alerts.feedback.silences import SilenceError, add, parse_duration
from auth.roles import Identity
from store.state import StateDB

MIA = Identity("mia", "oncall", "local")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StateDB:
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    return StateDB(tmp_path / "state.db")


def test_a_silence_matches_its_labels_for_its_span_only(state: StateDB) -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    add(state, ["site=shop.example.com", "verdict=campaign"], "2h", user=MIA, comment="launch", now=now)
    labels = {"site": "shop.example.com", "verdict": "campaign", "incident": "x"}
    assert state.is_silenced(labels, now + timedelta(minutes=90))
    assert not state.is_silenced({**labels, "verdict": "bot"}, now + timedelta(minutes=90))
    assert not state.is_silenced(labels, now + timedelta(hours=2, minutes=1))
    assert state.audit()[0]["action"] == "silence.add"


@pytest.mark.parametrize(("matchers", "duration", "says"), [
    ([], "2h", "at least one"), (["colour=red"], "2h", "unknown label"), (["site"], "2h", "label=value"),
    (["site=a"], "2 weeks", "not a number"), (["site=a"], "40d", "at most 30d"),
])
def test_an_unclear_silence_is_refused_with_what_is_allowed(state: StateDB, matchers: list[str], duration: str,
                                                            says: str) -> None:
    with pytest.raises(SilenceError, match=says):
        add(state, matchers, duration, user=MIA)
    assert state.active_silences() == []


def test_alerts_silence_and_silences_commands(state: StateDB) -> None:
    runner = CliRunner()
    done = runner.invoke(cli.app, ["alerts", "silence", "--match", "site=shop.example.com", "--match",
                                   "verdict=organic", "--for", "30m", "--comment", "press day"])
    assert done.exit_code == 0, done.output
    assert "site=shop.example.com, verdict=organic" in done.output
    listed = json.loads(runner.invoke(cli.app, ["alerts", "silences", "--format", "json"]).output)
    assert listed[0]["matchers"] == {"site": "shop.example.com", "verdict": "organic"}
    assert listed[0]["created_by"] == f"cli:{getpass.getuser()}"  # the OS user, never a typed name
    bad = runner.invoke(cli.app, ["alerts", "silence", "--match", "verdict=bot", "--for", "forever"])
    assert bad.exit_code == 2 and "30m, 2h, 1d" in bad.output
    assert parse_duration("1.5d") == timedelta(hours=36)
