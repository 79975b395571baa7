"""Robust learning: a flop, a test send or an outlier among past campaigns is shown and left out, never learned."""

from __future__ import annotations

import math
import shutil
from datetime import timedelta

import pytest

from campaigns.model import Channel, parse_campaign
from capacity.forecast import forecast
from capacity.learning import MAX_SPREAD, combine, judge
from capacity.plan import build_plan
from capacity.response import Fit
from capacity.settings import CapacitySettings
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.capacity.conftest import History

SETTINGS = CapacitySettings(rps_per_instance=5, instances=2, instance_cost_per_hour=0.2)


def _fit(name: str, per: float, *, audience: int = 50_000, snr: float = 40.0, peak: float = 5.0) -> Fit:
    return Fit(name, name, audience, 0.0, 20.0, 90.0, per, peak, 3.0, 0.0, snr, 1.0)


def _with_flop(history: History, tmp_path, status: str = "planned") -> StateDB:
    """The history's state DB plus a past email that brought nothing: announced, never really sent."""
    shutil.copy(history.state_path, tmp_path / "state.db")
    state = StateDB(tmp_path / "state.db")
    when = history.campaigns[1].start - timedelta(minutes=90)
    state.upsert_campaign(parse_campaign({"id": "flop", "name": "Flop", "channel": "email", "start": when.isoformat(),
                                          "audience": 150_000, "site": history.campaigns[1].site, "status": status}))
    return state


def test_a_past_send_that_brought_nothing_is_shown_with_its_reason_and_not_learned(history: History,
                                                                                    tmp_path) -> None:
    store = EmbeddedStore(history.store_path)
    state = _with_flop(history, tmp_path)
    target = history.target.model_copy(update={"audience": 180_000})
    f = forecast(store, state, target)
    assert [x.campaign_id for x in f.response.learned] == [c.id for c in history.campaigns[:3]]
    (flop, why), = f.response.left_out
    assert flop.campaign_id == "flop" and "no measurable uplift" in why
    assert any("not learned from: Flop" in e for e in f.evidence)
    past = {p["id"]: p for p in f.summary()["past_campaigns"]}
    assert past["flop"]["learned"] is False and past[history.campaigns[0].id]["learned"] is True


def test_a_flop_among_past_campaigns_leaves_a_180000_recipient_plan_as_it_was(history: History, tmp_path) -> None:
    """The case that once planned 41,399 instances: three real emails and one flop, then a bigger send."""
    store = EmbeddedStore(history.store_path)
    target = history.target.model_copy(update={"audience": 180_000})
    clean = build_plan(store, StateDB(history.state_path), target, SETTINGS)
    flopped = build_plan(store, _with_flop(history, tmp_path), target, SETTINGS)
    assert flopped.peak_instances == clean.peak_instances
    assert flopped.extra_instance_hours == pytest.approx(clean.extra_instance_hours, rel=0.1)
    assert not flopped.capped and flopped.peak_instances < 40
    r = flopped.forecast.response
    assert r.per_recipient_p90 / r.per_recipient_p50 <= MAX_SPREAD + 1e-9


def test_a_test_send_to_a_handful_is_left_out() -> None:
    kept, out = judge([_fit("a", 0.3), _fit("seed list", 4.0, audience=40), _fit("b", 0.4)])
    assert [f.name for f in kept] == ["a", "b"]
    assert out[0][0].name == "seed list" and out[0][1].startswith("test send")


def test_an_uplift_within_the_noise_is_a_flop_even_when_its_fit_is_not_zero() -> None:
    kept, out = judge([_fit("a", 0.3), _fit("noise", 0.02, snr=2.5, peak=0.3)])
    assert [f.name for f in kept] == ["a"] and "no measurable uplift" in out[0][1]


def test_a_size_far_from_the_others_median_is_an_outlier() -> None:
    kept, out = judge([_fit("a", 0.3), _fit("b", 0.25), _fit("c", 0.35), _fit("misrouted", 0.001)])
    assert {f.name for f in kept} == {"a", "b", "c"} and out[0][0].name == "misrouted"
    assert "outlier" in out[0][1]


def test_the_spread_is_bounded_when_two_past_campaigns_disagree_widely() -> None:
    r = combine(Channel.EMAIL, [_fit("a", 0.5), _fit("b", 0.01)])
    assert r.per_recipient_p90 / r.per_recipient_p50 == pytest.approx(MAX_SPREAD)
    assert r.per_recipient_p50 == pytest.approx(math.sqrt(0.5 * 0.01))


def test_the_median_resists_one_high_campaign() -> None:
    r = combine(Channel.EMAIL, [_fit("a", 0.3), _fit("b", 0.32), _fit("c", 0.28), _fit("big", 3.0)])
    assert r.per_recipient_p50 == pytest.approx(math.sqrt(0.3 * 0.32))


def test_only_flops_fall_back_to_the_channel_default_and_say_why() -> None:
    r = combine(Channel.EMAIL, [_fit("flop", 0.0, snr=0.4, peak=0.01)])
    assert r.learned == [] and "channel default" in r.source
    assert any("not learned from: flop" in e for e in r.evidence)
