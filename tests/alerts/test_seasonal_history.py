"""The time-of-day profile read from rollups: the same as learned from the raw buckets, cached, never a crash."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from alerts.detection.baseline import DAY, SLOT_SECONDS, SeasonalProfile
from alerts.detection.seasonal_history import ProfileCache, read_profile, slot_totals
from store.base import Point, TimeSeriesStore
from store.embedded import EmbeddedStore
from store.rollup import rollup_range
from tests.services import free_port

SITE = "shop"
D0 = 1_780_000_000 // DAY * DAY
END = D0 + 2 * DAY + 2 * 3600
GAP = (D0 + DAY + 3 * 3600, D0 + DAY + 4 * 3600)  # the collector was silent: zero traffic


def _rate(t: int) -> float:
    hour = (t % DAY) / 3600
    return 0.3 + 4.0 * max(0.0, math.sin(math.pi * (hour - 6) / 16)) if 6 <= hour <= 22 else 0.3


def _traffic(seed: int = 5) -> tuple[list[Point], dict[int, float]]:
    """Raw http points per actor, and the judged requests (all but mail scanners') per 10 s bucket."""
    rng = np.random.default_rng(seed)
    points, judged = [], {}
    for t in range(D0, END, 10):
        if GAP[0] <= t < GAP[1]:
            continue
        counts = {"human": int(rng.poisson(_rate(t))), "automated": int(rng.poisson(0.4)),
                  "scanner": int(rng.poisson(3.0)) if (t % DAY) // 3600 == 9 else 0}
        if t == D0:
            counts["human"] += 1  # the history starts with the first bucket
        for actor, n in counts.items():
            if n:
                points.append(Point("http", {"site": SITE, "source": "web1", "actor": actor, "country": "DE"},
                                    {"requests": n}, t))
        judged[t] = float(counts["human"] + counts["automated"])
    return points, judged


def _learned(judged: dict[int, float], end: int) -> SeasonalProfile:
    profile = SeasonalProfile()
    for t in range(D0, end, 10):
        profile.add(t, judged.get(t, 0.0))
    return profile


@pytest.fixture(params=["embedded", pytest.param("influxdb", marks=pytest.mark.service)])
def store(request: pytest.FixtureRequest) -> Iterator[TimeSeriesStore]:
    if request.param == "embedded":
        s: TimeSeriesStore = EmbeddedStore(":memory:")
    else:
        from store.influxdb import InfluxStore

        svc = request.getfixturevalue("influxd_service")
        s = InfluxStore(svc.url, request.getfixturevalue("influx_database"), retries=2)
    yield s
    s.close()


@pytest.fixture
def rolled(store: TimeSeriesStore) -> tuple[TimeSeriesStore, dict[int, float]]:
    points, judged = _traffic()
    store.write(points)
    rollup_range(store, D0, END)
    store.delete_before("http", END)  # raw buckets gone, as retention would: only rollups are left
    return store, judged


def test_profile_from_rollups_equals_the_one_learned_from_raw_buckets(rolled) -> None:
    store, judged = rolled
    primed = read_profile(store, SITE, END)
    assert primed is not None
    learned = _learned(judged, END)
    assert primed.span() == learned.span()
    want, got = learned.slot_means(), primed.slot_means()
    assert set(got) == set(want) == set(range(DAY // SLOT_SECONDS))
    for slot, mean in want.items():
        assert got[slot] == pytest.approx(mean, rel=1e-9, abs=1e-9), slot
    for t in (D0 + 2 * DAY + 3600, D0 + 2 * DAY + 12 * 3600):  # the factors detection uses agree
        assert primed.factor(t, range(int(t) - 1800, int(t), 10)) == pytest.approx(
            learned.factor(t, range(int(t) - 1800, int(t), 10)), rel=1e-9)
    morning = D0 + 3 * DAY + 7 * 3600 + 900
    assert primed.factor(morning, range(int(morning) - 1800, int(morning), 10)) > 1.05  # mornings climb


def test_less_than_two_whole_days_of_history_gives_no_profile(rolled) -> None:
    store, _ = rolled
    assert read_profile(store, SITE, D0 + 2 * DAY) is None   # the last bucket is 10 s short of two days
    assert read_profile(store, SITE, D0 + 2 * DAY + SLOT_SECONDS) is not None
    assert read_profile(store, "another.example", END) is None


def test_hours_without_minute_rollups_come_from_the_hourly_ones_spread_over_their_slots() -> None:
    store = EmbeddedStore(":memory:")
    points, judged = _traffic()
    store.write(points)
    rollup_range(store, D0, END)
    store.delete_before("http", END)
    store.delete_before("http_by_actor_1m", D0 + DAY)  # the 1-minute rollups of day one are gone
    totals = slot_totals(store, SITE, D0, END)
    for hour in range(D0, D0 + DAY, 3600):
        in_hour = sum(judged.get(t, 0.0) for t in range(hour, hour + 3600, 10))
        for t in range(hour, hour + 3600, SLOT_SECONDS):
            assert totals[t] == pytest.approx(in_hour / 4)
    for t in range(D0 + DAY, END, SLOT_SECONDS):  # later slots keep their own minute-level values
        assert totals.get(t, 0.0) == pytest.approx(sum(judged.get(b, 0.0) for b in range(t, t + SLOT_SECONDS, 10)))
    assert read_profile(store, SITE, END) is not None
    store.close()


def test_cache_reads_a_site_once_per_refresh_and_again_when_stale() -> None:
    store = EmbeddedStore(":memory:")
    points, _ = _traffic()
    store.write(points)
    rollup_range(store, D0, END)
    cache = ProfileCache(refresh=900)
    first = cache.get(store, SITE, END)
    assert first is not None
    for step in range(1, 90):  # every 10 s for 15 minutes: no new read
        assert cache.get(store, SITE, END + 10 * step) is first
    assert cache.reads == 1
    assert cache.get(store, SITE, END + 900) is not first and cache.reads == 2
    assert cache.get(store, "another.example", END) is None and cache.reads == 3
    store.close()


def test_unreachable_store_is_counted_and_detection_goes_on_without_a_profile(caplog) -> None:
    from store.influxdb import InfluxStore

    store = InfluxStore(f"http://127.0.0.1:{free_port()}", "surgewatch", retries=1)
    cache = ProfileCache()
    assert cache.get(store, SITE, END) is None
    assert cache.failures == 1 and cache.reads == 0
    assert "profile of site shop not read" in caplog.text and "unreachable" in caplog.text
    store.close()


def test_three_weeks_of_rollups_give_the_day_of_the_week_profile() -> None:
    store = EmbeddedStore(":memory:")
    start = D0 - D0 % (7 * DAY)  # a Thursday (epoch day 0)
    end = start + 16 * DAY
    judged: dict[int, float] = {}
    points = []
    for t in range(start, end, SLOT_SECONDS):  # one point per 15 min: busy weekday mornings, quiet weekends
        weekend = (t // DAY) % 7 in (2, 3)
        n = 5 if weekend or (t % DAY) < 9 * 3600 else 20
        points.append(Point("http", {"site": SITE, "source": "web1", "actor": "human", "country": "DE"},
                            {"requests": n}, t))
        judged[t] = float(n)
    store.write(points)
    rollup_range(store, start, end)
    store.delete_before("http", end)
    primed = read_profile(store, SITE, end)
    learned = SeasonalProfile()
    for t in range(start, end, 10):
        learned.add(t, judged.get(t, 0.0))
    assert primed is not None and primed.weekly() and learned.weekly()
    for day in (18, 19, 20):  # Monday, Tuesday ... and Sunday (17) below
        t = start + day * DAY + 9 * 3600 + 900
        before = range(t - 3600, t - 1800, 10)
        assert primed.factor(t, before) == pytest.approx(learned.factor(t, before), rel=1e-9) == pytest.approx(4.0)
    sunday = start + 17 * DAY + 9 * 3600 + 900
    assert primed.factor(sunday, range(sunday - 3600, sunday - 1800, 10)) == pytest.approx(1.0)
    store.close()
