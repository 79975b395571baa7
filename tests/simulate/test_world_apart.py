"""The simulator's world is its own: it shares no list with the detector.

The detector reads published ranges and agent signatures from ``reference`` (and its own
``alerts.judgement.service_networks`` / collector defaults built from them). The simulator may not import
them, and its networks may lie inside a published range only where a group says it deliberately
models that service (Googlebot in Google's crawler ranges, Private Relay users in Apple's egress
ranges, corporate VPN users in cloud ranges). Every other group, and every residential address it
hands people, must sit outside every published range. Its agent strings are its own too.
"""

from __future__ import annotations

import ast
import ipaddress
from pathlib import Path

import pytest

from alerts.judgement.service_networks import NEVER_BLOCK
from collectors.weblog.mail_security import DEFAULT_MAIL_SECURITY_NETWORKS
from reference import agents as reference_agents
from reference import networks as reference_networks
from simulate.addresses import country_pool
from simulate.agents import ALL_FIXED_AGENTS, IMAGE_PROXY_AGENTS, app_agents, browser_agents
from simulate.networks import GROUPS, NetworkGroup

SIMULATE = Path(__file__).resolve().parents[2] / "simulate"
FORBIDDEN = ("reference", "alerts", "collectors")

# published lists the detector uses, by what they are
PUBLISHED: dict[str, tuple[str, ...]] = {
    "search_crawler": reference_networks.search_crawlers(),
    "image_proxy": reference_networks.image_proxies(),
    "mail_security": reference_networks.mail_security(),
    "private_relay": reference_networks.private_relay(),
    "cloud": tuple(c for cidrs in reference_networks.clouds().values() for c in cidrs),
}
# a group modelling X may overlap the published lists of these kinds (Apple's Mail Privacy Protection
# proxies sit in Apple's own 17/8, which the reference files under Apple's crawler network, and in relay egress)
MAY_OVERLAP: dict[str, set[str]] = {
    "search_crawler": {"search_crawler"}, "image_proxy": {"image_proxy", "search_crawler", "private_relay"},
    "mail_security": {"mail_security"}, "private_relay": {"private_relay"}, "cloud": {"cloud"},
}
DETECTOR_LISTS = (NEVER_BLOCK, DEFAULT_MAIL_SECURITY_NETWORKS)


def _overlapping(prefix: str, cidrs: tuple[str, ...]) -> list[str]:
    net = ipaddress.ip_network(prefix)
    return [c for c in cidrs if (n := ipaddress.ip_network(c)).version == net.version
            and (net.subnet_of(n) or n.subnet_of(net))]  # type: ignore[arg-type]


def test_no_simulator_module_imports_the_detector_or_its_reference_data() -> None:
    offending = []
    for path in sorted(SIMULATE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offending += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offending == []


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_network_groups_overlap_published_ranges_only_of_the_service_they_model(group: NetworkGroup) -> None:
    allowed = MAY_OVERLAP.get(group.models or "", set())
    for prefix in group.prefixes:
        for kind, cidrs in PUBLISHED.items():
            if kind not in allowed:
                assert not _overlapping(prefix, cidrs), f"{group.name} {prefix} overlaps published {kind} ranges"
        if group.models is None:
            for cidrs in DETECTOR_LISTS:
                assert not _overlapping(prefix, cidrs), f"{group.name} {prefix} is in the detector's own lists"
    # and no group is a copy of a published list
    for cidrs in (*PUBLISHED.values(), *DETECTOR_LISTS):
        assert set(group.prefixes) != set(cidrs)


def test_the_overlap_check_can_fail() -> None:
    assert _overlapping("66.249.66.0/24", PUBLISHED["search_crawler"])
    assert _overlapping("40.107.0.0/16", PUBLISHED["mail_security"])
    assert not _overlapping("81.2.69.0/24", PUBLISHED["search_crawler"] + PUBLISHED["cloud"])


@pytest.mark.parametrize("country", ["DE", "US", "JP", "BR", "GB"])
def test_people_at_home_sit_outside_every_published_and_detector_range(country: str) -> None:
    everything = reference_networks.NetworkSet(sum(PUBLISHED.values(), ()) + sum(DETECTOR_LISTS, ()))
    pool = country_pool(country, 1, 600)
    assert len(pool) > 100
    assert [ip for ip in pool if everything.contains(ip)] == []


def test_agent_strings_are_the_simulators_own() -> None:
    import random

    signatures = reference_agents.signatures()
    published = {t for key in ("mail_scanner", "headless", "script_prefixes", "app_hints") for t in signatures[key]}
    published |= {a for e in signatures["search_engines"].values() for a in e["agents"]}
    published.add(signatures["mail_privacy_proxy_agent"])
    rng = random.Random(5)
    simulated = {a for fixed in ALL_FIXED_AGENTS for a in fixed} | set(browser_agents(rng, 300)) | set(app_agents(rng))
    # only Apple Mail Privacy Protection's bare "Mozilla/5.0" is shared, because the image proxies model it
    assert simulated & published == {"Mozilla/5.0"} and "Mozilla/5.0" in IMAGE_PROXY_AGENTS
    assert all(tuple(fixed) != tuple(signatures[key]) for fixed in ALL_FIXED_AGENTS for key in signatures
               if isinstance(signatures[key], list))
