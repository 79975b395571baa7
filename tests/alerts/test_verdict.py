"""Verdicts on stored buckets: campaign, organic, bot, mixed, each with its evidence."""

from __future__ import annotations

import ipaddress

import pytest

from alerts.analysis import analyze_site
from alerts.judgement.correlate import CampaignInfo
from store.embedded import EmbeddedStore
from tests.alerts.buckets_builder import SITE, T0, Component, build, steady, surge

HIST = 1440  # 4 h of 10 s buckets before the surge
N = HIST + 360


def baseline() -> list[Component]:
    return [Component(steady(60.0)), Component(steady(6.0), actor="automated", client="script", asset_ratio=0,
                                               prefixes=5, datacenter=1.0)]


def analyze(components: list[Component], campaigns: list[CampaignInfo] | None = None, seed: int = 1):
    store = EmbeddedStore(":memory:")
    store.write(build(components, N, seed))
    try:
        return analyze_site(store, SITE, T0, T0 + 10 * N, campaigns or [])
    finally:
        store.close()


SPRING = CampaignInfo(name="Spring Sale APAC", channel="email", start=T0 + 10 * HIST - 60,
                      regions=["JP", "KR", "SG"], utm_campaign="spring_212")
JP = {"JP": 0.6, "KR": 0.25, "SG": 0.15}


def campaign_humans() -> Component:
    return Component(surge(HIST, 300), countries=JP, referrer="email", utm="spring_212")


def test_quiet_baseline_gives_no_incident() -> None:
    assert analyze(baseline()).incidents == []


def test_announced_email_campaign_surge_is_campaign() -> None:
    res = analyze(baseline() + [campaign_humans()], [SPRING])
    assert len(res.incidents) == 1
    inc = res.incidents[0]
    assert inc.verdict == "campaign" and inc.campaign == "Spring Sale APAC"
    assert abs(inc.start - (T0 + 10 * HIST)) <= 20
    assert any("utm_campaign=spring_212" in e for e in inc.evidence)
    assert inc.block is None


def test_same_surge_without_calendar_is_organic_unannounced_campaign() -> None:
    inc = analyze(baseline() + [campaign_humans()]).incidents[0]
    assert inc.verdict == "organic" and inc.campaign is None
    assert inc.looks_like == "unannounced_campaign"


def test_social_surge_is_organic_viral() -> None:
    viral = Component(surge(HIST, 250, rise=30), referrer="social", countries={"US": 0.7, "GB": 0.3})
    inc = analyze(baseline() + [viral], [SPRING]).incidents[0]
    assert inc.verdict == "organic" and inc.looks_like == "viral_social"


def test_credential_stuffing_is_bot_with_block_of_attacking_networks() -> None:
    attack = Component(surge(HIST, 400, rise=2, decay=1e9), actor="automated", client="script", login=True,
                       asset_ratio=0, prefixes=40, datacenter=0.9, rpc=20, countries={"NL": 1.0})
    inc = analyze(baseline() + [attack]).incidents[0]
    assert inc.verdict == "bot"
    assert inc.bot_share > 0.9
    assert any("login" in e for e in inc.evidence)
    assert inc.block
    nets = [ipaddress.ip_network(c) for c in inc.block["cidrs"]]  # adjacent /24s merged into fewer CIDRs
    assert sum(n.num_addresses for n in nets) >= 30 * 256
    assert all(n.subnet_of(ipaddress.ip_network("198.51.0.0/16")) for n in nets)
    assert inc.block["nginx"].count("deny ") == len(inc.block["cidrs"])


def test_bot_attack_during_a_campaign_is_mixed_naming_the_campaign() -> None:
    attack = Component(lambda i: 250.0 if HIST + 60 <= i < HIST + 200 else 0.0, actor="automated",
                       client="script", login=True, asset_ratio=0, prefixes=30, datacenter=1.0)
    res = analyze(baseline() + [campaign_humans(), attack], [SPRING])
    assert len(res.incidents) == 1
    inc = res.incidents[0]
    assert inc.verdict == "mixed" and inc.campaign == "Spring Sale APAC"
    assert inc.block and inc.block["cidrs"]
    assert not any(c.startswith("203.0.") for c in inc.block["cidrs"])


def test_bot_during_campaign_whose_humans_are_no_surge_is_bot() -> None:
    small = Component(surge(HIST, 15), countries=JP, referrer="email", utm="spring_212")
    attack = Component(surge(HIST + 10, 400, rise=2, decay=1e9), actor="automated", client="headless",
                       asset_ratio=0, prefixes=20)
    inc = analyze(baseline() + [small, attack], [SPRING]).incidents[0]
    assert inc.verdict == "bot"


@pytest.mark.parametrize("seed", [2, 3])
def test_human_surge_is_never_called_bot(seed: int) -> None:
    press = Component(surge(HIST, 200, rise=60, decay=800), referrer="other", countries={"GB": 1.0})
    inc = analyze(baseline() + [press], seed=seed).incidents[0]
    assert inc.verdict == "organic" and inc.looks_like == "press"


def test_browser_looking_traffic_without_assets_or_conversions_counts_as_automated() -> None:
    fake = Component(surge(HIST, 300, decay=1e9), asset_ratio=0.0, conversion=0.0, prefixes=50)
    inc = analyze(baseline() + [fake]).incidents[0]
    assert inc.verdict == "bot"
    assert any("load no assets" in e for e in inc.evidence)


def test_campaign_landing_answering_404_is_reported_as_errors() -> None:
    broken = Component(surge(HIST, 60, decay=1e9), countries=JP, referrer="email", utm="spring_212", broken=True,
                       asset_ratio=0.0)
    res = analyze(baseline() + [broken], [SPRING])
    assert any(o.kind == "errors" and o.what == "utm_campaign=spring_212" for o in res.outages)


def test_traffic_falling_to_almost_nothing_is_reported_as_a_drop() -> None:
    base = Component(lambda i: 60.0 if i < HIST + 100 else 1.0)
    res = analyze([base])
    assert [o.kind for o in res.outages] == ["drop"]
    assert res.outages[0].start == T0 + 10 * (HIST + 100)
    assert res.incidents == []
