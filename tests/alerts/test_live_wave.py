"""Live, a wave of programs inside a long campaign surge turns it mixed as soon as the wave is a surge."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.analysis import analyze_site
from alerts.live import run_detection
from campaigns.model import parse_campaign
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build
from store.base import bucket_start
from store.embedded import EmbeddedStore
from store.state import StateDB

WAVE_AT = 15 * 60  # the botnet starts 15 minutes into the campaign


@pytest.fixture(scope="module")
def botnet_in_campaign():  # noqa: ANN201
    sim = build("bot_during_campaign", 4, bot_delay_minutes=WAVE_AT / 60, small_campaign=False,
                bot_kind="l7_botnet", bot_factor=4.0, surge_factor=15.0, scale=0.5, history_hours=2.0, surge_hours=0.75)
    store = EmbeddedStore(":memory:")
    ingest_lines(sim.lines(), store, site=sim.site, source="web1", options=WeblogOptions(own_hosts=[sim.site]))
    yield sim, store
    store.close()


@pytest.mark.xfail(strict=True, reason="issue 14: on the new world's draw (unlisted scanners, the app's customers) "
                   "the live verdict turns mixed 280 s after the wave doubled the traffic, over the 240 s asked")
def test_a_botnet_wave_inside_a_long_campaign_turns_it_mixed_within_minutes(botnet_in_campaign,
                                                                            tmp_path: Path) -> None:
    sim, store = botnet_in_campaign
    state = StateDB(tmp_path / "state.db")
    for c in sim.campaigns:
        state.upsert_campaign(parse_campaign(c))
    onset = int(sim.truth[0].start.timestamp())
    wave = int(sim.bots_doubled().timestamp())
    shown: dict[int, str] = {}
    for now in range(wave - 60, wave + 300, 10):
        for inc in run_detection(store, state, now, profiles=None):
            if inc.verdict not in ("errors", "drop"):
                shown[now - wave] = inc.verdict
    state.close()
    assert all(v == "campaign" for t, v in shown.items() if t < 0), shown  # the campaign alone: no false mixed
    turned = min((t for t, v in shown.items() if v == "mixed"), default=None)
    assert turned is not None and turned <= 240, shown
    inc = next(i for i in StateDB(tmp_path / "state.db").list_incidents() if i["verdict"] == "mixed")
    assert inc["campaign"] == sim.truth[0].campaign
    assert any(e.startswith("In the last 5 min") and "automated" in e for e in inc["evidence"])
    assert inc["block"]["cidrs"], "the wave's networks are named for blocking"
    # Judged over the whole surge so far, the wave is still a small share: the campaign's own verdict.
    end = bucket_start(wave + turned - 5)
    whole = analyze_site(store, sim.site, end - 6 * 3600, end, [], live=False).incidents
    assert whole and whole[0].verdict != "mixed" and onset <= whole[0].start
