"""A primed time-of-day profile: the same state as one learned value by value, and read only in the baseline."""

from __future__ import annotations

import numpy as np

from alerts.baseline import DAY, SLOT_SECONDS, RollingBaseline, SeasonalProfile

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
