"""The disk spool: InfluxDB going away mid-write loses nothing and double-counts nothing."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from store.base import Point, StoreError
from store.influxdb import InfluxStore
from store.spool import Spool
from tests.services import influxd

pytestmark = pytest.mark.service

T0 = 1_699_999_200


def batch(n_series: int, t: int, value: int = 1) -> list[Point]:
    return [Point("http", {"site": "s", "country": f"c{i}", "source": "t"}, {"requests": value + i}, t)
            for i in range(n_series)]


def total(store: InfluxStore) -> float:
    got = store.query("http", T0, T0 + 86_400, fields=["requests"])
    return float(got["requests"].iloc[0]) if not got.empty else 0.0


@pytest.fixture
def own_influxd(tmp_path):
    svc = influxd(tmp_path / "influxd")
    yield svc
    svc.stop()


def test_influxd_stopped_mid_write_then_restarted_gives_exact_totals(own_influxd, tmp_path):
    svc = own_influxd
    store = InfluxStore(svc.url, "spooltest", spool_dir=tmp_path / "spool", retries=2, backoff=0.01,
                        batch_size=200, timeout=2)
    batches = [batch(300, T0 + 10 * k) for k in range(40)]
    accepted: list[int] = []

    def writer() -> None:
        for b in batches:
            accepted.append(store.write(b))
            time.sleep(0.02)

    thread = threading.Thread(target=writer)
    thread.start()
    while len(accepted) < 8:
        time.sleep(0.005)
    svc.stop()  # influxd terminated while the writer keeps going
    while len(accepted) < 25:
        time.sleep(0.005)
    depth_while_down = store.spool_depth()
    svc.restart()  # same data dir, same port
    thread.join(60)
    assert accepted == [300] * 40, "every write is accepted, into InfluxDB or the spool"
    assert depth_while_down > 0
    store.flush_spool()
    assert store.spool_depth() == 0
    assert total(store) == sum(p.fields["requests"] for b in batches for p in b)
    assert store.stats["points_spooled"] >= depth_while_down
    store.close()


def test_replaying_the_same_batch_twice_leaves_totals_unchanged(own_influxd, tmp_path):
    svc = own_influxd
    store = InfluxStore(svc.url, "twice", spool_dir=tmp_path / "spool", retries=1, timeout=2)
    svc.stop()
    same = batch(50, T0)
    store.write(same)
    store.write(same)
    assert store.spool_depth() == 100
    svc.restart()
    assert store.flush_spool() == 100
    assert total(store) == sum(p.fields["requests"] for p in same)
    store.flush_spool()
    assert total(store) == sum(p.fields["requests"] for p in same)
    store.close()


def test_the_next_write_replays_the_spool_first_in_order(own_influxd, tmp_path):
    svc = own_influxd
    store = InfluxStore(svc.url, "order", spool_dir=tmp_path / "spool", retries=1, timeout=2)
    svc.stop()
    store.write(batch(1, T0, value=5))
    store.write(batch(1, T0, value=9))  # a later rewrite of the same point must win
    svc.restart()
    store.write(batch(1, T0 + 10, value=1))
    assert store.spool_depth() == 0
    assert [p.fields["requests"] for p in store.points("http", T0, T0 + 20)] == [9, 1]
    store.close()


def test_the_spool_survives_a_restart_of_the_writer(tmp_path):
    down = "http://127.0.0.1:9"  # discard port: nothing listens
    first = InfluxStore(down, "db", spool_dir=tmp_path / "spool", retries=1, timeout=0.5)
    first.write(batch(20, T0))
    first.close()
    second = InfluxStore(down, "db", spool_dir=tmp_path / "spool", retries=1, timeout=0.5)
    assert second.spool_depth() == 20
    second.close()


def test_without_a_spool_an_unreachable_influxdb_is_a_clear_store_error(tmp_path):
    store = InfluxStore("http://127.0.0.1:9", "db", retries=1, timeout=0.5)
    with pytest.raises(StoreError, match="unreachable.*spool"):
        store.write(batch(3, T0))
    with pytest.raises(StoreError, match="unreachable"):
        store.query("http", T0, T0 + 10)
    store.close()


def test_a_point_influxdb_refuses_is_reported_counted_and_not_spooled(influxd_service, influx_database, tmp_path,
                                                                      caplog):
    store = InfluxStore(influxd_service.url, influx_database, spool_dir=tmp_path / "spool", retries=1)
    store.write([Point("custom", {"source": "t"}, {"x": 1}, T0)])  # x is an integer field now
    with caplog.at_level(logging.ERROR, logger="store.influxdb"):
        store.write([Point("custom", {"source": "t"}, {"x": 1.5}, T0 + 10)])
    assert store.spool_depth() == 0
    assert store.stats["points_rejected"] == 1
    assert "field type conflict" in caplog.text
    store.close()


def test_a_point_line_protocol_cannot_carry_is_skipped_and_the_rest_written(influxd_service, influx_database,
                                                                           caplog):
    store = InfluxStore(influxd_service.url, influx_database)
    good = batch(3, T0)
    bad = [Point("http", {"source": "t"}, {"requests": float("nan")}, T0), Point("http", {"source": "t"}, {}, T0)]
    with caplog.at_level(logging.WARNING, logger="store.influxdb"):
        assert store.write(good + bad) == 3
    assert store.stats["points_rejected"] == 2
    assert "NaN" in caplog.text and "no fields" in caplog.text
    assert total(store) == sum(p.fields["requests"] for p in good)
    store.close()


def test_a_full_spool_drops_the_oldest_batches_counted_and_warned(tmp_path, caplog):
    spool = Spool(tmp_path, max_bytes=1000)
    with caplog.at_level(logging.WARNING, logger="store.spool"):
        for k in range(10):
            spool.append(f"b{k} ".encode().ljust(200, b"x"), 2)  # 200 bytes each: room for 5
    assert spool.size_bytes() <= 1000
    assert spool.dropped_points == 10
    assert "dropped the 2 oldest points" in caplog.text
    seen: list[bytes] = []
    spool.replay(lambda body, n: seen.append(body[:3]) or True)
    assert seen == [b"b5 ", b"b6 ", b"b7 ", b"b8 ", b"b9 "]
    assert spool.depth() == 0
    spool.close()


def test_replay_stops_at_the_first_undelivered_batch_and_keeps_it(tmp_path):
    spool = Spool(tmp_path)
    for k in range(3):
        spool.append(f"b{k}".encode(), 1)
    calls: list[bytes] = []
    assert spool.replay(lambda body, n: calls.append(body) or body != b"b1") == 1
    assert calls == [b"b0", b"b1"] and spool.depth() == 2
    spool.close()
