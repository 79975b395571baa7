"""New visits as the total's leading signal: when arrivals surge, and when they must not count."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alerts.detection.arrivals import HISTORY, after_send, send_bursts, surging
from alerts.detection.buckets import load_traffic
from alerts.detection.slices import TOTAL, find_surges
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build
from store.embedded import EmbeddedStore


def arrivals(n: int, rate: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).poisson(rate, n).astype(float)


def test_the_readers_of_a_send_are_due_after_its_scanner_burst_and_first_clicks() -> None:
    scanners = np.zeros(2000)
    scanners[1000:1006] = 80.0  # the send's mail scanners clicking every link
    due = after_send(send_bursts(scanners), len(scanners))
    assert not due[:1009].any(), "not before the send, nor during its burst and first readers"
    assert due[1009:1275].all()
    assert not due[1275:].any(), "45 min after the burst its readers are no longer due"


def test_a_jump_in_new_visits_shows_within_the_window_and_not_before() -> None:
    x = arrivals(900, 0.3, seed=1)
    x[600:] += 5.0  # a viral post: five more visitors every 10 s
    on = surging(x)
    assert not on[:600].any()
    assert on[600:603].any()


def test_seven_visits_in_30_s_from_where_none_come_are_a_surge() -> None:
    x = np.zeros(900)
    x[::60] = 1.0        # one social visit every ten minutes
    x[600:602] = (4, 3)  # a post links the site: seven in the next 20 s
    on = surging(x)
    assert not on[:600].any()
    assert on[601], "a small site's viral post shows on its second bucket"


def test_ordinary_arrivals_never_surge() -> None:
    for seed in range(5):
        assert not surging(arrivals(2000, 0.5, seed)).any()
        assert not surging(arrivals(2000, 6.0, seed + 10)).any()


def test_a_send_first_wave_does_not_raise_the_usual_rate_of_the_hour_after() -> None:
    x = arrivals(900, 0.3, seed=2)
    x[400:412] += 50.0  # the first readers of a send, all at delivery
    x[600:] += 4.0      # the campaign's surge building later
    on = surging(x)
    assert on[400:412].any()
    assert on[600:603].any(), "the wave must not hide the surge for the hour after"
    assert not on[420:600].any()


def test_arrivals_that_stay_up_a_whole_history_become_the_new_normal() -> None:
    x = arrivals(2400, 0.3, seed=3)
    x[600:] += 4.0
    on = surging(x)
    assert on[600:603].any()
    assert not on[600 + 2 * HISTORY:].any()


@pytest.mark.parametrize(("scenario", "seed"), [("viral_social", 5), ("press_flash_crowd", 1)])
def test_a_slow_surge_on_a_small_site_opens_when_it_doubles_the_traffic(scenario: str, seed: int) -> None:
    sim = build(scenario, seed, scale=0.7, history_hours=2.5, surge_hours=0.5)
    store = EmbeddedStore(":memory:")
    ingest_lines(sim.lines(), store, site="s", source="t", options=WeblogOptions(own_hosts=[sim.site]))
    traffic = load_traffic(store, "s", int(sim.start.timestamp()), int(sim.end.timestamp()) + 10)
    store.close()
    doubled = sim.truth[0].doubled.timestamp()
    led = [g.detected_at for g in find_surges(traffic).surges if g.end >= sim.truth[0].start.timestamp()]
    unled = [g.detected_at for g in find_surges(traffic, total_detector=replace(TOTAL, z_led=0.0)).surges
             if g.end >= sim.truth[0].start.timestamp()]
    assert led and led[0] <= doubled + 10, "new visits surging: the bucket that doubles the traffic or the next"
    assert unled and unled[0] > led[0], "without them the same surge waits for buckets in a row"


@pytest.mark.xfail(strict=True, reason="issue 14: on the new world's draw of this seed the send rule confirms the "
                   "trickling campaign 120 s after its traffic doubled")
def test_a_small_campaign_whose_readers_trickle_in_opens_once_they_double_the_traffic() -> None:
    # only the listed vendors' scanners: the send rule, not unknown scanners' burst, is what is measured here
    sim = build("campaign_surge", 137, scale=0.4, history_hours=3.0, surge_hours=0.5, pool_size=300, agents=150,
                surge_factor=6.0, unlisted_scanner_share=0.0)
    store = EmbeddedStore(":memory:")
    ingest_lines(sim.lines(), store, site="s", source="t", options=WeblogOptions(own_hosts=[sim.site]))
    traffic = load_traffic(store, "s", int(sim.start.timestamp()), int(sim.end.timestamp()) + 10)
    store.close()
    onset, doubled = sim.truth[0].start.timestamp(), sim.truth[0].doubled.timestamp()

    def detected(config: object) -> list[int]:
        return [g.detected_at for g in find_surges(traffic, total_detector=config).surges if g.end >= onset]

    shipped, unsent = detected(TOTAL), detected(replace(TOTAL, sustain_sent=0))
    assert shipped and shipped[0] <= doubled + 10, "the send says its readers are due: two buckets in a row"
    assert unsent and unsent[0] > doubled + 60, "without it the same surge waits for three"
