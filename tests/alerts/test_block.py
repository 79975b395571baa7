"""Block suggestions name the attack's networks, never mail image proxies, link scanners or crawlers."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from alerts.analyze_cli import analyze_logs
from alerts.block import suggest_block
from alerts.correlate import CampaignInfo
from alerts.service_networks import NEVER_BLOCK, is_service_network
from simulate.addresses import DATACENTER_PREFIXES, IMAGE_PROXY_PREFIXES, MAIL_SCANNER_PREFIXES
from simulate.scenarios import build
from store.base import Point
from store.embedded import EmbeddedStore

T0 = 1_750_000_000


def _networks(store: EmbeddedStore, t: int, rows: dict[tuple[str, str], tuple[int, int]]) -> None:
    store.write(Point("networks", {"site": "shop", "source": "t", "prefix": p, "asn": a},
                      {"requests": n, "login_posts": 0, "auth_failures": 0, "automated": auto}, t)
                for (p, a), (n, auto) in rows.items())


def test_service_networks_cover_the_published_proxy_scanner_and_crawler_ranges() -> None:
    assert is_service_network("66.102.7.0/24")        # Gmail image proxy
    assert is_service_network("40.107.12.0/24")       # Exchange Online Protection
    assert is_service_network("66.249.66.0/24")       # Googlebot
    assert not is_service_network("34.65.1.0/24")     # Google Cloud customers are not Google's crawler
    assert not is_service_network("not a prefix")


def test_block_names_the_attackers_but_not_image_proxies_scanners_crawlers_or_people() -> None:
    store = EmbeddedStore(":memory:")
    for i in range(30):  # the reference: people only
        _networks(store, T0 + 10 * i, {("81.2.69.0/24", "Andrews & Arnold"): (20, 0)})
    attack = {("81.2.69.0/24", "Andrews & Arnold"): (40, 1),            # the campaign's people
              ("34.65.1.0/24", "GOOGLE"): (300, 300),                  # the attacker, in a cloud
              ("5.9.12.0/24", "HETZNER"): (200, 200),
              ("66.102.7.0/24", "GOOGLE"): (150, 150),                 # Gmail's image proxy
              ("40.107.12.0/24", "MICROSOFT-CORP-MSN-AS-BLOCK"): (120, 120),  # Safe Links
              ("66.249.66.0/24", "GOOGLE"): (50, 50)}                  # Googlebot
    for i in range(30, 40):
        _networks(store, T0 + 10 * i, attack)
    s = suggest_block(store, "shop", T0 + 300, T0 + 390, T0, T0 + 290, 1.0)
    assert sorted(s.cidrs) == ["34.65.1.0/24", "5.9.12.0/24"]
    assert "deny 34.65.1.0/24;" in s.nginx


def test_bot_during_campaign_block_leaves_out_image_proxies_and_mail_scanners(tmp_path: Path) -> None:
    sim = build("bot_during_campaign", 11)  # the run that once suggested Gmail's image proxy
    path = tmp_path / "a.log"
    sim.write(path)
    spikes = analyze_logs([path], [CampaignInfo.of(c) for c in sim.campaigns], progress=False)["spikes"]
    blocks = [s["block"] for s in spikes if s["verdict"] in ("bot", "mixed")]
    assert blocks and blocks[0]["cidrs"], "the attack gets a block suggestion"
    cidrs = [ipaddress.ip_network(c) for b in blocks for c in b["cidrs"]]
    services = [ipaddress.ip_network(p) for p in IMAGE_PROXY_PREFIXES[:2] + MAIL_SCANNER_PREFIXES + NEVER_BLOCK]
    assert not [c for c in cidrs if any(c.version == s.version and c.subnet_of(s) for s in services)]
    if sim.params["bot_kind"] == "credential_stuffing":
        dc = [ipaddress.ip_network(p) for p in DATACENTER_PREFIXES]
        assert all(any(c.version == d.version and c.subnet_of(d) for d in dc) for c in cidrs)
