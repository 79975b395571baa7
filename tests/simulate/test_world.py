"""The imperfect world's scenarios make the traffic they promise: app users, scalper bots, rhythm, outages."""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache

from simulate.agents import LIBRARY_APP_AGENTS, SCALPER_BROWSER_AGENTS
from simulate.networks import CORPORATE_VPN, PRIVATE_RELAY, UNLISTED_MAIL_SCANNERS
from simulate.scenarios import Simulation, build

START = datetime(2025, 4, 8, 6, 0, tzinfo=UTC)  # a Tuesday


@cache
def sim(scenario: str, seed: int = 3, **overrides) -> Simulation:
    return build(scenario, seed, history_hours=1.0, surge_hours=1.0, start=START, base_rps=8.0, scale=0.25,
                 **overrides)


def _in(ip: str, prefixes: tuple[str, ...]) -> bool:
    return any(ipaddress.ip_address(ip) in ipaddress.ip_network(p) for p in prefixes)


def _part(s: Simulation, role: str) -> list[tuple]:
    return [r for r in s.records if s.roles[r[9]] == role]


def test_push_campaign_is_the_apps_json_calls_from_homes_and_carrier_gateways() -> None:
    s = sim("app_push_campaign")
    people = _part(s, "human")
    assert len(people) > 1000 and s.campaigns[0]["channel"] == "push"
    assert sum(r[8] in LIBRARY_APP_AGENTS for r in people) / len(people) > 0.9
    assert sum(r[3].startswith("/api/") for r in people) / len(people) > 0.9
    assert not any(r[3].startswith(("/static/", "/assets/")) for r in people if r[8] in LIBRARY_APP_AGENTS)
    assert any("okhttp/" in r[8] for r in people) and any("Alamofire/" in r[8] for r in people)
    per_address = Counter(r[1] for r in people)
    assert per_address.most_common(1)[0][1] > 100  # a carrier's CGNAT gateway: many people on one address
    assert len(per_address) > 150                  # and many homes besides
    assert any(r[3].startswith("/api/v2/checkout") for r in people)


def test_scalper_bots_are_browsers_with_assets_that_buy_in_seconds_and_retry() -> None:
    s = sim("scalper_bots")
    bots = _part(s, "bot")
    assert len(bots) > 500 and {r[8] for r in bots} <= set(SCALPER_BROWSER_AGENTS)
    addresses = {r[1] for r in bots}
    assert len({r[8] for r in bots}) <= 4 < len(addresses) / 50  # agent diversity far below the address count
    assert sum(r[3].startswith(("/static/", "/assets/")) for r in bots) / len(bots) > 0.3
    pages = [r for r in bots if r[3].startswith("/products/")]
    assert all(r[7] == "-" for r in pages)  # no referrer
    statuses = Counter(r[5] for r in bots if r[2] == "POST")
    assert statuses[409] and statuses[429]
    orders = sum(r[3] == "/checkout/complete" for r in bots)
    assert orders < 0.05 * len(pages)
    first_page = {}
    for r in sorted(bots):
        first_page.setdefault(r[1], r[0])
    quick = [r for r in bots if r[3] == "/cart/add" and r[0] - first_page[r[1]] < 5]
    assert quick
    base_countries = Counter(r[1] for r in _part(s, "baseline"))
    assert not addresses & set(base_countries)  # proxies' exits, not the shop's customers


def test_daily_rhythm_has_nights_at_a_fifth_and_lunch_and_evening_peaks() -> None:
    s = build("daily_rhythm", 2, start=START, scale=1.0, base_rps=1.5, days=3, tz_offset_minutes=0, market="eu")
    assert s.truth == [] and s.end - s.start >= timedelta(days=2, hours=23)
    hourly = defaultdict(int)
    for r in s.records:
        hourly[(datetime.fromtimestamp(r[0], UTC) + timedelta(hours=1)).hour] += 1  # the eu market's local time
    mean = sum(hourly.values()) / 24
    night = sum(hourly[h] for h in (1, 2, 3, 4)) / 4
    assert night < 0.3 * mean
    assert hourly[13] > 1.4 * hourly[10] and hourly[20] > 1.4 * hourly[16]


def test_broken_landing_answers_404_to_everyone_who_follows_the_link() -> None:
    s = sim("broken_landing")
    landing = s.campaigns[0]["landing"][0]
    hits = [r for r in _part(s, "human") if r[3].split("?")[0].startswith(landing) and not r[3].startswith("/api/")]
    assert len(hits) > 100 and all(r[5] == 404 for r in hits)
    assert s.truth[0].landing_errors and s.truth[0].label == "campaign"


def test_origin_down_flood_fails_people_too() -> None:
    s = sim("origin_down_flood")
    t0 = s.truth[0].start.timestamp() + 90
    window = [r for r in _part(s, "baseline") if t0 <= r[0] < t0 + s.params["outage_minutes"] * 60]
    assert len(window) > 50 and sum(r[5] >= 502 for r in window) / len(window) > 0.8


def test_overlapping_and_slipped_sends() -> None:
    both = sim("overlapping_campaigns")
    first, second = both.campaigns
    assert second["start"] > first["start"] and both.truth[0].campaigns == (first["name"], second["name"])
    slipped = sim("slipped_send")
    planned = datetime.fromisoformat(slipped.campaigns[0]["start"].replace("Z", "+00:00"))
    assert slipped.truth[0].start - planned >= timedelta(minutes=20)
    slug = slipped.campaigns[0]["utm_campaign"]
    sent = slipped.truth[0].start.timestamp()
    assert not [r for r in slipped.records if f"utm_campaign={slug}" in r[3] and r[0] < sent]


def test_relay_vpn_people_and_unlisted_scanners_take_part() -> None:
    s = sim("campaign_via_relays")
    people = _part(s, "human")
    relay = [r for r in people if _in(r[1], PRIVATE_RELAY.prefixes)]
    vpn = [r for r in people if _in(r[1], CORPORATE_VPN.prefixes)]
    assert len(relay) > 0.08 * len(people) and len(vpn) > 0.05 * len(people)
    assert all("Safari/" in r[8] for r in relay if not r[3].startswith("/api/"))
    scanners = _part(sim("campaign_surge"), "scanner")
    assert any(_in(r[1], UNLISTED_MAIL_SCANNERS.prefixes) for r in scanners)
