"""Rollups combine each field by its kind, and resolution-aware queries read the rollups."""

from __future__ import annotations

import pytest

from store import sketch
from store.base import Point
from store.embedded import EmbeddedStore
from store.rollup import apply_retention, query_auto, rollup

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC, a whole hour
TAGS = {"site": "shop", "source": "t", "actor": "human"}


def _sketch(ids: range) -> str:
    s = sketch.new_sketch()
    for i in ids:
        s.update(i)
    return sketch.to_b64(s)


@pytest.fixture
def store() -> EmbeddedStore:
    s = EmbeddedStore(":memory:")
    s.write(
        Point("visitors", TAGS, {"requests": 2, "rpc_p50": float(i % 6), "rpc_max": i % 7,
                                 "uniques": _sketch(range(i, i + 10))}, T0 + 10 * i)
        for i in range(720)  # two hours of 10 s buckets
    )
    return s


def test_rollup_sums_counters_averages_gauges_keeps_maxima_and_merges_sketches(store: EmbeddedStore) -> None:
    rollup(store, "visitors", T0, T0 + 7200)
    (first_minute, *_) = store.points("visitors_1m", T0, T0 + 60)
    assert first_minute.fields["requests"] == 12
    assert first_minute.fields["rpc_p50"] == pytest.approx(2.5)  # mean of 0..5
    assert first_minute.fields["rpc_max"] == 5
    assert first_minute.fields["uniques_estimate"] == pytest.approx(15, abs=1)  # ids 0..14
    hours = store.points("visitors_1h", T0, T0 + 7200)
    assert [p.fields["requests"] for p in hours] == [720, 720]
    assert hours[0].fields["uniques_estimate"] == pytest.approx(369, rel=0.03)  # ids 0..368


def test_rollup_is_idempotent(store: EmbeddedStore) -> None:
    rollup(store, "visitors", T0, T0 + 7200)
    rollup(store, "visitors", T0, T0 + 7200)
    df = store.query("visitors_1h", T0, T0 + 7200, fields=["requests"])
    assert df["requests"].sum() == 1440


def test_query_auto_from_rollups_equals_the_raw_answer(store: EmbeddedStore) -> None:
    rollup(store, "visitors", T0, T0 + 7200)
    auto = query_auto(store, "visitors", T0, T0 + 7200, every=600, fields=["requests"])
    raw = store.query("visitors", T0, T0 + 7200, every=600, fields=["requests"])
    assert auto["requests"].tolist() == raw["requests"].tolist()
    store.delete_before("visitors", T0 + 7200)  # raw gone: the rollup still answers
    again = query_auto(store, "visitors", T0, T0 + 7200, every=3600, fields=["requests"])
    assert again["requests"].tolist() == [720, 720]


def test_query_auto_reads_the_recent_part_from_raw_data(store: EmbeddedStore) -> None:
    rollup(store, "visitors", T0, T0 + 3600)  # the second hour is not rolled up yet
    df = query_auto(store, "visitors", T0, T0 + 7200, every=60, fields=["requests"])
    assert df["requests"].sum() == 1440


def test_retention_drops_old_raw_points_but_keeps_rollups(store: EmbeddedStore) -> None:
    rollup(store, "visitors", T0, T0 + 7200)
    apply_retention(store, T0 + 8 * 86400, raw_days=7, days_1m=90, days_1h=730)
    assert store.points("visitors", T0, T0 + 7200) == []
    assert len(store.points("visitors_1h", T0, T0 + 7200)) == 2


def test_summary_rollup_answers_actor_charts_like_the_full_table() -> None:
    store = EmbeddedStore(":memory:")
    store.write(
        Point("http", {"site": "shop", "source": "t", "actor": actor, "country": country}, {"requests": i % 5 + 1},
              T0 + 10 * i)
        for i in range(360) for actor in ("human", "automated") for country in ("JP", "GB", "US")
    )
    rollup(store, "http", T0, T0 + 3600)
    full = store.query("http_1m", T0, T0 + 3600, fields=["requests"], group_by=["actor"], every=300)
    auto = query_auto(store, "http", T0, T0 + 3600, every=300, fields=["requests"], group_by=["actor"],
                      where={"site": "shop"})
    assert auto["requests"].tolist() == full["requests"].tolist()
    assert len(store.tag_values("http_by_actor_1m", "actor")) == 2
    store.delete_before("http_1m", T0 + 3600)  # the summary alone answers
    again = query_auto(store, "http", T0, T0 + 3600, every=300, fields=["requests"], group_by=["actor"])
    assert again["requests"].tolist() == full["requests"].tolist()
    by_country = query_auto(store, "http", T0, T0 + 3600, every=300, fields=["requests"], group_by=["country"])
    assert by_country.empty  # country is not in the summary: the full rollup (now deleted) is read
