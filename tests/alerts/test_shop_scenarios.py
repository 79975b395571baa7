"""``analyze`` on a shop's hand-written traffic (``shop_traffic``): the app's own clients, scalper bots that
drive real browsers, a strong daily rhythm, a campaign whose landing fails. Each scenario's truth is what an
analyst would say of it; nothing is checked against the detector's own lists."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from alerts.judgement.correlate import CampaignInfo
from commands.analyze import analyze_logs, table
from tests.alerts.shop_traffic import CUSTOMERS, PROXIES, SCENARIOS


def run(name: str, seed: int, tmp_path: Path) -> tuple[dict, str]:
    shop, truth = SCENARIOS[name](seed)
    log = shop.write(tmp_path / f"{name}-{seed}.log")
    return analyze_logs([log], [CampaignInfo.of(c) for c in shop.campaigns], progress=False), truth


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


def inside(cidrs: list[str], ranges: list[str]) -> list[str]:
    nets = [ipaddress.ip_network(r) for r in ranges]
    return [c for c in cidrs if any(ipaddress.ip_network(c).overlaps(n) for n in nets)]


@pytest.mark.parametrize("seed", [21, 22])
def test_an_app_push_campaign_is_the_campaigns_and_never_offers_customers_networks(seed: int,
                                                                                   tmp_path: Path) -> None:
    report, truth = run("app_push", seed, tmp_path)
    (spike,) = report["spikes"]
    assert spike["verdict"] == truth and spike["campaign"] == "App push spring"
    assert any("usual clients" in e for e in spike["evidence"])
    for s in report["spikes"]:
        assert not inside((s.get("block") or {}).get("cidrs", []), [r for v, _ in CUSTOMERS.values() for r in v])


@pytest.mark.parametrize("seed", [31, 32])
def test_scalpers_driving_browsers_are_bots_with_their_signs_and_a_rate_limit(seed: int, tmp_path: Path) -> None:
    report, truth = run("scalper_drop", seed, tmp_path)
    (spike,) = report["spikes"]
    assert spike["verdict"] == truth
    told = " ".join(spike["evidence"])
    for sign in ("cart and checkout", "refused with 4xx", "no referrer", "orders collapse"):
        assert sign in told, sign
    block = spike["block"]
    assert not inside(block["cidrs"], [r for v, _ in CUSTOMERS.values() for r in v] + PROXIES)
    assert "limit_req zone=" in block["nginx"] and "cart|checkout" in block["nginx"]
    assert "checkout" in block["rate_limit"]


def test_a_flash_sale_of_people_who_order_is_no_bot(tmp_path: Path) -> None:
    report, truth = run("flash_sale", 41, tmp_path)
    (spike,) = report["spikes"]
    assert spike["verdict"] == truth and spike["campaign"] == "Flash sale push"
    assert not any("behave like bots" in e for e in spike["evidence"])


def test_days_with_a_strong_rhythm_are_judged_against_their_other_days(tmp_path: Path) -> None:
    # three days of a shop whose offices open at 8:00, quiet and bursty nights; a push at 02:00 on the third
    report, truth = run("office_days_night_push", 1, tmp_path)
    (spike,) = report["spikes"]  # no night of the other days is a surge: every night has its busy moments
    assert spike["verdict"] == truth and spike["campaign"] == "Night owls push"
    assert spike["start"].startswith("2026-03-12T02:0")
    assert spike["baseline_rps"] > 0


def test_credential_stuffing_with_the_apps_agent_is_no_usual_client(tmp_path: Path) -> None:
    report, truth = run("app_agent_stuffing", 51, tmp_path)
    (spike,) = report["spikes"]
    assert spike["verdict"] == truth
    assert not any("usual clients" in e for e in spike["evidence"])  # its failures are not the app's
    assert not inside(spike["block"]["cidrs"], [r for v, _ in CUSTOMERS.values() for r in v])


def test_a_small_sends_failing_landing_is_an_errors_item_too(tmp_path: Path) -> None:
    # half a visit per second at its peak: a few 404s a bucket, every one of the campaign's arrivals failing
    report, _ = run("small_broken_landing", 61, tmp_path)
    (err,) = report["errors"]
    assert err["what"] == "utm_campaign=spring26" and err["campaign"] == "Spring sale newsletter"
