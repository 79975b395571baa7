"""When the audience gets a campaign: published send-time studies, local-time sends, multi-day runs, timing band."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from campaigns.model import Channel, parse_campaign
from capacity import timing
from capacity.forecast import forecast
from capacity.learning import prior_response
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB

START = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


def _cumulative(channel: Channel, hours: list[float], send: datetime = START) -> list[float]:
    r = prior_response(channel)
    minutes = np.arange(0, 72 * 60) + 0.5
    morning = timing.morning_after(send, None) if r.morning_share else None
    rps = r.rps(minutes, 1.0, 1.0, morning)
    rps[:2] -= r.burst_per_recipient / 120
    cum = np.cumsum(rps) * 60
    return [float(cum[int(h * 60) - 1] / cum[-1]) for h in hours]


def test_the_email_default_answers_as_getresponses_5_5_billion_emails_did() -> None:
    """GetResponse (July 2019 - June 2020, 5.5 bn emails): 33.6 % of clicks in hour 1, 51.4 % by 3 h, 81 % by 24 h."""
    one, three, day = _cumulative(Channel.EMAIL, [1, 3, 24])
    assert one == pytest.approx(0.336, abs=0.05)
    assert three == pytest.approx(0.514, abs=0.05)
    assert day == pytest.approx(0.81, abs=0.05)


def test_the_email_default_has_a_next_morning_bump() -> None:
    r = prior_response(Channel.EMAIL)
    minutes = np.arange(0, 40 * 60) + 0.5
    at = timing.morning_after(START, None)
    assert at == pytest.approx(23 * 60)  # sent at 10:00 UTC: back at 09:00 the next day
    curve = r.rps(minutes, 1e6, 1.0, at)
    night, morning = curve[int(at) - 5 * 60], curve[int(at)]
    assert morning > 1.3 * night


def test_sms_is_answered_within_the_hour() -> None:
    """SMS: 90 % read within 3 minutes, 99 % within 20 (MobileSquared, via Tatango): clicks follow within the hour."""
    (hour,) = _cumulative(Channel.SMS, [1])
    assert hour > 0.95


def _site(tmp_path):  # noqa: ANN202
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    t0 = int(START.timestamp())
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 200, "bytes": 1}, t)
                for t in range(t0 - 3 * 3600, t0 - 3600, 10))
    return store, state


def test_a_send_at_local_time_in_europe_and_japan_peaks_twice(tmp_path) -> None:
    store, state = _site(tmp_path)
    c = parse_campaign({"name": "World Sale", "channel": "email", "start": "2025-04-01T09:00:00+02:00",
                        "audience": 300_000, "site": "shop", "regions": ["DE", "JP"]})  # the start is Berlin's send
    sends = timing.sends(c)
    assert sorted(round(m) for m, _, _ in sends) == [-420, 0]  # 09:00 in Tokyo is 7 hours before 09:00 in Berlin
    f = forecast(store, state, c)
    tokyo = f.times.get_loc(pd_ts("2025-04-01T00:00:00Z")) + 31  # around its peak, 30 min after 09:00 JST
    berlin = f.times.get_loc(pd_ts("2025-04-01T07:00:00Z")) + 31
    quiet = f.times.get_loc(pd_ts("2025-04-01T06:30:00Z"))
    assert f.uplift_p50[tokyo] > 2 * f.uplift_p50[quiet] and f.uplift_p50[berlin] > 2 * f.uplift_p50[quiet]
    assert any("local-time send in 2 zones" in e for e in f.evidence)


def test_regions_in_one_zone_keep_the_start_as_given() -> None:
    c = parse_campaign({"name": "EU", "channel": "email", "start": START.isoformat(), "audience": 1000,
                        "regions": ["DE", "FR", "IT"]})
    assert [m for m, _, _ in timing.sends(c)] == [0.0]


def test_a_week_long_ads_campaign_is_a_pulse_a_day_not_one(tmp_path) -> None:
    store, state = _site(tmp_path)
    c = parse_campaign({"name": "Spring Ads", "channel": "ads", "start": START.isoformat(),
                        "end": (START + timedelta(days=7)).isoformat(), "audience": 2_000_000, "site": "shop"})
    f = forecast(store, state, c)
    assert f.times[-1] > START + timedelta(days=6)
    days = [float(f.uplift_p50[(f.times >= START + timedelta(days=k)) & (f.times < START + timedelta(days=k, hours=6))]
                  .max()) for k in range(7)]
    assert all(d > 0 for d in days) and days[0] > days[3] > days[6]
    assert any("runs 7 days" in e for e in f.evidence)


def test_an_emails_end_is_only_its_reporting_window() -> None:
    c = parse_campaign({"name": "News", "channel": "email", "start": START.isoformat(),
                        "end": (START + timedelta(days=3)).isoformat(), "audience": 1000})
    assert len(timing.sends(c)) == 1


def test_the_band_covers_a_send_a_quarter_hour_early(tmp_path) -> None:
    store, state = _site(tmp_path)
    c = parse_campaign({"name": "Push", "channel": "push", "start": START.isoformat(), "audience": 500_000,
                        "site": "shop"})
    f = forecast(store, state, c)
    early = f.times.get_loc(pd_ts(START - timedelta(minutes=10)))
    assert f.uplift_p50[early] == 0 and f.uplift_p90[early] > 0 and f.uplift_p10[early] == 0
    assert any("earlier or later" in e for e in f.evidence)


def pd_ts(t):  # noqa: ANN001, ANN201
    import pandas as pd

    return pd.Timestamp(t).tz_convert("UTC") if pd.Timestamp(t).tzinfo else pd.Timestamp(t, tz="UTC")
