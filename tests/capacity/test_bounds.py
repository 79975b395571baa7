"""Sanity bounds: absurd numbers are refused with the field and its range; possible but unusual ones are warned of."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.model import parse_campaign
from capacity.bounds import BoundsError, check, fleet_cap
from capacity.forecast import ForecastError, forecast
from capacity.plan import Capacity, make_plan
from capacity.settings import CapacitySettings
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB

START = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def site(tmp_path) -> tuple[EmbeddedStore, StateDB]:
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    t0 = int(START.timestamp())
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 200, "bytes": 1}, t)
                for t in range(t0 - 3 * 3600, t0 - 3600, 10))  # 20 req/s
    return store, state


def _email(audience: float, **extra) -> object:
    return parse_campaign({"name": "Big One", "channel": "email", "start": START.isoformat(), "audience": 1000,
                           "site": "shop", **extra}).model_copy(update={"audience": audience})


@pytest.mark.parametrize("audience", [10**12, 1e38, 10**10 + 1])
def test_an_absurd_audience_is_refused_with_its_range(site, audience) -> None:
    store, state = site
    with pytest.raises(ForecastError, match=r"audience .* outside the sane range .* at most 1e\+10"):
        forecast(store, state, _email(audience))


@pytest.mark.parametrize(("name", "value", "says"), [
    ("audience", math.inf, "not a finite number"),
    ("audience", float("nan"), "not a finite number"),
    ("spend", -5, "at least 0"),
    ("rps_per_instance", 0, "over 0"),
    ("click_rate", 1.5, "at most 1"),
    ("audience", "lots", "not a number"),
])
def test_non_finite_negative_and_absurd_values_name_the_field(name, value, says) -> None:
    with pytest.raises(BoundsError, match=says) as err:
        check(name, value)
    assert str(err.value).startswith(name)


def test_values_inside_their_bounds_pass_unchanged() -> None:
    assert check("audience", 180_000) == 180_000 and check("spend", 0) == 0 and check("spend", None) is None


def test_max_instances_defaults_to_twenty_times_todays_fleet_and_the_plan_says_it_is_capped(site) -> None:
    store, state = site
    f = forecast(store, state, _email(5_000_000))
    plan = make_plan(f, Capacity(25, 2, []), CapacitySettings(rps_per_instance=25, instances=2))
    assert plan.capped and plan.peak_instances == 40 == fleet_cap(2, None)[0]
    said = " ".join(plan.summary()["warnings"])
    assert "capped at 20 × today's 2 instance(s) = 40" in said and "over 10× today's 2" in said


def test_an_audience_far_beyond_the_sites_past_ones_is_warned_of(site) -> None:
    store, state = site
    state.upsert_campaign(parse_campaign({"id": "past", "name": "Past", "channel": "email", "site": "shop",
                                          "start": (START - timedelta(days=3)).isoformat(), "audience": 20_000}))
    f = forecast(store, state, _email(2_000_000))
    assert any("over 10× the largest past email audience of shop (20,000)" in w for w in f.warnings)
    assert not forecast(store, state, _email(150_000)).warnings


def test_a_negative_or_infinite_spend_gives_no_spend_per_lead_and_says_why(site) -> None:
    store, state = site
    f = forecast(store, state, _email(100_000).model_copy(update={"spend": -300.0}))
    plan = make_plan(f, Capacity(25, 2, []), CapacitySettings(rps_per_instance=25, instances=2))
    assert plan.spend_per_lead is None and any("spend -300" in w for w in plan.warnings)
