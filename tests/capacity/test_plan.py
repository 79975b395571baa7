"""The scaling plan: warm-up before demand, scale-down after the peak, cost per lead from the numbers."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from campaigns.model import parse_campaign
from capacity.forecast import Forecast, forecast
from capacity.plan import Capacity, PlanError, advice, capacity_of, make_plan
from capacity.settings import CapacitySettings
from config import ConfigError, load_settings
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB

START = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def fc(tmp_path) -> Forecast:
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    t0 = int(START.timestamp())
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 200, "bytes": 1}, t)
                for t in range(t0 - 3 * 3600, t0 - 3600, 10))  # 20 req/s
    c = parse_campaign({"name": "Spring Sale", "channel": "email", "start": START.isoformat(), "audience": 400_000,
                        "site": "shop", "spend": 3000, "currency": "EUR"})
    return forecast(store, state, c)


SETTINGS = CapacitySettings(rps_per_instance=25, instances=2, headroom=0.2, warmup_minutes=10, cooldown_minutes=30,
                            instance_cost_per_hour=0.5)


def test_scale_up_is_one_warm_up_before_the_upper_band_outgrows_todays_fleet(fc: Forecast) -> None:
    plan = make_plan(fc, Capacity(25, 2, []), SETTINGS)
    need = np.ceil(fc.high * 1.2 / 25 - 1e-9)
    first_short = fc.times[int(np.argmax(need > 2))]
    assert plan.scale_up_at == first_short - pd.Timedelta(minutes=10)
    assert plan.peak_instances == int(need.max())
    assert plan.schedule[fc.times.get_loc(first_short)] >= need[fc.times.get_loc(first_short)]


def test_scale_down_comes_a_cool_down_after_the_last_short_minute_past_the_peak(fc: Forecast) -> None:
    plan = make_plan(fc, Capacity(25, 2, []), SETTINGS)
    need = np.ceil(fc.high * 1.2 / 25 - 1e-9)
    last_short = fc.times[int(np.flatnonzero(need > 2)[-1])]
    assert plan.scale_down_at > fc.peak_time
    assert plan.scale_down_at == last_short + pd.Timedelta(minutes=30 + 1)
    assert plan.steps[-1] == (plan.scale_down_at, 2)


def test_cost_and_cost_per_lead_come_from_instance_hours_and_leads(fc: Forecast) -> None:
    plan = make_plan(fc, Capacity(25, 2, []), SETTINGS)
    hours = float((plan.schedule - 2).sum()) / 60
    assert plan.extra_instance_hours == pytest.approx(hours)
    assert plan.extra_cost == pytest.approx(hours * 0.5)
    leads = fc.extra_leads()[1]
    assert plan.cost_per_lead == pytest.approx(hours * 0.5 / leads)
    assert plan.spend_per_lead == pytest.approx(3000 / leads)
    s = plan.summary()
    assert s["cost"]["extra_cost"] == round(hours * 0.5, 2) and s["plan"]["peak_instances"] == plan.peak_instances


def test_advice_names_the_times_counts_warm_up_and_cool_down(fc: Forecast) -> None:
    plan = make_plan(fc, Capacity(25, 2, []), SETTINGS)
    text = advice(plan, "Europe/Paris")
    local = plan.scale_up_at.tz_convert("Europe/Paris").strftime("%H:%M")
    if plan.full_at == plan.scale_up_at:  # one step: said once
        assert f"Scale up from 2 instance(s) to {plan.peak_instances} instances (+" in text
        assert f"at {local} (" in text and text.count(local) == 1
    else:
        assert f"Scale up from 2 instance(s) at {local}" in text
        assert f"reaching {plan.peak_instances} instances" in text
    assert "warm-up 10 min" in text and "back to 2 at" in text and "cool-down 30 min" in text


def test_a_gradual_scale_up_says_when_it_starts_and_when_the_peak_count_is_reached(fc: Forecast) -> None:
    from dataclasses import replace

    plan = make_plan(fc, Capacity(25, 2, []), SETTINGS)
    later = replace(plan, full_at=plan.scale_up_at + pd.Timedelta(minutes=7))
    text = advice(later, "UTC")
    assert f"at {plan.scale_up_at:%H:%M} (" in text and f"reaching {plan.peak_instances} instances" in text
    assert f"at {later.full_at:%H:%M};" in text


def test_a_big_enough_fleet_needs_no_scaling_and_costs_nothing(fc: Forecast) -> None:
    plan = make_plan(fc, Capacity(25, 500, []), SETTINGS)
    assert plan.scale_up_at is None and plan.extra_cost == 0 and plan.steps == []
    assert "No scaling needed" in advice(plan)


def test_max_instances_caps_the_plan_and_says_so(fc: Forecast) -> None:
    capped = SETTINGS.model_copy(update={"max_instances": 4})
    plan = make_plan(fc, Capacity(25, 2, []), capped)
    assert plan.peak_instances == 4 and plan.capped
    assert any("capped at capacity.max_instances = 4" in n for n in plan.warnings)


def test_unknown_capacity_per_instance_says_what_to_configure(fc: Forecast) -> None:
    with pytest.raises(PlanError, match=r"\[capacity\] rps_per_instance.*collectors.prometheus"):
        make_plan(fc, Capacity(None, 2, []), CapacitySettings())


def test_capacity_per_instance_is_estimated_from_origin_metrics(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "ts.db")
    t0 = int(START.timestamp()) - 86400
    pts = []
    for i in range(0, 6 * 360):
        t = t0 + 10 * i
        rps = 40 + 40 * math.sin(i / 200) ** 2  # 40..80 req/s over 4 instances: 10..20 per instance
        for metric, value in (("rps", rps), ("instances", 4), ("cpu", rps / 40)):
            pts.append(Point("origin", {"site": "shop", "source": "prom", "metric": metric},
                             {"value": value, "peak": value}, t))
    store.write(pts)
    cap = capacity_of(store, "shop", CapacitySettings(), START)
    assert cap.instances == 4
    assert 19 <= cap.rps_per_instance <= 20
    assert "busiest 5 %" in cap.evidence[1] and "CPU cores per instance" in cap.evidence[1]


@pytest.mark.parametrize(("key", "value", "says"), [
    ("HEADROOM", "-0.5", "greater than or equal to 0"),
    ("CURRENCY", "EURO", "ISO 4217"),
    ("RPS_PER_INSTANCE", "0", "greater than 0"),
    ("WARMUP_MINUTES", "lots", "valid number"),
    ("DEPLOYMENT", "Shop_Web", "not a Kubernetes name"),
    ("NAMESPACE", "-prod", "not a Kubernetes name"),
])
def test_bad_capacity_settings_name_the_key_and_what_is_allowed(monkeypatch, key: str, value: str,
                                                                 says: str) -> None:
    monkeypatch.setenv(f"SURGEWATCH_CAPACITY__{key}", value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert f"capacity.{key.lower()}" in str(err.value) and says in str(err.value)


def test_max_below_min_instances_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("SURGEWATCH_CAPACITY__MIN_INSTANCES", "5")
    monkeypatch.setenv("SURGEWATCH_CAPACITY__MAX_INSTANCES", "3")
    with pytest.raises(ConfigError, match="max_instances 3 is below min_instances 5"):
        load_settings()
