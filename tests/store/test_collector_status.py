"""What silence is usual for a collector: gaps learned in a fading histogram, with a floor."""

from __future__ import annotations

from store import collector_status as cs


def test_usual_gaps_are_learned_with_a_floor_and_old_ones_fade() -> None:
    assert cs.stale_after(None) is None
    busy = None
    for i in range(30):
        busy = cs.record_gap(busy, 2.0, 1000.0 + 2 * i)
    assert cs.usual_gap(busy) == 2.0 and cs.stale_after(busy, poll_every=2.0) == cs.STALE_FLOOR
    quiet = None
    for i in range(30):
        quiet = cs.record_gap(quiet, 55.0, 1000.0 + 55 * i)
    assert cs.usual_gap(quiet) == 64.0 and cs.stale_after(quiet) == 3 * 64.0
    few = None
    for i in range(cs.MIN_GAPS - 1):
        few = cs.record_gap(few, 2.0, 1000.0 + i)
    assert cs.stale_after(few) is None  # not enough seen to call a silence unusual
    old = None
    for i in range(100):
        old = cs.record_gap(old, 600.0, 1000.0 + i)
    for i in range(100):
        old = cs.record_gap(old, 2.0, 1000.0 + 10 * 86_400 + i)
    assert cs.usual_gap(old) == 2.0  # ten days on, the long gaps of before count for little


def test_durations_read_as_people_say_them() -> None:
    assert [cs.say_duration(s) for s in (None, 45, 300, 9000, 364_676_619)] == [
        "", "45 s", "5 min", "2.5 h", "4220.8 days"]
