"""The Overview page renders live traffic, incidents and the calendar from the store and state DB."""

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


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[EmbeddedStore, StateDB]:
    st.cache_resource.clear()  # each test opens its own store and state DB
    monkeypatch.setenv("SURGEWATCH_STORE__PATH", str(tmp_path / "ts.db"))
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    monkeypatch.chdir(tmp_path)
    now = int(datetime.now(UTC).timestamp())
    now -= now % 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(
        Point("http", {"site": "default", "source": "t", "actor": actor, "country": "JP"},
              {"requests": 100 if actor == "human" else 20, "bytes": 1000}, now - 10 * i)
        for i in range(360) for actor in ("human", "automated")
    )
    state = StateDB(tmp_path / "state.db")
    start = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state.upsert_campaign(campaigns_from_json(
        json.dumps([{"name": "Spring Sale APAC", "channel": "email", "start": start, "regions": ["JP"]}]))[0])
    state.upsert_incident({"id": "inc-1", "start": start, "verdict": "campaign", "confidence": 0.9,
                           "campaign": "Spring Sale APAC", "status": "open",
                           "evidence": ["61% of extra traffic from JP, the campaign's audience"]})
    state.upsert_incident({"id": "inc-2", "start": int(datetime.now(UTC).timestamp()) - 300, "verdict": "mixed",
                           "confidence": 0.7, "campaign": "Spring Sale APAC", "status": "open",
                           "evidence": ["92% of extra automated requests are POST /login, 97% answered 401"],
                           "block": {"nginx": "deny 203.0.113.0/24;", "cidrs": ["203.0.113.0/24"]}})
    return store, state


def test_overview_shows_rate_incident_evidence_and_charts(filled: tuple[EmbeddedStore, StateDB]) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    rate, total, open_incidents = (m.value for m in at.metric)
    assert float(rate) == pytest.approx(12.0)  # (100 + 20) requests per 10 s
    assert at.metric[0].proto.color == at.metric[0].proto.GRAY  # a rise is no good news until it is judged
    assert open_incidents == "2"
    text = " ".join(seen(md.value) for md in at.markdown)
    assert "CAMPAIGN" in text and "61% of extra traffic from JP" in text
    assert "MIXED" in text and "POST /login" in text
    assert "(UTC) · Spring Sale APAC" in text  # each card's start says whose clock it is
    links = at.get("page_link")
    assert len(links) == 2 and all(link.proto.page.endswith("incidents") for link in links), links
    assert {link.proto.query_string for link in links} == {"incident=inc-1", "incident=inc-2"}  # each opens its own
    assert any("deny 203.0.113.0/24;" in c.value for c in at.code)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 5  # traffic, countries, referrers, clients, calendar
    assert any(c.value.startswith("Shaded: incidents, in their verdict's colour") for c in at.caption)  # a key
    calendar = [layer["mark"]["type"] for layer in specs[-1]["layer"]]
    assert calendar == ["bar", "rule", "text"]  # a "now" rule reads upcoming campaigns apart from past ones


def test_traffic_chart_stacks_actors_and_marks_campaign_starts(filled: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = filled
    end = datetime.now(UTC)
    df = queries.traffic(store, end - timedelta(hours=1), end, by="actor")
    assert set(df["actor"]) == {"human", "automated"}
    camp = queries.campaigns_frame(state, end - timedelta(hours=1), end)
    spec = charts.traffic_chart(df, campaigns=camp).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["area", "rule", "text"]


def test_a_notification_link_opens_its_incident_even_when_closed(filled: tuple[EmbeddedStore, StateDB]) -> None:
    _, state = filled
    state.upsert_incident({"id": "inc-old", "start": "2025-01-01T10:00:00Z", "verdict": "bot", "confidence": 0.9,
                           "status": "closed", "evidence": ["97% of extra requests are POST /login"]})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["incident"] = "inc-old"
    at.run()
    assert not at.exception
    assert "Linked incident" in [h.value for h in at.subheader]
    text = " ".join(seen(md.value) for md in at.markdown)
    assert "BOT" in text and "closed" in text and "POST /login" in text
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["incident"] = "no-such"
    at.run()
    assert not at.exception and "no-such" in seen(at.warning[0].value)


def test_charts_show_the_dashboard_time_zone_in_any_browser() -> None:
    times = pd.date_range("2026-03-01T00:00:00Z", periods=3, freq="10s")
    traffic = pd.DataFrame({"time": times, "actor": "human", "rps": [1.0, 2.0, 3.0]})
    incidents = pd.DataFrame({"start": [times[1]], "end": [pd.NaT], "verdict": ["bot"], "confidence": [0.9],
                              "campaign": [""]})
    spec = charts.traffic_chart(traffic, incidents=incidents, tz="Asia/Tokyo").to_dict()
    datasets = spec["datasets"].values()
    shown = {row["time"] for rows in datasets for row in rows if "time" in row}
    assert min(shown).startswith("2026-03-01T09:00:00")  # Tokyo's wall clock, on a UTC scale
    area = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "area")
    assert area["encoding"]["x"]["scale"]["type"] == "utc" and "Asia/Tokyo" in area["encoding"]["x"]["title"]
    band = next(rows for rows in datasets if rows and "verdict" in rows[0])[0]
    assert band["start"].startswith("2026-03-01T09:00:10") and band["end"].startswith("2026-03-01T09:00:20")
    camp = pd.DataFrame({"name": ["Spring"], "channel": ["email"], "start": [times[0]],
                         "end": [times[0] + pd.Timedelta(hours=2)], "regions": ["JP"], "audience": [1],
                         "owner": ["mia"], "status": ["planned"]})
    cal = charts.calendar_chart(camp, tz="Asia/Tokyo").to_dict()
    assert next(iter(cal["datasets"].values()))[0]["start"].startswith("2026-03-01T09:00:00")


