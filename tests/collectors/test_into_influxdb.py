"""Every collector end to end into both store backends: the same input gives the same totals in each.

Each source feeds the embedded SQLite store and a real influxd (one database per test); the
totals read back through the ``TimeSeriesStore`` interface must agree with each other and
with what was sent. Real varnishd, varnishncsa, nginx and prometheus; Cloudflare and
Mailchimp through the replay server with their recorded responses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from collectors.cloudflare import CloudflareCollector, CloudflareSettings
from collectors.mailchimp import MailchimpCollector, MailchimpSettings
from collectors.prometheus import PrometheusCollector, PrometheusSettings
from collectors.varnish import VarnishCollector, VarnishSettings
from collectors.varnishncsa import VarnishNcsaSettings, VarnishNcsaStream
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build as simulate
from store.base import TimeSeriesStore
from store.embedded import EmbeddedStore
from store.influxdb import InfluxStore
from store.sketch import estimate_b64
from store.state import StateDB
from tests.replay.server import ReplayServer, Reply, Request, recorded
from tests.services import Service, free_port, nginx, prometheus, require_binary, varnishd

pytestmark = pytest.mark.service

SALT = b"fixed test salt"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CDN_FIELDS = ["requests", "cached", "misses", "bytes", "backend_fetches", "backend_failures"]


@pytest.fixture
def stores(influxd_service: Service, influx_database: str) -> Iterator[dict[str, TimeSeriesStore]]:
    """The two backends, empty: ``embedded`` and ``influxdb``."""
    pair = {"embedded": EmbeddedStore(":memory:"), "influxdb": InfluxStore(influxd_service.url, influx_database,
                                                                             retries=2)}
    yield pair
    for s in pair.values():
        s.close()


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """nginx behind varnishd, shared by the Varnish tests; yields varnishd."""
    d = tmp_path_factory.mktemp("edge")
    web = nginx(d / "nginx", {"index.html": "<h1>shop</h1>\n", **{f"p{i}.html": "p" * 500 for i in range(5)}})
    cache = varnishd(d / "varnish", web.port)
    yield cache
    cache.stop()
    web.stop()


def totals(store: TimeSeriesStore, measurement: str, fields: list[str], group_by: list[str],
           start: datetime, end: datetime) -> dict[tuple, dict[str, float]]:
    """{tags: {field: sum}} over [start, end), as plain numbers so both backends compare equal."""
    df: pd.DataFrame = store.query(measurement, start, end, fields=fields, group_by=group_by)
    return {tuple(row[g] for g in group_by): {f: float(row[f]) for f in fields} for _, row in df.iterrows()}


def same_in_both(stores: dict[str, TimeSeriesStore], *args) -> dict[tuple, dict[str, float]]:  # noqa: ANN002
    embedded, influx = (totals(s, *args) for s in stores.values())
    assert embedded == influx
    assert embedded, f"nothing stored for {args[0]}"
    return embedded


# -- access logs ----------------------------------------------------------------------------------
def test_a_simulated_access_log_gives_the_same_totals_sketches_and_reasons_in_both(
        stores: dict[str, TimeSeriesStore]) -> None:
    sim = simulate("bot_during_campaign", 11, history_hours=0.15, surge_hours=0.15, start=START, base_rps=3)
    lines = list(sim.lines())
    broken = ["this is not a log line", '1.2.3.4 - - [01/Mar/2026:09:05:00 +0000] "GET / HTTP/1.1" 2x0 5 "-" "x"']
    lines[100:100] = broken
    stats = [ingest_lines(lines, s, site="shop", source="sim", salt=SALT) for s in stores.values()]
    assert stats[0].parsed == stats[1].parsed == len(lines) - 2
    span = (START - timedelta(minutes=1), sim.end + timedelta(minutes=10))

    by_actor_country = same_in_both(stores, "http", ["requests", "bytes"], ["actor", "country"], *span)
    assert sum(v["requests"] for v in by_actor_country.values()) == len(lines) - 2
    assert len({actor for actor, _ in by_actor_country}) >= 2
    assert len({country for _, country in by_actor_country}) >= 3

    reasons = same_in_both(stores, "ingest", ["lines"], ["reason"], *span)
    assert reasons[("parsed",)]["lines"] == len(lines) - 2
    assert sum(v["lines"] for k, v in reasons.items() if k != ("parsed",)) == 2
    assert {k[0]: v["lines"] for k, v in reasons.items() if k != ("parsed",)} == \
        {r: float(n) for r, n in stats[0].malformed.items()}

    same_in_both(stores, "visitors", ["requests", "pages", "assets", "conversions"], ["actor"], *span)
    uniques = {}
    for name, s in stores.items():
        sketches: dict[str, list[str]] = {}
        for p in s.points("visitors", *span):
            sketches.setdefault(p.tags["actor"], []).append(p.fields["uniques"])
        uniques[name] = {actor: round(estimate_b64(v), 6) for actor, v in sketches.items()}
    assert uniques["embedded"] == uniques["influxdb"]
    assert 0 < sum(uniques["embedded"].values()) < len(lines)


# -- Varnish: counters and the request stream -------------------------------------------------------
def test_varnish_counters_give_the_same_cdn_totals_in_both(edge: Service, stores: dict[str, TimeSeriesStore]) -> None:
    now = datetime(2026, 3, 1, 10, 0, 3, tzinfo=UTC)
    settings = VarnishSettings(enabled=True, instance=str(edge.extra["instance"]))
    collectors = [VarnishCollector(settings, s, StateDB(":memory:"), site="shop") for s in stores.values()]
    for c in collectors:
        assert c.poll(now) == 0  # the baseline
    with httpx.Client(base_url=edge.url) as client:
        for i in range(12):
            assert client.get(f"/p{i % 3}.html?run=counters").status_code == 200  # uncached by the other tests
    deadline = time.monotonic() + 10
    while True:  # varnishd publishes its counters when a worker finishes a task
        for c in collectors:
            assert c.poll(now) == 1, c.last_error
        got = [totals(s, "cdn", CDN_FIELDS, [], now - timedelta(minutes=1), now + timedelta(minutes=1))
               for s in stores.values()]
        if all(g and g[()]["requests"] >= 12 for g in got) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert got[0] == got[1]
    assert (got[0][()]["requests"], got[0][()]["misses"], got[0][()]["cached"]) == (12, 3, 9)


def tagged(store: TimeSeriesStore) -> float:
    now = datetime.now(UTC)
    got = totals(store, "http", ["requests"], ["utm_campaign"], now - timedelta(hours=1), now + timedelta(minutes=1))
    return got.get(("spring_sale",), {}).get("requests", 0)


def test_varnishncsa_streams_give_the_same_request_totals_in_both(edge: Service,
                                                                  stores: dict[str, TimeSeriesStore]) -> None:
    require_binary("varnishncsa")
    settings = VarnishNcsaSettings(enabled=True, instance=str(edge.extra["instance"]), campaign_min_requests=1)
    streams = [VarnishNcsaStream(settings, store=s, state=StateDB(":memory:"), site="shop", salt=SALT)
               for s in stores.values()]
    try:
        with httpx.Client(base_url=edge.url) as client:
            deadline = time.monotonic() + 20
            while not all(c.stats.parsed for c in streams):  # both attached: each reported a knock
                assert time.monotonic() < deadline, [c.last_error for c in streams]
                for c in streams:
                    c.poll()
                client.get("/index.html", headers={"User-Agent": "knock/1.0"})
                time.sleep(0.1)
            for i in range(10):
                ua = "curl/8.5.0" if i % 2 else "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Firefox/128.0"
                client.get(f"/p{i % 5}.html?utm_campaign=spring_sale", headers={"User-Agent": ua})
            deadline = time.monotonic() + 20
            while any(tagged(c.store) < 10 for c in streams):  # open buckets are written as they fill
                assert time.monotonic() < deadline, [c.last_error for c in streams]
                for c in streams:
                    c.poll()
                time.sleep(0.05)
    finally:
        for c in streams:
            c.flush()
    now = datetime.now(UTC)
    got = same_in_both(stores, "http", ["requests"], ["utm_campaign", "client"], now - timedelta(hours=1),
                       now + timedelta(minutes=1))
    assert got[("spring_sale", "script")]["requests"] == 5 and got[("spring_sale", "browser")]["requests"] == 5


# -- Prometheus origin metrics ----------------------------------------------------------------------
def test_prometheus_origin_metrics_are_the_same_buckets_in_both(tmp_path, stores: dict[str, TimeSeriesStore]) -> None:
    registry = CollectorRegistry()
    Gauge("demo_inflight", "requests in flight", registry=registry).set(7)
    served = Counter("demo_requests", "requests served", registry=registry)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    prom = prometheus(tmp_path / "prom", port)
    try:
        settings = PrometheusSettings(url=prom.url, every_seconds=0, delay_seconds=1,
                                      queries={"inflight": "sum(demo_inflight)", "instances": "count(up == 1)"})
        collectors = [PrometheusCollector(settings, s, StateDB(":memory:"), site="shop") for s in stores.values()]
        deadline = time.monotonic() + 30  # the first sample takes ~6 s after start
        while True:
            served.inc(5)
            now = datetime.now(UTC)
            for c in collectors:
                c.poll(now)  # the same evaluation times for both
            got = [totals(s, "origin", ["value"], ["metric"], now - timedelta(minutes=5), now) for s in stores.values()]
            if got[0].get(("instances",)) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        prom.stop()
        server.shutdown()
        thread.join(5)
    assert got[0].get(("instances",)), f"no sample within 30 s: {collectors[0].last_error}"
    assert got[0] == got[1]
    points = [{p.time: p.fields["value"] for p in s.points("origin", now - timedelta(minutes=5), now,
                                                           where={"metric": "inflight"})} for s in stores.values()]
    assert points[0] == points[1] and set(points[0].values()) == {7.0}


# -- Cloudflare and Mailchimp, replayed --------------------------------------------------------------
def test_cloudflare_minutes_give_the_same_cdn_totals_in_both(stores: dict[str, TimeSeriesStore]) -> None:
    now = datetime(2026, 3, 1, 10, 5, 30, tzinfo=UTC)
    with ReplayServer() as srv:
        srv.route("POST", "/client/v4/graphql", Reply(recorded("cloudflare/groups_3_minutes.json")))
        settings = CloudflareSettings(enabled=True, api_token="cf-test-token", zone_tag="0" * 32,
                                      url=srv.url + "/client/v4/graphql", backfill_minutes=4, delay_minutes=1)
        for s in stores.values():
            assert CloudflareCollector(settings, s, StateDB(":memory:"), site="shop").poll(now) == 7
    got = same_in_both(stores, "cdn", CDN_FIELDS, ["country", "status"], now - timedelta(hours=1), now)
    assert got[("US", "2xx")]["requests"] == 150 + 140 + 160
    assert got[("none", "4xx")]["requests"] == 2


def test_mailchimp_sends_give_the_same_minutes_in_both(stores: dict[str, TimeSeriesStore]) -> None:
    now = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)

    def campaigns_pages(req: Request) -> Reply:
        return Reply(recorded(f"mailchimp/campaigns_page_{1 if req.query.get('offset') == '0' else 2}.json"))

    with ReplayServer() as srv:
        srv.route("GET", "/3.0/campaigns", campaigns_pages)
        srv.route("GET", "/3.0/reports/a1b2c3d4e5", Reply(recorded("mailchimp/report.json")))
        srv.route("GET", "/3.0/reports/a1b2c3d4e5/email-activity", Reply(recorded("mailchimp/email_activity.json")))
        settings = MailchimpSettings(enabled=True, api_key="0123456789abcdef0123456789abcdef-us6", base_url=srv.url,
                                     page_size=2)
        for s in stores.values():
            c = MailchimpCollector(settings, s, StateDB(":memory:"), site="shop")
            c.poll(now)
            assert not c.errors, c.last_error
    got = same_in_both(stores, "sends", ["sent", "opens", "clicks"], ["campaign", "channel"],
                       now - timedelta(days=1), now)
    assert got == {("mailchimp-a1b2c3d4e5", "email"): {"sent": 3.0, "opens": 3.0, "clicks": 1.0}}
    minutes = [sorted((p.time, dict(p.fields)) for p in s.points("sends", now - timedelta(days=1), now))
               for s in stores.values()]
    assert minutes[0] == minutes[1] and len(minutes[0]) == 3
