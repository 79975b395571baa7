"""The Incidents page lists the range's incidents, opens one, and records on-call's corrections and silences."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from campaigns.files import campaigns_from_json
from pages import charts, queries
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.pages.markdown import seen

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = "92% of extra automated requests are POST /login, 97% answered 401"


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[EmbeddedStore, StateDB]:
    """An hour of traffic, a campaign, a live mixed incident, one closed an hour ago and one closed last year."""
    st.cache_resource.clear()  # each test opens its own store and state DB
    monkeypatch.setenv("SURGEWATCH_STORE__PATH", str(tmp_path / "ts.db"))
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__ANONYMOUS_ROLE", "oncall")  # no sign-in: visitors are on-call
    monkeypatch.chdir(tmp_path)
    now = int(datetime.now(UTC).timestamp())
    now -= now % 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(
        Point("http", {"site": "default", "source": "t", "actor": actor},
              {"requests": (100 if actor == "human" else 20) * (3 if i < 60 else 1), "bytes": 1000}, now - 10 * i)
        for i in range(360) for actor in ("human", "automated")
    )
    state = StateDB(tmp_path / "state.db")
    state.upsert_campaign(campaigns_from_json(json.dumps([{
        "id": "spring-apac", "name": "Spring Sale APAC", "channel": "email",
        "start": (datetime.now(UTC) - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%SZ"), "regions": ["JP"]}]))[0])
    live = {"id": "default-live", "site": "default", "start": now - 600, "end": now - 10, "verdict": "campaign",
            "confidence": 0.6, "campaign": None, "peak_rps": 36.0, "baseline_rps": 12.0, "status": "open",
            "evidence": ["61% of extra traffic from JP"]}
    state.upsert_incident(live)
    state.upsert_incident(live | {"verdict": "mixed", "confidence": 0.8, "evidence": [EVIDENCE],
                                  "block": {"nginx": "deny 203.0.113.0/24;", "cidrs": ["203.0.113.0/24"]}})
    state.upsert_incident({"id": "default-hour", "site": "default", "start": now - 5400, "end": now - 4800,
                           "verdict": "organic", "confidence": 0.7, "peak_rps": 20.0, "baseline_rps": 12.0,
                           "status": "closed", "evidence": ["referrals from news.example"]})
    state.upsert_incident({"id": "default-old", "site": "default", "start": "2025-01-01T10:00:00Z",
                           "end": "2025-01-01T10:20:00Z", "verdict": "bot", "confidence": 0.9, "status": "closed",
                           "evidence": ["97% of extra requests are POST /login from 4 networks"]})
    return store, state


def incidents_page(incident: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if incident:
        at.query_params["incident"] = incident
    at.run()
    at.switch_page("pages/incidents.py").run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    return " ".join(seen(e.value) for e in [*at.markdown, *at.info, *at.caption])


def test_the_list_shows_the_incidents_of_the_range_newest_first_and_opens_the_newest(filled) -> None:
    at = incidents_page()
    listed = at.dataframe[0].value
    assert list(listed["id"]) == ["default-live", "default-hour"]  # last year's is outside the 3-hour range
    assert "mixed" in listed["verdict"].iloc[0] and listed["status"].tolist() == ["open", "closed"]
    assert listed["duration (min)"].iloc[1] == pytest.approx(10)
    assert listed["campaign"].tolist() == ["", ""]  # none named: blank, never "None" or "nan"
    text = page_text(at)
    assert "MIXED" in text and EVIDENCE in text and "vs baseline 12.0 (×3.0)" in text
    assert [c.value for c in at.code] == ["deny 203.0.113.0/24;", "203.0.113.0/24"]
    assert len(at.get("download_button")) == 2
    at.multiselect[0].select("closed").run()
    assert list(at.dataframe[0].value["id"]) == ["default-hour"]


def test_the_page_opens_the_newest_open_incident_before_a_newer_closed_one(filled) -> None:
    _, state = filled
    now = int(datetime.now(UTC).timestamp())
    state.upsert_incident({"id": "default-errors", "site": "default", "start": now - 120, "end": now - 60,
                           "verdict": "errors", "confidence": 0.7, "status": "closed", "evidence": ["4xx burst"]})
    at = incidents_page()
    assert at.dataframe[0].value["id"].iloc[0] == "default-errors"  # the list stays newest first
    pick = at.selectbox(key="incident_pick")
    assert pick.value == "default-live"
    assert pick.options[0].endswith("· errors · closed") and "default-errors" not in pick.options[0]


def test_a_link_opens_a_closed_incident_outside_the_range(filled) -> None:
    at = incidents_page("default-old")
    assert at.selectbox(key="incident_pick").value == "default-old"
    text = page_text(at)
    assert "BOT" in text and "closed" in text and "POST /login from 4 networks" in text
    at = incidents_page("no-such")
    assert "no-such" in seen(at.warning[0].value)


def test_an_incident_without_stored_traffic_says_so_in_the_dashboards_time_zone(filled, monkeypatch) -> None:
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__TIMEZONE", "Asia/Tokyo")
    at = incidents_page("default-old")  # 2025-01-01 10:00-10:20 UTC: its window is 09:30-10:35 UTC
    said = " ".join(seen(i.value) for i in at.info)
    assert "between 01 Jan 18:30 and 19:35 (Asia/Tokyo)" in said, said


def test_a_correction_is_stored_audited_and_shown(filled) -> None:
    _, state = filled
    at = incidents_page("default-live")
    at.selectbox(key="fb_verdict").select("bot")
    at.selectbox(key="fb_campaign").select("Spring Sale APAC")
    at.text_input(key="fb_note").input("logins only, from 4 networks")
    next(b for b in at.button if b.label == "Record correction").click()
    at.run()
    assert not at.exception and not at.error
    stored = {(f["kind"], f["value"], f["user"]) for f in state.feedback("default-live")}
    assert stored == {("verdict", "bot", "anonymous"), ("campaign", "Spring Sale APAC", "anonymous")}
    actions = [a["action"] for a in state.audit(limit=5)]
    assert "incident.verdict" in actions and "incident.campaign" in actions
    assert any("On-call says **bot · Spring Sale APAC**" in seen(i.value) for i in at.info)


def test_an_unknown_campaign_shows_the_error_and_stores_nothing(filled) -> None:
    _, state = filled
    at = incidents_page("default-live")
    at.selectbox(key="fb_campaign").select("Spring Sale APAC")
    assert state.delete_campaign("spring-apac", user="marketing")  # withdrawn while the form was open
    next(b for b in at.button if b.label == "Record correction").click()
    at.run()
    assert any("no campaign 'Spring Sale APAC'" in seen(e.value) and "announce it first" in e.value for e in at.error)
    assert state.feedback("default-live") == []
    assert not state.get_incident("default-live").get("feedback")


def test_a_viewer_gets_no_correction_or_silence_form_and_is_told_which_role_it_needs(filled, monkeypatch) -> None:
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__ANONYMOUS_ROLE", "viewer")
    at = incidents_page("default-live")
    assert not [b for b in at.button if b.label in ("Record correction", "Silence")]
    said = " ".join(seen(i.value) for i in at.info)
    assert "correcting a verdict or linking an incident to a campaign needs the oncall or admin role" in said
    assert "silencing notifications needs the oncall or admin role" in said


def test_the_silence_form_adds_a_silence_the_notifier_honours(filled) -> None:
    _, state = filled
    at = incidents_page("default-live")
    at.radio(key="si_span").set_value("1h")
    next(b for b in at.button if b.label == "Silence").click()
    at.run()
    assert not at.exception and not at.error
    assert state.is_silenced({"incident": "default-live", "site": "default"})
    assert not state.is_silenced({"incident": "default-hour"})
    assert state.is_silenced({"incident": "default-live"}, datetime.now(UTC) + timedelta(minutes=55))
    assert not state.is_silenced({"incident": "default-live"}, datetime.now(UTC) + timedelta(minutes=65))
    assert "incident=default-live" in at.dataframe[-1].value["matches"].tolist()


def test_the_site_and_verdict_silence_matches_every_incident_of_that_verdict(filled) -> None:
    _, state = filled
    at = incidents_page("default-live")
    scope = at.radio(key="si_scope")
    assert scope.options[1] == "every mixed incident of default"  # says what it silences, in words
    first = seen(scope.options[0])
    assert first.startswith("this incident only (mixed since ") and "default-live" not in first
    scope.set_value("verdict")
    next(b for b in at.button if b.label == "Silence").click()
    at.run()
    assert state.is_silenced({"site": "default", "verdict": "mixed", "incident": "another"})
    assert not state.is_silenced({"site": "default", "verdict": "bot", "incident": "another"})


def test_the_incident_chart_shades_the_span_and_draws_the_baseline(filled) -> None:
    store, state = filled
    inc = queries.incident_frame(state, "default-live").iloc[0]
    start, end = queries.incident_window(inc, datetime.now(UTC))
    assert end - start >= timedelta(minutes=40)
    df = queries.traffic(store, start, end, by="actor", site="default")
    spec = charts.incident_chart(df, start=inc["start"], end=None, baseline_rps=12.0, verdict="mixed").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["rect", "rule", "area", "rule", "text", "text"]  # the baseline label over its white halo
    assert spec["layer"][0]["encoding"]["x2"]["field"] == "end"
    assert spec["layer"][3]["encoding"]["y"]["field"] == "rps"
    datasets = spec["datasets"].values()
    assert any(d and d[0].get("label") == "baseline 12.0 req/s" for d in datasets)


def test_the_incident_chart_has_no_baseline_rule_when_none_is_known() -> None:
    df = pd.DataFrame({"time": pd.date_range("2025-01-01", periods=3, freq="10s", tz="UTC"),
                       "actor": ["human"] * 3, "rps": [1.0, 5.0, 2.0]})
    spec = charts.incident_chart(df, start=df["time"][1], end=df["time"][2], baseline_rps=None).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rule", "area"]


def test_the_verdict_history_keeps_only_changes_and_draws_a_step_line(filled) -> None:
    _, state = filled
    moves = queries.incident_history_frame(state, "default-live")
    assert moves[["verdict", "confidence"]].values.tolist() == [["campaign", 0.6], ["mixed", 0.8]]
    more = pd.concat([moves, moves.tail(1).assign(confidence=0.85)], ignore_index=True)
    assert queries.verdict_turns(more)["verdict"].tolist() == ["campaign", "mixed"]
    spec = charts.verdict_history_chart(moves).to_dict()
    assert spec["layer"][0]["mark"] == {"type": "line", "interpolate": "step-after", "color": "#888"}
    assert spec["layer"][1]["encoding"]["color"]["field"] == "verdict"
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domain"] == ["campaign", "mixed"]
    tokyo = charts.verdict_history_chart(moves, tz="Asia/Tokyo").to_dict()
    assert tokyo["layer"][0]["encoding"]["x"]["title"] == "time (Asia/Tokyo)"  # the axis says whose clock


def test_an_errors_incident_charts_answers_by_status_with_failing_ones_at_the_bottom(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "ts.db")
    now = int(datetime.now(UTC).timestamp()) // 10 * 10
    store.write(Point("http", {"site": "default", "source": "t", "status": status},
                      {"requests": n * (4 if status == "5xx" and i < 30 else 1), "bytes": 0}, now - 10 * i)
                for i in range(120) for status, n in (("2xx", 90), ("3xx", 5), ("5xx", 3)))
    df = queries.traffic(store, datetime.fromtimestamp(now - 1200, UTC), datetime.fromtimestamp(now, UTC),
                         by="status", site="default")
    store.close()
    spec = charts.incident_chart(df, start=pd.Timestamp(now - 300, unit="s", tz="UTC"), end=None, baseline_rps=0.3,
                                 verdict="errors", by="status", baseline_label="5xx answers").to_dict()
    area = spec["layer"][2]["encoding"]
    assert area["color"]["field"] == "status" and area["color"]["scale"]["domain"][0] == "5xx"
    assert area["order"]["field"] == "stack"
    rows = next(d for d in spec["datasets"].values() if d and "status" in d[0])
    assert {r["stack"] for r in rows if r["status"] == "5xx"} == {0}  # stacked first: at the bottom
    assert any(d and d[0].get("label") == "baseline of 5xx answers 0.3 req/s" for d in spec["datasets"].values())


def test_an_errors_incident_opens_with_its_answers_chart(filled) -> None:
    store, state = filled
    now = int(datetime.now(UTC).timestamp()) // 10 * 10
    store.write(Point("http", {"site": "default", "source": "t", "actor": "human", "status": status},
                      {"requests": 40 if status == "5xx" and i < 30 else 5, "bytes": 0}, now - 10 * i)
                for i in range(90) for status in ("2xx", "5xx"))
    state.upsert_incident({"id": "default-5xx", "site": "default", "start": now - 300, "end": now - 60,
                           "verdict": "errors", "confidence": 0.7, "status": "closed", "peak_rps": 4.0,
                           "baseline_rps": 0.5, "trigger": "status=5xx", "evidence": ["4.0 req/s answered 5xx"]})
    at = incidents_page("default-5xx")
    charted = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert any(layer.get("encoding", {}).get("color", {}).get("field") == "status"
               for spec in charted for layer in spec.get("layer", []))
