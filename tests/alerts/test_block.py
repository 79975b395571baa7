"""Block suggestions name the attack's networks, never mail image proxies, link scanners or crawlers.

The expected answers come from what the simulation declares (which requests were people's, which
came from the services it models) and from addresses the operators document, never from the
detector's own lists (``alerts.judgement.service_networks``), which are the thing under test.
"""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

from alerts.judgement.block import suggest_block
from alerts.judgement.correlate import CampaignInfo
from alerts.judgement.service_networks import is_service_network
from collectors.weblog.pipeline import ingest_lines
from commands.analyze import analyze_logs
from simulate.addresses import BINGBOT_PREFIXES, DATACENTER_PREFIXES, GOOGLEBOT_PREFIXES, prefix_pool
from simulate.agents import SEARCH_CRAWLER_AGENTS
from simulate.logline import CombinedFormatter
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
    # what the simulation declares: the send's scanners and proxies, the campaign's and the shop's people
    spared = {ipaddress.ip_address(r[1]) for r in sim.records if sim.roles[r[9]] in ("scanner", "human", "baseline")}
    assert not [c for c in cidrs if any(ip in c for ip in spared)]
    if sim.params["bot_kind"] == "credential_stuffing":
        dc = [ipaddress.ip_network(p) for p in DATACENTER_PREFIXES]
        assert all(any(c.version == d.version and c.subnet_of(d) for d in dc) for c in cidrs)


def _with_crawl_burst(sim, t0: float, t1: float, rps: float) -> list[str]:  # noqa: ANN001
    """The simulation's lines with Googlebot and bingbot crawling hard in [t0, t1), from their own networks."""
    rng = random.Random(3)
    crawlers = [(ip, SEARCH_CRAWLER_AGENTS[0]) for ip in prefix_pool(rng, GOOGLEBOT_PREFIXES, 16)] + \
        [(ip, SEARCH_CRAWLER_AGENTS[2]) for ip in prefix_pool(rng, BINGBOT_PREFIXES, 6)]
    burst = []
    for i in range(int((t1 - t0) * rps)):
        ip, agent = rng.choice(crawlers)
        burst.append((t0 + i / rps, ip, "GET", f"/products/p{i % 300}", "HTTP/1.1", 200, 5_000, "-", agent, 99))
    fmt = CombinedFormatter(sim.utc_offset_minutes)
    return [fmt.line(r) for r in sorted(sim.records + burst, key=lambda r: r[0])]


def test_thin_botnet_is_blocked_whole_with_default_collector_settings_and_crawlers_never() -> None:
    # credential stuffing from ~600 cloud /24s, 1-2 requests each per 10 s bucket, and a crawl burst
    sim = build("credential_stuffing", 1, history_hours=0.25, surge_hours=0.15, base_rps=5, bot_factor=15.0,
                bot_minutes=8.0)
    attack = int(sim.start.timestamp() + 0.25 * 3600) // 10 * 10
    store = EmbeddedStore(":memory:")
    ingest_lines(_with_crawl_burst(sim, attack + 60, attack + 420, 3.0), store, site="shop", source="t",
                 salt=b"b" * 32)
    t0, t1, r0, r1 = attack, attack + 470, attack - 600, attack - 10
    per_bucket = store.query("networks", t0 + 120, t1, fields=["requests"], where={"prefix": [
        str(ipaddress.ip_network(f"{r[1]}/24", strict=False)) for r in sim.records if r[-1] == 2]},
        group_by=["prefix"], every=10)
    assert per_bucket["prefix"].nunique() >= 400 and per_bucket["requests"].median() <= 2
    crawled = store.query("http", t0, t1, fields=["requests"], where={"client": "search_crawler"})
    assert crawled["requests"].sum() >= 1000  # the pipeline verified the crawlers ...
    nets = store.query("networks", t0, t1, fields=["automated"], group_by=["prefix"])
    crawlers = [ipaddress.ip_network(p) for p in GOOGLEBOT_PREFIXES + BINGBOT_PREFIXES]  # where the burst came from
    crawler_nets = nets[[p != "other" and any(ipaddress.ip_network(p).subnet_of(c) for c in crawlers
                                                  if c.version == ipaddress.ip_network(p).version)
                         for p in nets["prefix"]]]
    assert crawler_nets["automated"].max() >= 100  # ... kept their networks, busy enough to be named

    s = suggest_block(store, "shop", t0, t1, r0, r1, 1.0)
    extra = nets[nets["prefix"] != "other"]["automated"].sum()
    assert s.share >= 0.8 and s.requests >= 0.8 * (extra - crawler_nets["automated"].sum())
    assert len(s.cidrs) >= 400 and s.nginx.count("deny ") == len(s.cidrs)
    assert not [c for c in s.cidrs if any(ipaddress.ip_network(c).overlaps(n) for n in crawlers)]
    dc = [ipaddress.ip_network(p) for p in DATACENTER_PREFIXES]
    assert all(any(ipaddress.ip_network(c).subnet_of(d) for d in dc) for c in s.cidrs)


def test_adjacent_prefixes_are_suggested_as_one_cidr() -> None:
    from alerts.judgement.block import _collapse

    quad = [f"203.0.{i}.0/24" for i in range(112, 116)]
    assert _collapse([*quad, "198.51.100.0/24", "2001:db8:1::/48", "2001:db8::/48"]) == [
        "198.51.100.0/24", "203.0.112.0/22", "2001:db8::/47"]
    assert _collapse(["not a prefix", "10.0.0.0/24"]) == ["10.0.0.0/24"]
