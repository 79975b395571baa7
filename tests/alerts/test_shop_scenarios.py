"""``analyze`` on a shop's hand-written traffic (``shop_traffic``): the app's own clients, scalper bots that
drive real browsers, a strong daily rhythm, a campaign whose landing fails. Each scenario's truth is what an
analyst would say of it; nothing is checked against the detector's own lists."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from alerts.judgement.correlate import CampaignInfo
from commands.analyze import analyze_logs, table
from tests.alerts.shop_traffic import CUSTOMERS, SCENARIOS


def run(name: str, seed: int, tmp_path: Path) -> tuple[dict, str]:
    shop, truth = SCENARIOS[name](seed)
    log = shop.write(tmp_path / f"{name}-{seed}.log")
    return analyze_logs([log], [CampaignInfo.of(c) for c in shop.campaigns], progress=False), truth


def customers_networks() -> list[ipaddress.IPv4Network]:
    return [ipaddress.ip_network(r) for ranges, _ in CUSTOMERS.values() for r in ranges]


def test_a_campaign_whose_landing_answers_404_gets_an_errors_item_naming_it(tmp_path: Path) -> None:
    report, truth = run("broken_landing", 4, tmp_path)
    (spike,) = report["spikes"]
    assert spike["verdict"] == truth and spike["campaign"] == "Spring sale newsletter"
    (err,) = report["errors"]
    assert err["kind"] == "errors" and err["what"] == "utm_campaign=spring26"
    assert err["campaign"] == "Spring sale newsletter"
    assert err["start"] < spike["end"] and spike["start"] < err["end"]  # the same time
    assert any("landing of Spring sale newsletter fails" in e for e in spike["evidence"])
    assert "ERRORS in utm_campaign=spring26" in table(report) and "campaign: Spring sale newsletter" in table(report)
