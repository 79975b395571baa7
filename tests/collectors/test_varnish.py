"""Varnish collector against a real varnishd in front of a real nginx on loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from collectors.varnish import VarnishCollector, VarnishSettings, counter_deltas, parse_varnishstat
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.services import nginx, varnishd

NOW = datetime(2026, 3, 1, 10, 0, 3, tzinfo=UTC)


def cdn_totals(store: EmbeddedStore) -> dict[str, float]:
    df = store.query("cdn", NOW - timedelta(minutes=1), NOW + timedelta(minutes=1), where={"provider": "varnish"},
                     fields=["requests", "cached", "misses", "bytes", "backend_fetches", "backend_failures"])
    return df.iloc[0].to_dict() if len(df) else {}


def poll_until(c: VarnishCollector, store: EmbeddedStore, requests: int, now: datetime) -> dict[str, float]:
    """varnishd publishes counters when a worker finishes a task: poll until they caught up."""
    deadline = time.monotonic() + 10
    while True:
        assert c.poll(now) == 1, c.last_error
        totals = cdn_totals(store)
        if totals.get("requests", 0) >= requests or time.monotonic() > deadline:
            return totals
        time.sleep(0.2)


@pytest.mark.service
def test_requests_through_varnish_are_counted_exactly_with_hits_and_misses(tmp_path) -> None:
    web = nginx(tmp_path / "nginx", {"index.html": "<h1>sale</h1>\n", "a.txt": "a" * 1000})
    cache = varnishd(tmp_path / "varnish", web.port)
    try:
        store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
        settings = VarnishSettings(enabled=True, instance=str(cache.extra["instance"]))
        c = VarnishCollector(settings, store, state, site="shop")
        assert c.poll(NOW) == 0  # baseline
        with httpx.Client(base_url=cache.url) as client:
            for _ in range(10):
                assert client.get("/index.html").status_code == 200
            for _ in range(3):
                assert client.get("/a.txt").status_code == 200
        totals = poll_until(c, store, 13, NOW)
        assert totals["requests"] == 13
        assert totals["cached"] == 11
        assert totals["misses"] == 2
        assert totals["backend_fetches"] == 2
        assert totals["backend_failures"] == 0
        assert totals["bytes"] > 3 * 1000

        # The worker restarts (new collector, same state DB): the bucket continues, nothing counted twice.
        again = VarnishCollector(settings, store, state, site="shop")
        with httpx.Client(base_url=cache.url) as client:
            client.get("/index.html")
        assert poll_until(again, store, 14, NOW)["requests"] == 14

        # varnishd restarts: its counters start from zero, and the requests after it still count.
        cache.stop()
        cache.start(timeout=30)
        with httpx.Client(base_url=cache.url) as client:
            client.get("/index.html")
            client.get("/index.html")
        later = NOW + timedelta(seconds=20)
        again.poll(later)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pts = store.points("cdn", later - timedelta(seconds=5), later + timedelta(seconds=10))
            if pts and pts[0].fields["requests"] >= 2:
                break
            time.sleep(0.2)
            again.poll(later)
        # 3 = the starter's readiness check of "/" (a miss) + the two requests (a miss, then a hit)
        assert (pts[0].fields["requests"], pts[0].fields["misses"], pts[0].fields["cached"]) == (3, 2, 1)
        assert again.restarts_seen == 1
    finally:
        cache.stop()
        web.stop()


def test_varnish_6_top_level_counters_are_read_too() -> None:
    v6 = '{"timestamp": "2026-03-01T10:00:00", "MAIN.uptime": {"description": "Child process uptime", ' \
         '"flag": "c", "format": "d", "value": 120}, "MAIN.client_req": {"description": "Good client requests ' \
         'received", "flag": "c", "format": "i", "value": 42}}'
    v7 = '{"version": 1, "timestamp": "2026-03-01T10:00:00", "counters": {"MAIN.client_req": ' \
         '{"description": "Good client requests received", "flag": "c", "format": "i", "value": 42}}}'
    assert parse_varnishstat(v6) == {"MAIN.uptime": 120, "MAIN.client_req": 42}
    assert parse_varnishstat(v7) == {"MAIN.client_req": 42}


def test_a_counter_going_down_is_a_restart_counted_from_zero() -> None:
    deltas, restarted = counter_deltas({"MAIN.uptime": 500, "MAIN.client_req": 90},
                                       {"MAIN.uptime": 3, "MAIN.client_req": 4})
    assert restarted and deltas["MAIN.client_req"] == 4
    deltas, restarted = counter_deltas({"MAIN.uptime": 500, "MAIN.client_req": 90},
                                       {"MAIN.uptime": 510, "MAIN.client_req": 97})
    assert not restarted and deltas["MAIN.client_req"] == 7


def test_a_varnishd_that_is_not_there_is_counted_with_a_clear_message(tmp_path) -> None:
    settings = VarnishSettings(instance=str(tmp_path / "nothing-here"))
    c = VarnishCollector(settings, EmbeddedStore(":memory:"), StateDB(":memory:"))
    assert c.poll(NOW) == 0
    assert c.errors["source"] == 1
    assert "collectors.varnish.instance" in c.last_error or "not found" in c.last_error
