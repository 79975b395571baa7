"""The Capacity page: its chart builder, the page in Streamlit's test runner, and in headless Chromium."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from campaigns.model import parse_campaign
from capacity.actuals import track
from capacity.forecast import forecast
from capacity.plan import Capacity, make_plan
from capacity.settings import CapacitySettings
from pages import capacity_charts, capacity_queries
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.pages.markdown import seen
from tests.pages.test_browser import chromium, rendered, serve_dashboard
from tests.services import Service

ROOT = Path(__file__).resolve().parents[2]
CONFIG = '[capacity]\nrps_per_instance = 20\ninstances = 2\ninstance_cost_per_hour = 0.4\n'


def _fill(tmp_path: Path) -> tuple[EmbeddedStore, StateDB]:
    """3 hours of 20 req/s before now, and an email campaign to 200,000 recipients in 30 minutes."""
    now = int(datetime.now(UTC).timestamp())
    now -= now % 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 200, "bytes": 1},
                      now - 10 * i) for i in range(1, 1080))
    state = StateDB(tmp_path / "state.db")
    start = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:00Z")
    state.upsert_campaign(parse_campaign({"name": "Summer Drop", "channel": "email", "start": start,
                                          "audience": 200_000, "site": "shop", "spend": 1500, "currency": "EUR"}))
    return store, state


def _plan(tmp_path: Path):  # noqa: ANN202
    store, state = _fill(tmp_path)
    f = forecast(store, state, state.get_campaign("summer-drop"))
    return make_plan(f, Capacity(20, 2, []), CapacitySettings(rps_per_instance=20, instances=2))


def test_forecast_chart_draws_band_lines_capacity_steps_and_the_peak(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    f = plan.forecast
    spec = capacity_charts.forecast_chart(plan.frame(), start=f.campaign.start, peak_time=f.peak_time,
                                          peak_rps=float(f.expected.max()), tz="Asia/Tokyo").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["area", "line", "line", "line", "rule", "text", "rule", "point", "text"]
    assert spec["layer"][3]["mark"]["interpolate"] == "step-after"
    data = spec["datasets"][spec["layer"][0]["data"]["name"]]
    first = pd.Timestamp(data[0]["time"])
    assert first.hour == f.times[0].tz_convert("Asia/Tokyo").hour  # shown on the dashboard's wall clock
    local = f.times.tz_convert("Asia/Tokyo")
    days = f"{local[0]:%a %d %b}" if local[0].date() == local[-1].date() else f"{local[0]:%a %d}"
    assert spec["layer"][0]["encoding"]["x"]["title"].startswith(days)  # the hours axis says which day
    assert spec["layer"][0]["encoding"]["x"]["title"].endswith(", time (Asia/Tokyo)")
    assert max(r["capacity"] for r in data) == plan.peak_instances * 20
    peak_label = spec["datasets"][spec["layer"][-1]["data"]["name"]][0]["label"]
    assert peak_label == f"peak {float(f.expected.max()):,.1f} req/s"


def test_forecast_chart_without_a_plan_shows_the_forecast_alone(tmp_path: Path) -> None:
    store, state = _fill(tmp_path)
    f = forecast(store, state, state.get_campaign("summer-drop"))
    spec = capacity_charts.forecast_chart(f.frame(), start=f.campaign.start, peak_time=f.peak_time,
                                          peak_rps=1.0).to_dict()
    assert len(spec["layer"]) == 6


def test_a_started_campaign_shows_its_measured_line_and_says_when_it_is_above_the_band(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten minutes into a send the site serves five times the p90: the page says so and draws what it served."""
    store, state = _fill(tmp_path)
    now = int(datetime.now(UTC).timestamp())
    now -= now % 60
    state.upsert_campaign(parse_campaign({"name": "Flash Friday", "channel": "email", "audience": 50_000,
                                          "site": "shop", "start": datetime.fromtimestamp(now - 600, UTC)
                                          .strftime("%Y-%m-%dT%H:%M:%SZ")}))
    f = forecast(store, state, state.get_campaign("flash-friday"))
    busy = float(f.high.max()) * 5
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": busy * 10, "bytes": 1},
                      now - 600 + 10 * i) for i in range(60))
    frame = f.frame()
    frame["measured"] = track(store, f, now).rps
    spec = capacity_charts.forecast_chart(frame, start=f.campaign.start, peak_time=f.peak_time,
                                          peak_rps=1.0).to_dict()
    measured = [la for la in spec["layer"] if any(e.get("field") == "measured" for e in la.get("encoding", {})
                                                 .values() if isinstance(e, dict))]
    assert len(measured) == 1
    rows = spec["datasets"][measured[0]["data"]["name"]]
    assert len(rows) == 130 and all(r["measured"] is not None for r in rows)  # 2 h before and 10 min after
    store.close()
    state.close()
    st.cache_resource.clear()
    (tmp_path / "surgewatch.toml").write_text(f'site = "shop"\n{CONFIG}')
    monkeypatch.setenv("SURGEWATCH_STORE__PATH", str(tmp_path / "ts.db"))
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.query_params["campaign"] = "flash-friday"  # the link a reminder ahead of the campaign carries
    at.switch_page("pages/capacity.py").run()
    assert not at.exception
    assert at.selectbox(key="capacity_campaign").value == "flash-friday"
    assert any("above the forecast's p90 in 10 of 10 minute(s)" in seen(w.value) for w in at.warning), \
        [seen(w.value) for w in at.warning]
    st.cache_resource.clear()


