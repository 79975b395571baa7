"""A campaign's measured traffic against its forecast, step by step, as the launch goes on."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from capacity.actuals import track
from capacity.forecast import forecast
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.capacity.conftest import History


def test_the_measured_rate_matches_the_stored_requests_and_the_forecast_band_holds(history: History) -> None:
    store, state = EmbeddedStore(history.store_path, readonly=True), StateDB(history.state_path)
    target = history.target
    f = forecast(store, state, target)
    now = target.start + timedelta(hours=1)
    t = track(store, f, now)
    over = np.array([ts + timedelta(seconds=f.step) <= now for ts in f.times])
    assert np.isnan(t.rps[~over]).all(), "steps not over yet are empty, never zero"
    assert not np.isnan(t.rps[over]).any()
    k = int(np.argmax(f.times >= target.start + timedelta(minutes=10)))
    stored = store.query("http", f.times[k], f.times[k] + timedelta(seconds=f.step), fields=["requests"],
                         where={"site": target.site})
    assert t.rps[k] == float(stored["requests"].sum()) / f.step
    assert t.steps_seen == 60 and t.peak_rps and t.peak_rps > f.baseline[k]
    assert 0.3 < t.ratio < 3.0, "learned from three past campaigns, the forecast is in the right range"
    said = t.summary(target.name)
    assert said and target.name in said and "req/s" in said


def test_traffic_far_above_the_band_says_to_size_beyond_the_plan(history: History, tmp_path) -> None:
    store, state = EmbeddedStore(history.store_path, readonly=True), StateDB(history.state_path)
    f = forecast(store, state, history.target)
    # The same campaign on a copy of its site whose traffic is ten times the p90 from the start on.
    busy = EmbeddedStore(tmp_path / "busy.db")
    start = int(history.target.start.timestamp())
    busy.write(Point("http", {"site": history.target.site, "source": "t"},
                     {"requests": float(f.high.max()) * 10 * 10}, start + 10 * i) for i in range(60))
    t = track(busy, f, history.target.start + timedelta(minutes=10))
    assert t.steps_seen == 10 and t.above_p90 == 10
    assert "size beyond the plan" in t.summary("Spring")
    before = track(busy, f, history.target.start - timedelta(minutes=5))
    assert before.steps_seen == 0 and before.summary("Spring") is None
