"""Cloudflare GraphQL Analytics collector against a local server replaying documented responses."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from collectors.cloudflare import CloudflareCollector, CloudflareSettings
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.replay.server import ReplayServer, Reply, recorded

NOW = datetime(2026, 3, 1, 10, 5, 30, tzinfo=UTC)
GRAPHQL = "/client/v4/graphql"


@pytest.fixture
def server():
    with ReplayServer() as srv:
        yield srv


def collector(server: ReplayServer, store: EmbeddedStore, state: StateDB, **overrides) -> CloudflareCollector:
    settings = CloudflareSettings(enabled=True, api_token="cf-test-token", zone_tag="0123456789abcdef0123456789abcdef",
                                  url=server.url + GRAPHQL, backfill_minutes=4, delay_minutes=1,
                                  max_retry_wait=5, **overrides)
    return CloudflareCollector(settings, store, state, site="shop")


def totals(store: EmbeddedStore) -> dict[tuple[str, str], dict[str, float]]:
    df = store.query("cdn", NOW - timedelta(hours=1), NOW, group_by=["country", "status"],
                     fields=["requests", "cached", "misses", "bytes", "backend_fetches", "backend_failures"])
    return {(r.country, r.status): r._asdict() for r in df.itertuples()}


def test_minutes_become_points_per_country_and_status_class(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, Reply(recorded("cloudflare/groups_3_minutes.json")))
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    written = collector(server, store, state).poll(NOW)

    assert written == 7
    sent = server.requests[0]
    assert sent.headers["authorization"] == "Bearer cf-test-token"
    assert sent.body["variables"] == {"zoneTag": "0123456789abcdef0123456789abcdef", "start": "2026-03-01T10:00:00Z",
                                      "end": "2026-03-01T10:04:00Z", "limit": 10000}
    assert "httpRequestsAdaptiveGroups" in sent.body["query"]
    t = totals(store)
    assert t[("US", "2xx")]["requests"] == 150 + 140 + 160
    assert t[("US", "2xx")]["cached"] == 120 + 140 + 160
    assert t[("US", "2xx")]["misses"] == 30
    assert t[("US", "2xx")]["bytes"] == 1_200_000 + 450_000 + 1_400_000 + 1_600_000
    assert t[("US", "5xx")]["backend_failures"] == 4
    assert t[("US", "3xx")]["backend_fetches"] == 10
    assert t[("none", "4xx")]["requests"] == 2  # unknown country XX
    assert t[("JP", "2xx")]["requests"] == 15
    points = store.points("cdn", NOW - timedelta(hours=1), NOW, where={"country": "US", "status": "2xx"})
    assert [p.time for p in points] == [int(datetime(2026, 3, 1, 10, m, tzinfo=UTC).timestamp()) for m in (1, 2, 3)]
    assert all(p.tags["provider"] == "cloudflare" and p.tags["source"] == "cloudflare" and p.tags["site"] == "shop"
               for p in points)
    assert state.get_checkpoint("cdn:cloudflare") == {"until": int(datetime(2026, 3, 1, 10, 4, tzinfo=UTC).timestamp())}


def test_a_full_page_continues_from_its_last_minute_without_double_counting(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, [Reply(recorded("cloudflare/page_1_of_2.json")),
                                   Reply(recorded("cloudflare/page_2_of_2.json"))])
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    collector(server, store, state, page_limit=10).poll(NOW)

    assert [r.body["variables"]["start"] for r in server.requests] == ["2026-03-01T10:00:00Z", "2026-03-01T10:02:00Z"]
    t = totals(store)
    assert sum(v["requests"] for v in t.values()) == (1 + 2 + 3 + 4 + 5 + 6) + (7 + 8 + 9 + 10 + 11) + 12
    assert t[("US", "2xx")]["requests"] == 5 + 6 + 11 + 12


def test_restart_resumes_at_the_checkpoint_and_rereads_recent_minutes_idempotently(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, Reply(recorded("cloudflare/groups_3_minutes.json")))
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    collector(server, store, state, refetch_minutes=3).poll(NOW)
    again = collector(server, store, state, refetch_minutes=3)  # a restarted worker
    again.poll(NOW + timedelta(minutes=1))

    assert server.requests[1].body["variables"]["start"] == "2026-03-01T10:01:00Z"
    assert server.requests[1].body["variables"]["end"] == "2026-03-01T10:05:00Z"
    assert totals(store)[("US", "2xx")]["requests"] == 450  # the same minutes rewritten, not added


def test_errors_in_a_200_answer_are_reported_and_nothing_advances(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, Reply(recorded("cloudflare/error_too_old.json")))
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    c = collector(server, store, state)

    assert c.poll(NOW) == 0
    assert c.errors["source"] == 1
    assert "cannot request data older than 2678400s" in c.last_error
    assert "viewer.zones.0.httpRequestsAdaptiveGroups" in c.last_error
    assert state.get_checkpoint("cdn:cloudflare") is None


def test_an_unknown_zone_says_to_check_the_zone_tag(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, Reply(recorded("cloudflare/no_zone.json")))
    c = collector(server, EmbeddedStore(":memory:"), StateDB(":memory:"))
    assert c.poll(NOW) == 0
    assert "zone_tag" in c.last_error


def test_429_with_a_short_retry_after_is_waited_for_then_read(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, [Reply(recorded("cloudflare/rate_limited.json"), 429, {"Retry-After": "1"}),
                                   Reply(recorded("cloudflare/groups_3_minutes.json"))])
    store = EmbeddedStore(":memory:")
    started = time.monotonic()
    assert collector(server, store, StateDB(":memory:")).poll(NOW) == 7
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2


def test_429_with_a_long_retry_after_skips_polls_until_then(server: ReplayServer) -> None:
    server.route("POST", GRAPHQL, [Reply(recorded("cloudflare/rate_limited.json"), 429, {"Retry-After": "300"}),
                                   Reply(recorded("cloudflare/groups_3_minutes.json"))])
    c = collector(server, EmbeddedStore(":memory:"), StateDB(":memory:"), every_seconds=1)
    assert c.poll(NOW) == 0
    assert c.errors["rate_limited"] == 1 and "300 s" in c.last_error
    assert c.poll(NOW + timedelta(seconds=120)) == 0
    assert len(server.requests) == 1  # no call while the source asked us to wait
    assert c.poll(NOW + timedelta(seconds=301)) > 0


def test_an_unreachable_api_is_counted_with_a_clear_message() -> None:
    with ReplayServer() as srv:
        url = srv.url
    settings = CloudflareSettings(api_token="t", zone_tag="z", url=url + GRAPHQL)
    c = CloudflareCollector(settings, EmbeddedStore(":memory:"), StateDB(":memory:"))

    assert c.poll(NOW) == 0
    assert c.errors["source"] == 1
    assert "cannot reach Cloudflare GraphQL API" in c.last_error


def test_missing_token_or_zone_is_refused_at_start_with_the_setting_name() -> None:
    with pytest.raises(ValueError, match="zone_tag"):
        CloudflareCollector(CloudflareSettings(api_token="t"), EmbeddedStore(":memory:"), StateDB(":memory:"))
    with pytest.raises(ValueError, match="API_TOKEN"):
        CloudflareCollector(CloudflareSettings(zone_tag="z"), EmbeddedStore(":memory:"), StateDB(":memory:"))
