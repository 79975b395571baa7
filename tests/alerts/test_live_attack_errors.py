"""A login attack's 401s are told inside its surge incident, not raised as an errors incident of their own."""

from __future__ import annotations

import pytest

from alerts.analysis import analyze_site
from alerts.incidents import MemoryIncidentSink
from alerts.live import run_detection
from alerts.outage_incidents import outage_incident
from alerts.slices import total_config
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build
from store.base import bucket_start
from store.embedded import EmbeddedStore


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
