"""Live advice: a campaign far under its forecast is scaled down, one far over is sized beyond the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.model import parse_campaign
from capacity.actuals import track
from capacity.live import SUSTAIN_MINUTES, advise, due
from capacity.plan import build_plan
from capacity.settings import CapacitySettings
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB

START = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
SETTINGS = CapacitySettings(rps_per_instance=25, instances=2, headroom=0.2)


def _site(tmp_path, extra_rps: float, minutes: int):  # noqa: ANN202
    """20 req/s of baseline before the send, then 20 + ``extra_rps`` for ``minutes`` after it."""
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    t0 = int(START.timestamp())
    pts = [Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 200, "bytes": 1}, t)
           for t in range(t0 - 3 * 3600, t0 - 3600, 10)]
    pts += [Point("http", {"site": "shop", "source": "t", "actor": "human"},
                  {"requests": round((20 + extra_rps) * 10), "bytes": 1}, t) for t in range(t0, t0 + minutes * 60, 10)]
    store.write(pts)
    c = parse_campaign({"name": "Spring Sale", "channel": "email", "start": START.isoformat(), "audience": 400_000,
                        "site": "shop"})
    state.upsert_campaign(c)
    return store, state, c


def test_a_campaign_that_stays_under_its_p10_is_told_to_scale_down_now(tmp_path) -> None:
    store, state, c = _site(tmp_path, 0.0, 40)
    now = START + timedelta(minutes=40)
    plan = build_plan(store, state, c, SETTINGS, now=START)
    said = advise(plan, track(store, plan.forecast, now), now)
    assert said is not None and said.kind == "scale_down" and said.instances == 2
    assert "scale down now to 2 instance(s)" in said.message and f"for {SUSTAIN_MINUTES} min" in said.message


def test_a_campaign_above_its_p90_is_told_to_size_beyond_the_plan(tmp_path) -> None:
    store, state, c = _site(tmp_path, 900.0, 30)
    now = START + timedelta(minutes=30)
    plan = build_plan(store, state, c, SETTINGS, now=START)
    said = advise(plan, track(store, plan.forecast, now), now)
    assert said is not None and said.kind == "size_beyond"
    assert said.instances >= 920 * 1.2 / 25 and said.instances > plan.peak_instances
    assert "size beyond the plan" in said.message


def test_no_advice_before_the_campaign_has_run_long_enough(tmp_path) -> None:
    store, state, c = _site(tmp_path, 0.0, 5)
    now = START + timedelta(minutes=5)
    plan = build_plan(store, state, c, SETTINGS, now=START)
    assert advise(plan, track(store, plan.forecast, now), now) is None


@pytest.mark.parametrize(("extra", "kind"), [(0.0, "scale_down"), (900.0, "size_beyond")])
def test_the_notification_hook_gives_the_same_advice_keyed_by_campaign(tmp_path, extra: float, kind: str) -> None:
    store, state, c = _site(tmp_path, extra, 40)
    notes = due(store, state, SETTINGS, START + timedelta(minutes=40))
    assert [(n.kind, n.key["campaign"]) for n in notes] == [(kind, c.id)]
