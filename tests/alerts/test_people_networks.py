"""Networks on-call said carry people are left out of later block suggestions, on every site."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from alerts.feedback.oncall import correct
from alerts.judgement.people_networks import PeopleNetworks
from alerts.live import run_detection
from auth.roles import Identity
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build
from store.embedded import EmbeddedStore
from store.state import StateDB

MIA = Identity("mia", "oncall", "local")


def _row(incident: str, kind: str, value: str) -> dict:
    return {"incident_id": incident, "kind": kind, "value": value, "at": datetime.now(UTC)}


def test_a_correction_to_people_teaches_its_networks_until_taken_back() -> None:
    rows = [_row("a", "verdict", "organic"), _row("a", "networks", "203.0.112.0/22 2001:db8::/32"),
            _row("b", "verdict", "bot"), _row("b", "networks", "198.51.100.0/24")]
    people = PeopleNetworks.from_feedback(rows)
    assert people.covering("203.0.113.0/24") == "a"
    assert people.covering("2001:db8:aa::/48") == "a"
    assert people.covering("203.0.116.0/24") is None
    assert people.covering("198.51.100.0/24") is None  # on-call said bot: nothing taught
    assert people.covering("not a prefix") is None
    # on-call changes their mind: the latest verdict is bot again
    assert not PeopleNetworks.from_feedback([*rows, _row("a", "verdict", "bot")])


@pytest.fixture(scope="module")
def attack_on_two_sites() -> Iterator[tuple[EmbeddedStore, int]]:
    sim = build("l7_botnet", 11, history_hours=1.5, surge_hours=0.5, scale=0.7, bot_factor=8.0)
    store = EmbeddedStore(":memory:")
    lines = list(sim.lines())
    for site in ("shop-a", "shop-b"):  # the same botnet hits two sites
        ingest_lines(lines, store, site=site, source="web", options=WeblogOptions(own_hosts=[sim.site]))
    yield store, int(sim.truth[0].start.timestamp())
    store.close()


def _by_site(state: StateDB) -> dict[str, dict]:
    return {i["site"]: i for i in state.list_incidents() if i["verdict"] not in ("errors", "drop")}


def test_networks_on_call_said_are_people_are_never_suggested_again(attack_on_two_sites, state: StateDB) -> None:
    store, onset = attack_on_two_sites
    run_detection(store, state, onset + 300, profiles=None)
    first = _by_site(state)
    assert first["shop-a"]["verdict"] == "bot" and first["shop-a"]["block"]["cidrs"]
    named = len(first["shop-b"]["block"]["cidrs"])
    assert named

    correct(state, first["shop-a"]["id"], user=MIA, verdict="organic", comment="our app's users behind a CGNAT")
    run_detection(store, state, onset + 300, profiles=None)  # judged again
    after = _by_site(state)
    b = after["shop-b"]
    taught = PeopleNetworks.from_feedback(state.feedback())
    assert b["block"]["left_out"] > 0 and not any(taught.covering(c) for c in b["block"]["cidrs"])
    assert b["block"]["cidrs"] == [] and b["block"]["nginx"] == ""  # the same buckets: all were taught
    assert b["block"]["taught_by"] == [first["shop-a"]["id"]]
    assert any("left out of the block" in e and first["shop-a"]["id"] in e for e in b["evidence"])

    correct(state, first["shop-a"]["id"], user=MIA, verdict="bot", comment="no, it was the botnet")
    run_detection(store, state, onset + 300, profiles=None)
    assert len(_by_site(state)["shop-b"]["block"]["cidrs"]) == named
