"""Live detection with the time-of-day profile from rollups: the daily morning rise is no incident, a surge is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

import alerts.live
from alerts.detection.baseline import DAY
from alerts.detection.seasonal_history import ProfileCache
from alerts.incidents.model import MemoryIncidentSink
from alerts.live import run_detection
from store.embedded import EmbeddedStore
from store.rollup import rollup_range
from tests.alerts.buckets_builder import T0, Component, build, surge

DAY3 = (T0 // DAY + 3) * DAY       # T0 is an evening: two whole days and a night lie before this morning
RISE = DAY3 + 6 * 3600 + 45 * 60   # every morning traffic climbs sixfold between 06:45 and 07:15
SURGE = DAY3 + 9 * 3600            # on the third morning an attack comes at 09:00
END = DAY3 + 9 * 3600 + 20 * 60
# The live window, shortened from 6 h to keep the replay fast. Its start stays before the rise: a 6 h
# window that starts mid-rise (at 13:00) finds only what ended hours ago, which is not reported.
WINDOW = 40 * 60


def _daily(i: int) -> float:
    """Requests per 10 s bucket: a quiet night, a steep rise at 06:45-07:15, the evening's fall."""
    t = T0 + 10 * i
    hour = (t % DAY) / 3600
    x = min(max((hour - 6.75) / 0.5, 0.0), 1.0)
    fall = min(max((hour - 20.0) / 3.0, 0.0), 1.0)
    return 5.0 + 25.0 * x * x * (3 - 2 * x) * (1 - fall)


@pytest.fixture(scope="module")
def store() -> Iterator[EmbeddedStore]:
    buckets = (END - T0) // 10
    people = Component(_daily, countries={"DE": 1.0}, asset_ratio=0.0)  # few slices: a cheap replay
    attack = Component(surge((SURGE - T0) // 10, 60.0, rise=3, decay=1e6), actor="automated", client="script",
                       countries={"US": 1.0}, asset_ratio=0.0, prefixes=4, datacenter=1.0, rpc=40.0)
    s = EmbeddedStore(":memory:")
    s.write(build([people, attack], buckets, seed=11))
    rollup_range(s, T0, END)
    for m in ("http", "visitors", "networks"):  # raw buckets kept for the live window only, as retention would
        s.delete_before(m, RISE - WINDOW - 15 * 60)
    yield s
    s.close()


def _replay(store: EmbeddedStore, times: Iterable[int], profiles: ProfileCache | None,
            stop_at_first: bool) -> list[int]:
    """run_detection at each time; the times at which incidents were raised."""
    sink = MemoryIncidentSink()
    raised = []
    for now in times:
        if run_detection(store, sink, now, profiles):
            raised.append(now)
            if stop_at_first:
                break
    return raised


def test_the_daily_morning_rise_is_flagged_by_a_flat_baseline_but_not_with_the_profile_from_rollups(
        store, monkeypatch) -> None:
    monkeypatch.setattr(alerts.live, "HISTORY_SECONDS", WINDOW)
    flat = _replay(store, range(RISE, RISE + 30 * 60, 10), None, stop_at_first=True)
    assert flat, "the flat baseline should take the morning rise for a surge"
    profiles = ProfileCache()
    # Every 10 s through the rise, then each minute while the window still starts before it.
    steps = [*range(RISE, RISE + 30 * 60, 10), *range(RISE + 30 * 60, RISE + WINDOW, 60)]
    assert _replay(store, steps, profiles, stop_at_first=False) == []
    assert profiles.reads >= 1 and profiles.failures == 0
    assert profiles.get(store, "shop", RISE - WINDOW) is not None  # the profile came from the rollups


def test_an_attack_on_the_third_morning_is_still_raised_within_30_seconds(store, monkeypatch) -> None:
    monkeypatch.setattr(alerts.live, "HISTORY_SECONDS", WINDOW)
    raised = _replay(store, range(SURGE, SURGE + 120, 10), ProfileCache(), stop_at_first=True)
    assert raised and raised[0] - SURGE <= 30
    sink = MemoryIncidentSink()
    (incident,) = run_detection(store, sink, SURGE + 600, ProfileCache())
    assert incident.start <= SURGE + 30 and incident.verdict == "bot"
