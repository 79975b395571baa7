"""The labelled scenario suite: every simulated class judged right on fixed seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.judgement.correlate import CampaignInfo
from alerts.judgement.service_networks import is_service_network
from commands.analyze import analyze_logs
from simulate.scenarios import SCENARIOS, build

SIZE = {"scale": 0.5, "history_hours": 2.5, "surge_hours": 1.0}  # small and fast; the bench goes wider
SEEDS = {s: 7 for s in SCENARIOS}


def judged(scenario: str, tmp_path: Path) -> tuple:
    sim = build(scenario, SEEDS[scenario], **SIZE)
    path = tmp_path / f"{scenario}.log"
    sim.write(path)
    report = analyze_logs([path], [CampaignInfo.of(c) for c in sim.campaigns], progress=False)
    return sim, report["spikes"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_gets_the_true_verdict(scenario: str, tmp_path: Path) -> None:
    sim, spikes = judged(scenario, tmp_path)
    if not sim.truth:
        assert spikes == []
        return
    truth = sim.truth[0]
    assert [s["verdict"] for s in spikes] == [truth.label]
    spike = spikes[0]
    assert spike["campaign"] == truth.campaign
    if truth.label == "organic":
        assert spike["looks_like"] == truth.looks_like
    assert len(spike["evidence"]) >= 3 and all(any(ch.isdigit() for ch in e) for e in spike["evidence"][:2])
    assert spike["peak_rps"] > spike["baseline_rps"] > 0
    if truth.label in ("bot", "mixed"):
        assert not [c for c in spike["block"]["cidrs"] if is_service_network(c)]
        if sim.params["bot_kind"] == "credential_stuffing" or scenario in ("scraper", "credential_stuffing"):
            # attacks from hosting networks are blocked by network; a residential botnet may not be
            assert spike["block"]["cidrs"], "a bot or mixed verdict comes with networks to block"
    else:
        assert spike["block"] is None


def test_an_email_surge_tells_its_peak_with_and_without_the_send_burst(tmp_path: Path) -> None:
    """The headline's peak is the judged traffic's; the incident's counts the scanners' burst at the send too,
    and the evidence says so, so the two figures never read as a contradiction."""
    sim = build("campaign_surge", 2, scale=0.5, history_hours=2.0, surge_hours=0.5)
    path = tmp_path / "email.log"
    sim.write(path)
    (spike,) = analyze_logs([path], [CampaignInfo.of(c) for c in sim.campaigns], progress=False)["spikes"]
    headline, burst = spike["evidence"][:2]
    judged_peak = float(headline.split()[1])
    assert "(mail link scanners left out)" in headline and judged_peak < spike["peak_rps"]
    assert burst.startswith("With the mail link scanners and image proxies of the send, the peak was "
                            f"{spike['peak_rps']:.1f} req/s")
