"""Prometheus collector against a real prometheus scraping a prometheus-client /metrics server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from collectors.prometheus import PrometheusCollector, PrometheusSettings
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.services import free_port, prometheus

QUERIES = {"inflight": "sum(demo_inflight)", "instances": "count(up == 1)",
           "rps": "sum(rate(demo_requests_total[5s]))", "broken": "sum(demo_inflight"}


def origin(store: EmbeddedStore, metric: str) -> list:
    now = datetime.now(UTC)
    return store.points("origin", now - timedelta(minutes=5), now + timedelta(minutes=1), where={"metric": metric})


@pytest.mark.service
def test_promql_results_land_in_origin_per_bucket_and_a_restart_fills_the_gap(tmp_path) -> None:
    registry = CollectorRegistry()
    Gauge("demo_inflight", "requests in flight", registry=registry).set(7)
    requests = Counter("demo_requests", "requests served", registry=registry)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    prom = prometheus(tmp_path / "prom", port)
    try:
        store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
        settings = PrometheusSettings(url=prom.url, queries=QUERIES, every_seconds=0, delay_seconds=1)
        c = PrometheusCollector(settings, store, state, site="shop")
        deadline = time.monotonic() + 30  # the first sample takes ~6 s after start
        while time.monotonic() < deadline and not origin(store, "instances"):
            requests.inc(5)
            c.poll()
            time.sleep(0.5)
        first = origin(store, "instances")
        assert first, f"no sample within 30 s: {c.last_error}"
        assert first[-1].fields == {"value": 1.0, "peak": 1.0}
        assert first[-1].tags == {"site": "shop", "source": "prometheus", "metric": "instances"}
        assert origin(store, "inflight")[-1].fields["value"] == 7.0
        assert first[-1].time % 10 == 0

        # A bad expression is counted and named; the other metrics still come in.
        assert c.errors["source"] >= 1 and "broken" in c.last_error and "collectors.prometheus.queries" in c.last_error
        assert "broken" in c.query_errors and "inflight" not in c.query_errors

        # The worker is down for a while, then a new collector on the same state DB reads the gap back.
        last_written = first[-1].time
        for _ in range(24):
            requests.inc(5)
            time.sleep(0.5)
        PrometheusCollector(settings, store, state, site="shop").poll()
        times = [p.time for p in origin(store, "instances") if p.time >= last_written]
        assert len(times) >= 2
        assert times == list(range(last_written, times[-1] + 10, 10))  # no bucket missing
        assert any(p.fields["value"] > 0 for p in origin(store, "rps"))
    finally:
        prom.stop()
        server.shutdown()
        thread.join(5)


def test_an_unreachable_prometheus_is_counted_with_the_url() -> None:
    settings = PrometheusSettings(url=f"http://127.0.0.1:{free_port()}", queries={"rps": "up"})
    c = PrometheusCollector(settings, EmbeddedStore(":memory:"), StateDB(":memory:"))
    assert c.poll() == 0
    assert c.errors["source"] == 1 and "cannot reach Prometheus" in c.last_error


def test_an_empty_query_is_refused_with_the_metric_name() -> None:
    with pytest.raises(ValueError, match="cpu"):
        PrometheusSettings(queries={"cpu": " "})