def test_overview_lists_the_campaigns_coming_up_for_on_call(filled: tuple[EmbeddedStore, StateDB]) -> None:
    _, state = filled
    start = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:00Z")
    state.upsert_campaign(campaigns_from_json(json.dumps([{"name": "Winter Drop", "channel": "email", "start": start,
                                                           "audience": 300_000, "regions": ["DE", "FR"]}]))[0])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "Coming up" in [h.value for h in at.subheader]
    (table,) = [d.value for d in at.dataframe if "campaign" in d.value.columns]
    assert list(table["campaign"]) == ["Winter Drop"] and table["regions"][0] == "DE, FR"
    assert table["expected peak"][0].endswith(" req/s")
    assert table["scaling"][0] == "set capacity.rps_per_instance to size it"


def test_share_bars_give_every_value_a_labelled_row_of_its_own() -> None:
    df = pd.DataFrame({"client": ["browser", "search_crawler", "script"], "requests": [900, 97, 3],
                       "share": [0.9, 0.097, 0.003]})
    spec = charts.share_bars(df, "client", title="").to_dict()
    assert spec["height"] == {"step": 22}  # rows are not squeezed until labels hide each other
    y = spec["layer"][0]["encoding"]["y"]
    assert y["title"] is None and "regexp('_', 'g'), ' '" in y["axis"]["labelExpr"]  # "search crawler"
    (labels,) = spec["datasets"].values()
    assert [r["label"] for r in labels] == ["90%", "10%", "<1%"]
    assert charts.share_bars(df, "client").to_dict()["layer"][0]["encoding"]["y"]["title"] == "client"


def test_a_campaign_name_near_the_charts_right_edge_reads_left_of_its_rule() -> None:
    times = pd.date_range("2026-03-01T00:00:00Z", periods=60, freq="1min")
    df = pd.DataFrame({"time": times, "actor": "human", "rps": 1.0})
    camp = pd.DataFrame({"name": ["Early", "Late"], "channel": "email", "regions": "JP",
                         "start": [times[5], times[55]]})
    spec = charts.traffic_chart(df, campaigns=camp).to_dict()
    texts = {spec["datasets"][layer["data"]["name"]][0]["name"]: layer["mark"]["align"]
             for layer in spec["layer"] if layer["mark"]["type"] == "text"}
    assert texts == {"Early": "left", "Late": "right"}  # the late one is not cut off by the chart's edge


def test_traffic_leaves_out_the_buckets_cut_by_the_ranges_edges(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "ts.db")
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    store.write(Point("http", {"site": "default", "source": "t", "actor": "human"}, {"requests": 100, "bytes": 1},
                      int((t0 + timedelta(seconds=10 * i)).timestamp())) for i in range(60))
    df = queries.traffic(store, t0 + timedelta(seconds=5), t0 + timedelta(seconds=63), by="actor")
    assert list(df["time"].dt.second) == [10, 20, 30, 40, 50]  # 09:00:00 began before the range, 09:01:00 still fills
    assert set(df["rps"]) == {10.0}  # no dip at either edge


def test_stacked_traffic_gives_every_actor_a_value_in_every_bucket() -> None:
    times = pd.date_range("2026-03-01T09:00:00Z", periods=4, freq="10s")
    df = pd.DataFrame({"time": [*times, times[1]], "actor": ["human"] * 4 + ["scanner"], "rps": [5.0] * 4 + [50.0]})
    for spec in (charts.traffic_chart(df).to_dict(),
                 charts.incident_chart(df, start=times[1], end=times[2], baseline_rps=None).to_dict()):
        rows = max(spec["datasets"].values(), key=len)
        scanner = sorted((r["time"], r["rps"]) for r in rows if r["actor"] == "scanner")
        assert [rps for _, rps in scanner] == [0.0, 50.0, 0.0, 0.0]  # the burst does not smear over its neighbours


def test_a_campaign_sent_inside_the_last_bucket_drawn_is_still_marked() -> None:
    times = pd.date_range("2026-03-01T09:00:00Z", periods=10, freq="1min")  # the last whole bucket: 09:09-09:10
    df = pd.DataFrame({"time": times, "actor": "human", "rps": 1.0})
    camp = pd.DataFrame({"name": ["Just Sent"], "channel": "email", "regions": "JP",
                         "start": [times[-1] + pd.Timedelta(seconds=20)]})
    spec = charts.traffic_chart(df, campaigns=camp).to_dict()
    names = [spec["datasets"][layer["data"]["name"]][0]["name"] for layer in spec["layer"]
             if layer["mark"]["type"] == "text"]
    assert names == ["Just Sent"]
