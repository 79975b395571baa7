"""A login attack's 401s are told inside its surge incident, not raised as an errors incident of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.analysis import analyze_site
from alerts.detection.slices import total_config
from alerts.incidents.model import MemoryIncidentSink
from alerts.incidents.outages import outage_incident
from alerts.live import run_detection
from campaigns.model import parse_campaign
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build
from store.base import bucket_start
from store.embedded import EmbeddedStore
from store.state import StateDB


@pytest.fixture(scope="module")
def stuffing() -> tuple[EmbeddedStore, int]:
    sim = build("credential_stuffing", 5, scale=0.5, history_hours=2.0, surge_hours=0.5)
    store = EmbeddedStore(":memory:")
    ingest_lines(sim.lines(), store, site=sim.site, source="web1", options=WeblogOptions(own_hosts=[sim.site]))
    yield store, int(sim.truth[0].start.timestamp())
    store.close()


def test_a_login_attack_raises_one_incident_whose_evidence_tells_its_failures(stuffing) -> None:
    store, onset = stuffing
    sink = MemoryIncidentSink()
    for step in range(1, 31):  # every 10 s through the attack's first five minutes, as the worker does
        run_detection(store, sink, onset + 10 * step, profiles=None)
    incidents = list(sink.incidents.values())
    assert [i["verdict"] for i in incidents] == ["bot"]
    (inc,) = incidents
    assert any(e.startswith("Failures come with it") and "4xx" in e for e in inc["evidence"])
    assert inc["extra"]["errors"][0]["what"] == "status=4xx"


def test_an_errors_incident_stored_before_its_surge_showed_is_closed_and_points_at_it(stuffing) -> None:
    store, onset = stuffing
    sink = MemoryIncidentSink()
    run_detection(store, sink, onset + 600, profiles=None)
    (surge,) = sink.incidents.values()
    # An errors incident stored alone (as when the burst showed a run before its surge did).
    end = bucket_start(onset + 590)
    result = analyze_site(store, surge["site"], end - 6 * 3600, end, [], live=True)
    (o, _owner), *_ = result.absorbed
    stale = outage_incident(surge["site"], o).to_dict()
    sink.upsert(stale)
    errors = stale["id"]
    run_detection(store, sink, onset + 610, profiles=None)
    closed = sink.get_incident(errors)
    assert closed["status"] == "closed" and closed["extra"]["part_of"] == surge["id"]
    assert sink.get_incident(surge["id"])["status"] == "open"


def test_alert_settings_set_how_big_a_spike_must_be(stuffing) -> None:
    store, onset = stuffing
    default, strict = MemoryIncidentSink(), MemoryIncidentSink()
    run_detection(store, default, onset + 300, profiles=None, detector=total_config(5.0, 2.0))
    # [alerts] min_rps above the attack's own rate: nothing is a spike, on the total or in a slice.
    run_detection(store, strict, onset + 300, profiles=None, detector=total_config(5.0, 500.0))
    assert [i["verdict"] for i in default.incidents.values()] == ["bot"]
    # The attack's failing logins still show, as an errors burst of their own.
    assert [i["verdict"] for i in strict.incidents.values()] == ["errors"]


def test_a_login_attack_inside_a_campaign_is_raised_at_once_then_told_in_the_mixed_surge(tmp_path: Path) -> None:
    sim = build("bot_during_campaign", 3, bot_delay_minutes=4.0, small_campaign=False,
                bot_kind="credential_stuffing", scale=0.5, history_hours=2.0, surge_hours=0.5)
    store = EmbeddedStore(":memory:")
    ingest_lines(sim.lines(), store, site=sim.site, source="web1", options=WeblogOptions(own_hosts=[sim.site]))
    state = StateDB(tmp_path / "state.db")
    for c in sim.campaigns:
        state.upsert_campaign(parse_campaign(c))
    onset, attack = int(sim.truth[0].start.timestamp()), 240
    seen_while_campaign = []
    for step in range(18, 45):  # 10 s steps from 3 minutes into the campaign to 3 minutes into the attack
        run_detection(store, state, onset + 10 * step, profiles=None)
        shown = {i["verdict"]: i for i in state.list_incidents(status="open")}
        if "errors" in shown and "campaign" in shown:
            seen_while_campaign.append(10 * step)
    store.close()
    assert seen_while_campaign and seen_while_campaign[0] <= attack + 30  # on-call hears of it within 30 s
    incidents = state.list_incidents()
    surge = next(i for i in incidents if i["verdict"] not in ("errors", "drop"))
    errors = next(i for i in incidents if i["verdict"] == "errors")
    state.close()
    assert any("posted to a login form" in e for e in errors["evidence"])
    assert surge["verdict"] == "mixed" and surge["campaign"] == sim.truth[0].campaign
    assert errors["status"] == "closed" and errors["extra"]["part_of"] == surge["id"]