def test_upcoming_campaigns_come_first_then_past_ones(tmp_path: Path) -> None:
    _, state = _fill(tmp_path)
    state.upsert_campaign(parse_campaign({"name": "Old One", "channel": "social", "start": "2025-01-01T10:00:00Z"}))
    choices = capacity_queries.campaign_choices(state, datetime.now(UTC))
    assert list(choices["id"]) == ["summer-drop", "old-one"] and choices["label"][1].endswith("(past)")


def test_campaign_choices_label_the_start_in_the_dashboards_time_zone(tmp_path: Path) -> None:
    _, state = _fill(tmp_path)
    state.upsert_campaign(parse_campaign({"name": "Tokyo Night", "channel": "social", "start": "2026-03-01T15:30:00Z"}))
    choices = capacity_queries.campaign_choices(state, datetime(2026, 1, 1, tzinfo=UTC), "Asia/Tokyo")
    label = choices.set_index("id").loc["tokyo-night", "label"]
    assert "Mon 02 Mar 2026 00:30 (Asia/Tokyo)" in label and "UTC" not in label


def test_capacity_page_shows_the_recommendation_cost_and_evidence(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    st.cache_resource.clear()
    _fill(tmp_path)
    (tmp_path / "surgewatch.toml").write_text(f'site = "shop"\n{CONFIG}')
    monkeypatch.setenv("SURGEWATCH_STORE__PATH", str(tmp_path / "ts.db"))
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/capacity.py").run()
    assert not at.exception
    assert "Scale up from 2 instance(s)" in seen(at.success[0].value)
    text = " ".join([*(seen(md.value) for md in at.markdown), *(t.value for t in at.text)])
    assert "Email channel default" in text and "2 instance(s) today (capacity.instances)" in text
    assert len(at.get("vega_lite_chart")) == 1
    assert len(at.get("download_button")) == 1  # json: the others need their target's name
    captions = " ".join(seen(c.value) for c in at.caption)
    assert "keda: needs the target's name: set [capacity] deployment" in captions
    at.number_input[1].set_value(1000.0).run()  # a much bigger instance: no scaling
    assert "No scaling needed" in seen(at.success[0].value)
    st.cache_resource.clear()


@pytest.fixture
def dashboard(tmp_path: Path) -> Service:
    _fill(tmp_path)
    svc = serve_dashboard(tmp_path, CONFIG)
    yield svc
    svc.stop()


def test_capacity_page_renders_the_plan_in_chromium(dashboard: Service, tmp_path: Path) -> None:
    driver = chromium()
    try:
        text, charts = rendered(driver, f"{dashboard.url}/capacity", lambda t, n: all(
            w in t for w in ("Capacity", "Time range", "Scale up from 2 instance(s)", "back to 2 at",
                             "Email channel default", "Where the numbers come from")) and n >= 1,
            tmp_path / "capacity.png")
        assert "Capacity" in text and "Time range" in text, text[:2000]
        assert "Scale up from 2 instance(s)" in text and "back to 2 at" in text
        assert "infrastructure cost per lead" in text.lower()
        assert "Email channel default" in text
        assert charts >= 1, "the forecast chart should be drawn"
        assert "Traceback" not in text and "Error" not in text
    finally:
        driver.quit()


def test_the_chart_spec_is_json(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    f = plan.forecast
    json.dumps(capacity_charts.forecast_chart(plan.frame(), start=f.campaign.start, peak_time=f.peak_time,
                                              peak_rps=1.0).to_dict())


def test_the_cost_table_gives_the_cost_per_lead_as_precisely_as_the_metric(tmp_path: Path) -> None:
    store, state = _fill(tmp_path)
    f = forecast(store, state, state.get_campaign("summer-drop"))
    plan = make_plan(f, Capacity(20, 2, []), CapacitySettings(rps_per_instance=20, instances=2,
                                                              instance_cost_per_hour=0.19))
    rows = dict(capacity_queries.cost_table(plan).values)
    assert plan.cost_per_lead is not None and rows["infrastructure cost per lead"] == f"{plan.cost_per_lead:,.3f} EUR"
    assert capacity_queries.money(0.0474, "EUR", digits=3) == "0.047 EUR" and capacity_queries.money(None, "EUR") == "–"


def test_every_export_is_offered_once_its_targets_are_named(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    named = CapacitySettings(rps_per_instance=20, instances=2, deployment="web", autoscaling_group="web-asg")
    ready = capacity_queries.exports(plan, named)
    assert set(ready) == {"keda", "hpa", "aws-cli", "terraform", "json"}
    assert all(isinstance(v, tuple) and v[1] for v in ready.values())
    assert ready["terraform"][0].endswith(".tf") and "aws_autoscaling_schedule" in ready["terraform"][1]


def test_the_past_campaigns_table_shows_a_flop_left_out_with_its_reason(tmp_path: Path) -> None:
    """A past email an hour and a half ago that brought nothing over the steady 20 req/s: shown, not used."""
    store, state = _fill(tmp_path)
    past = (datetime.now(UTC) - timedelta(minutes=100)).strftime("%Y-%m-%dT%H:%M:00Z")
    state.upsert_campaign(parse_campaign({"id": "flop", "name": "Flop", "channel": "email", "start": past,
                                          "audience": 150_000, "site": "shop"}))
    f = forecast(store, state, state.get_campaign("summer-drop"))
    table = capacity_queries.past_campaigns_table(f)
    row = table.set_index("campaign").loc["Flop"]
    assert row["used"] == "no" and "no measurable uplift" in row["why"]
    assert "channel default" in f.response.source
