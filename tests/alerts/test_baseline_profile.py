"""A primed time-of-day profile: the same state as one learned value by value, and read only in the baseline."""

from __future__ import annotations

import numpy as np
import pytest

from alerts.detection.baseline import DAY, SLOT_SECONDS, RollingBaseline, SeasonalProfile

T0 = 1_780_000_000 // DAY * DAY


def test_profile_primed_from_slot_totals_equals_the_one_learned_value_by_value() -> None:
    rng = np.random.default_rng(3)
    learned = SeasonalProfile()
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    times = range(T0, T0 + 2 * DAY + 3600, 10)
    for t in times:
        v = float(rng.poisson(5 + 20 * ((t % DAY) > 7 * 3600)))
        learned.add(t, v)
        slot = (t % DAY) // SLOT_SECONDS
        sums[slot] = sums.get(slot, 0.0) + v
        counts[slot] = counts.get(slot, 0) + 1
    primed = SeasonalProfile.from_slots(sums, counts, times[0], times[-1])
    assert primed.slot_means() == learned.slot_means() and primed.span() == learned.span()
    t = T0 + 2 * DAY + 7 * 3600 + 600
    before = range(int(t) - 1800, int(t), 10)  # the times the local level was measured at
    assert primed.factor(t, before) == learned.factor(t, before) > 2.0


def test_baseline_given_a_profile_uses_it_without_changing_it() -> None:
    profile = SeasonalProfile.from_slots({s: 10.0 * (1 + (s >= 28)) for s in range(96)}, dict.fromkeys(range(96), 1),
                                         T0, T0 + 3 * DAY)
    before = profile.slot_means()
    base = RollingBaseline(window=180, warmup=30, profile=profile)
    start = T0 + 3 * DAY + 6 * 3600 + 30 * 60  # 06:30: the profile doubles at 07:00
    for i in range(180):
        base.add(start + 10 * i, 10.0 + (i % 3))
    assert profile.slot_means() == before
    flat = RollingBaseline(window=180, warmup=30)
    for i in range(180):
        flat.add(start + 10 * i, 10.0 + (i % 3))
    at = start + 1800 + 600
    assert base.expect(at).level > 1.5 * flat.expect(at).level


def test_from_two_weeks_on_the_profile_tells_a_monday_morning_from_a_sunday_morning() -> None:
    def traffic(t: float) -> float:  # 9:00-10:00 is 4x busier than 8:00-9:00 on weekdays, flat at weekends
        day, hour = int(t // DAY) % 7, (t % DAY) / 3600
        weekend = day in (2, 3)  # epoch day 0 was a Thursday: 2 and 3 are Saturday and Sunday
        return 10.0 if weekend or hour < 9 else 40.0

    start = 1_700_006_400.0 - 1_700_006_400.0 % (7 * DAY)  # a week boundary
    learned = SeasonalProfile()
    for k in range(int(15 * DAY // 600)):  # 15 days, one value every 10 min
        learned.add(start + 600 * k, traffic(start + 600 * k))
    assert learned.weekly()
    before = range(0, 1800, 60)
    monday = start + 18 * DAY + 9 * 3600 + 900  # epoch day 4 of the week: a Monday
    sunday = start + 17 * DAY + 9 * 3600 + 900
    assert learned.factor(monday, [monday - 3600 + x for x in before]) == pytest.approx(4.0)
    assert learned.factor(sunday, [sunday - 3600 + x for x in before]) == pytest.approx(1.0)
    daily = SeasonalProfile()
    for k in range(int(6 * DAY // 600)):  # six days only: slots of the day, every day alike
        daily.add(start + 600 * k, traffic(start + 600 * k))
    assert not daily.weekly() and 1.0 < daily.factor(sunday, [sunday - 3600 + x for x in before]) < 4.0
