"""The live verdict moves to or from bot only on sustained evidence; outages are stored as incidents."""

from __future__ import annotations

from alerts.incidents.model import Incident, MemoryIncidentSink
from alerts.incidents.verdict_stability import settle
from alerts.live import run_detection
from store.embedded import EmbeddedStore
from tests.alerts.buckets_builder import SITE, T0, Component, build, steady

HUMAN_SIDE = {"verdict": "campaign", "confidence": 0.7, "campaign": "Spring Sale", "evidence": ["people"],
              "looks_like": None}


def reading(verdict: str, bot_share: float, end: int, *, human_ratio: float = 0.2, automated_ratio: float = 1.0,
            send_of: str | None = None, automated_rate: float = 0.0) -> Incident:
    """One evaluation of the same growing surge, as the analysis gives it."""
    return Incident(id="shop-1", site=SITE, start=T0, end=end, peak_rps=20.0, baseline_rps=5.0, verdict=verdict,
                    confidence=0.8, campaign=None, evidence=[f"{verdict} evidence"],
                    block={"cidrs": ["5.9.1.0/24"]} if verdict in ("bot", "mixed") else None, bot_share=bot_share,
                    extra={"human_ratio": human_ratio, "automated_ratio": automated_ratio, "send_of": send_of,
                           "automated_rate": automated_rate,
                           "alternative": HUMAN_SIDE if verdict in ("bot", "mixed") else None})


def shown(readings: list[Incident]) -> list[str]:
    prev, out = None, []
    for inc in readings:
        inc = settle(inc, prev)
        prev = inc.to_dict()
        out.append(inc.verdict)
    return out


def test_a_wavering_bot_reading_inside_a_campaign_surge_never_shows_bot() -> None:
    raws = [("campaign", 0.05, 2.0), ("bot", 0.5, 0.7), ("campaign", 0.1, 1.5), ("bot", 0.45, 0.8),
            ("bot", 0.5, 0.8), ("campaign", 0.1, 2.0), ("campaign", 0.1, 2.5)]
    readings = [reading(v, s, T0 + 10 * k, human_ratio=h, automated_ratio=0.2) for k, (v, s, h) in enumerate(raws)]
    assert "bot" not in shown(readings)


def test_a_weak_bot_reading_opens_on_the_people_side_and_turns_bot_after_30_seconds() -> None:
    readings = [reading("bot", 0.7, T0 + 10 * k, automated_ratio=0.2) for k in range(4)]
    assert shown(readings) == ["campaign", "campaign", "bot", "bot"]
    assert "lasts" in settle(reading("bot", 0.7, T0, automated_ratio=0.2), None).evidence[-1]


def test_a_clear_attack_is_bot_at_once() -> None:
    assert shown([reading("bot", 0.95, T0, automated_ratio=2.0)]) == ["bot"]


def test_a_young_attack_whose_programs_alone_double_the_traffic_is_bot_at_once() -> None:
    # Twenty seconds in, the 5-minute ratio is still small; the rate says programs carry it.
    assert shown([reading("bot", 0.9, T0, automated_ratio=0.1, automated_rate=3.0)]) == ["bot"]
    assert shown([reading("bot", 0.9, T0, automated_ratio=0.1, automated_rate=0.5)]) == ["campaign"]


def test_bot_is_never_shown_while_an_announced_send_explains_the_automated_part() -> None:
    readings = [reading("bot", 0.95, T0 + 10 * k, send_of="Spring Sale") for k in range(5)]
    assert set(shown(readings)) == {"campaign"}
    assert any("send of Spring Sale" in e for e in readings[-1].evidence)


def test_bot_stays_while_the_reading_hovers_near_its_threshold() -> None:
    raws = [("bot", 0.95, 0.1)] + [("mixed", 0.32, 0.9), ("bot", 0.4, 0.7)] * 3
    readings = [reading(v, s, T0 + 10 * k, human_ratio=h) for k, (v, s, h) in enumerate(raws)]
    assert set(shown(readings)) == {"bot"}
    assert readings[1].block == {"cidrs": ["5.9.1.0/24"]}  # the held verdict keeps its block suggestion


def test_the_same_buckets_judged_twice_do_not_count_as_sustained() -> None:
    readings = [reading("bot", 0.7, T0, automated_ratio=0.2) for _ in range(5)]
    assert set(shown(readings)) == {"campaign"}


def test_a_drop_to_zero_is_stored_once_as_a_drop_incident() -> None:
    hist = 1440
    store = EmbeddedStore(":memory:")
    store.write(build([Component(lambda i: 60.0 if i < hist + 100 else 0.0), Component(steady(0.0))],
                      hist + 100, seed=3))
    sink = MemoryIncidentSink()
    now = T0 + 10 * (hist + 130)
    try:
        found = run_detection(store, sink, now)
        writes = sink.writes
        run_detection(store, sink, now)
    finally:
        store.close()
    drops = [i for i in found if i.verdict == "drop"]
    assert len(drops) == 1 and drops[0].status == "open"
    assert "Traffic fell to 0.0 req/s" in drops[0].evidence[0]
    assert sink.writes == writes and list(sink.incidents) == [drops[0].id]
