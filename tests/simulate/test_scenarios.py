"""The simulated logs: deterministic, well-formed, geolocated, with human/bot behaviour and honest truth."""

from __future__ import annotations

import gzip
import ipaddress
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from simulate import scenarios
from simulate.addresses import MAIL_SCANNER_PREFIXES, country_of, is_datacenter
from simulate.scenarios import SCENARIOS, Simulation, build
from simulate.truth import LABELS, declared

COMBINED = re.compile(
    r'^(?P<ip>[0-9a-fA-F.:]+) - - \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/(?:1\.1|2\.0)" (?P<status>\d{3}) (?P<bytes>\d+) '
    r'"(?P<referrer>[^"]*)" "(?P<agent>[^"]*)"$'
)
START = datetime(2025, 4, 7, 6, 0, tzinfo=UTC)  # a Monday
ASSET = re.compile(r"^/(static|assets)/.+\.(css|js|webp|jpg|png|svg|woff2|gif|ico)$")


@cache
def sim(scenario: str, seed: int = 1, **overrides) -> Simulation:
    return build(scenario, seed, history_hours=1.0, surge_hours=1.0, start=START, base_rps=8.0, scale=0.25,
                 **overrides)


def parse(line: str) -> dict:
    match = COMBINED.match(line)
    assert match, f"not a combined log line: {line!r}"
    row = match.groupdict()
    row["ts"] = datetime.strptime(row["time"], "%d/%b/%Y:%H:%M:%S %z")
    return row


def rows(s: Simulation) -> list[dict]:
    return [parse(line) for line in s.lines()]


def test_same_seed_gives_the_same_log_and_labels() -> None:
    a = build("bot_during_campaign", 11, history_hours=0.5, surge_hours=0.5, start=START, scale=0.1)
    b = build("bot_during_campaign", 11, history_hours=0.5, surge_hours=0.5, start=START, scale=0.1)
    c = build("bot_during_campaign", 12, history_hours=0.5, surge_hours=0.5, start=START, scale=0.1)
    assert list(a.lines()) == list(b.lines())
    assert a.truth == b.truth and a.campaigns == b.campaigns
    assert list(a.lines()) != list(c.lines())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_builds_combined_lines_in_time_order(scenario: str) -> None:
    s = sim(scenario)
    parsed = rows(s)
    assert len(parsed) > 1000
    times = [r["ts"] for r in parsed]
    assert times == sorted(times)
    assert s.start <= times[0] and times[-1] < s.end
    for t in s.truth:
        assert t.label in ("campaign", "organic", "bot", "mixed")
        assert s.start <= t.start < t.end <= s.end and t.start.tzinfo is not None


def test_campaign_json_follows_the_schema() -> None:
    s = sim("campaign_surge")
    (c,) = s.campaigns
    assert set(c) == {"id", "name", "channel", "start", "end", "audience", "regions", "landing", "utm_campaign",
                      "spend", "currency", "owner", "site", "status"}
    assert c["channel"] == "email" and c["site"] == s.site and c["status"] == "sent"
    assert c["start"].endswith("Z") and datetime.fromisoformat(c["start"].replace("Z", "+00:00")) == START + \
        timedelta(hours=1)
    assert all(r.isupper() and len(r) == 2 for r in c["regions"]) and c["landing"][0].startswith("/")


def test_campaign_visitors_geolocate_to_the_campaign_regions() -> None:
    s = sim("campaign_surge", regions=("JP", "KR"), market="eu")
    slug = s.campaigns[0]["utm_campaign"]
    after_burst = s.truth[0].start + timedelta(minutes=5)
    landing = [r for r in rows(s) if f"utm_campaign={slug}" in r["target"] and r["ts"] > after_burst]
    assert len(landing) > 50
    countries = Counter(country_of(r["ip"]) for r in landing)
    assert (countries["JP"] + countries["KR"]) / len(landing) > 0.7
    assert any(":" in r["ip"] for r in rows(s))  # some IPv6 visitors


def test_browser_page_views_are_followed_by_assets_within_a_second() -> None:
    parsed = rows(sim("quiet_day"))
    assets_by_ip = defaultdict(list)
    for r in parsed:
        if ASSET.match(r["target"]):
            assets_by_ip[r["ip"]].append(r["ts"])
    pages = [r for r in parsed if r["method"] == "GET" and r["status"] == "200"
             and r["agent"].startswith("Mozilla/5.0 (") and "bot" not in r["agent"]
             and (r["target"].startswith("/products/") or r["target"] == "/")]
    followed = sum(any(timedelta(0) <= a - p["ts"] <= timedelta(seconds=2) for a in assets_by_ip[p["ip"]])
                   for p in pages)
    assert len(pages) > 100 and followed / len(pages) > 0.95
    app = [r for r in parsed if r["agent"].startswith("ShopApp/")]
    assert app and all(r["target"].startswith("/api/") for r in app)
    assert all(not ASSET.match(r["target"]) for r in app)


@pytest.mark.parametrize("scenario", ["credential_stuffing", "scraper"])
def test_attack_clients_come_from_datacenters_and_load_no_assets(scenario: str) -> None:
    parsed = rows(sim(scenario))
    per_ip = Counter(r["ip"] for r in parsed if is_datacenter(r["ip"]))
    attackers = {ip for ip, n in per_ip.items() if n >= 5}
    assert len(attackers) >= (100 if scenario == "credential_stuffing" else 3)
    assert not any(ASSET.match(r["target"]) for r in parsed if r["ip"] in attackers)
    if scenario == "credential_stuffing":
        posts = [r for r in parsed if r["ip"] in attackers and r["method"] == "POST"]
        assert all(r["target"] == "/login" for r in posts)
        assert sum(r["status"] in ("401", "403") for r in posts) / len(posts) > 0.8


def test_botnet_uses_many_countries_browser_agents_and_few_urls() -> None:
    s = sim("l7_botnet")
    attack_start = s.truth[0].start
    window = [r for r in rows(s) if attack_start + timedelta(minutes=2) <= r["ts"] < attack_start + timedelta(
        minutes=8)]
    top = Counter(r["target"] for r in window).most_common(3)
    assert sum(n for _, n in top) / len(window) > 0.5
    flood = [r for r in window if r["target"] in dict(top)]
    assert len({country_of(r["ip"]) for r in flood}) >= 20
    assert sum(r["agent"].startswith("Mozilla/5.0") for r in flood) / len(flood) > 0.9
    assert not any(is_datacenter(r["ip"]) for r in flood)


def test_mail_scanners_burst_right_after_the_send() -> None:
    s = sim("campaign_surge")
    send = datetime.fromisoformat(s.campaigns[0]["start"].replace("Z", "+00:00"))
    nets = [ipaddress.ip_network(p) for p in MAIL_SCANNER_PREFIXES]
    scans = [r for r in rows(s) if any(ipaddress.ip_address(r["ip"]) in n for n in nets)]
    assert len(scans) > 20
    assert all(send <= r["ts"] <= send + timedelta(minutes=2, seconds=30) for r in scans)
    assert all(r["method"] == "GET" and not ASSET.match(r["target"]) and "utm_campaign=" in r["target"]
               for r in scans)
    proxies = [r for r in rows(s) if "GoogleImageProxy" in r["agent"] or r["agent"] == "Mozilla/5.0"]
    assert proxies and all(r["ts"] <= send + timedelta(minutes=3) for r in proxies)


def test_some_scenarios_use_a_local_offset() -> None:
    s = sim("quiet_day", tz_offset_minutes=540)
    first = parse(next(iter(s.lines())))
    assert first["time"].endswith("+0900")
    assert abs(first["ts"] - s.start) < timedelta(minutes=1)


@pytest.mark.parametrize(("scenario", "expected", "looks_like"), [
    ("campaign_surge", "campaign", None), ("unannounced_campaign", "organic", "unannounced_campaign"),
    ("viral_social", "organic", "viral_social"), ("press_flash_crowd", "organic", "press"),
    ("credential_stuffing", "bot", None), ("l7_botnet", "bot", None), ("scraper", "bot", None),
])
def test_single_cause_scenarios_are_labelled_by_their_cause(scenario: str, expected: str,
                                                           looks_like: str | None) -> None:
    s = sim(scenario)
    (truth,) = s.truth
    assert truth.label == expected and truth.looks_like == looks_like
    assert truth.campaign == (s.campaigns[0]["name"] if expected == "campaign" else None)
    assert bool(s.campaigns) == (scenario == "campaign_surge")


def test_quiet_day_and_campaign_flop_have_no_surge() -> None:
    assert sim("quiet_day").truth == [] and sim("quiet_day").campaigns == []
    flop = sim("campaign_flop")
    assert flop.truth == [] and len(flop.campaigns) == 1


def test_bot_wave_during_campaign_is_labelled_as_declared() -> None:
    big_bots = sim("bot_during_campaign", small_campaign=False, surge_factor=8.0, bot_factor=8.0,
                   bot_kind="credential_stuffing")
    few_bots = sim("bot_during_campaign", small_campaign=False, surge_factor=8.0, bot_factor=0.3,
                   bot_kind="credential_stuffing", bot_minutes=10.0)
    small_campaign = sim("bot_during_campaign", small_campaign=True, surge_factor=0.3, bot_factor=6.0)
    assert [t.label for t in big_bots.truth] == ["mixed"]
    assert big_bots.truth[0].campaign == big_bots.campaigns[0]["name"]
    assert [t.label for t in few_bots.truth] == ["campaign"]
    assert [t.label for t in small_campaign.truth] == ["bot"] and small_campaign.truth[0].campaign is None
    assert small_campaign.truth[0].start > datetime.fromisoformat(
        small_campaign.campaigns[0]["start"].replace("Z", "+00:00"))


def test_a_bot_wave_reaches_a_fifth_of_the_extra_traffic_after_it_doubles_the_baseline() -> None:
    s = sim("bot_during_campaign", small_campaign=False, surge_factor=8.0, bot_factor=4.0,
            bot_kind="l7_botnet", bot_delay_minutes=15.0)
    doubled, fifth = s.bots_doubled(), s.bots_reach_share(0.2, 300.0)
    assert doubled is not None and fifth is not None and fifth >= doubled

    def bot_share(until: float) -> float:
        t0 = s.truth[0].start.timestamp()
        recent = [s.roles[r[9]] for r in s.records if max(t0, until - 300) <= r[0] < until
                  and s.roles[r[9]] in ("human", "bot")]
        return recent.count("bot") / len(recent)

    at = fifth.timestamp()
    assert bot_share(at + 10) >= 0.2 > bot_share(at)


def test_a_log_opens_on_sessions_already_going_not_on_thin_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    def opening_share() -> float:  # baseline requests of the first 5 minutes against the next 25's mean
        s = build("quiet_day", 3, history_hours=1.0, surge_hours=0.2, base_rps=10.0, scale=1.0,
                  start=START.replace(hour=12))  # midday: the daily curve is nearly flat
        t0 = s.start.timestamp()
        base = [r[0] - t0 for r in s.records if s.roles[r[9]] == "baseline"]
        return sum(t < 300 for t in base) / (sum(300 <= t < 1800 for t in base) / 5)

    assert 0.95 < opening_share() < 1.2
    monkeypatch.setattr(scenarios, "PRE_ROLL_SECONDS", 0)
    assert opening_share() < 0.9  # without the pre-roll: sessions all begin at the start


def test_labels_are_declared_by_the_scenario_not_computed_from_its_traffic() -> None:
    assert set(LABELS) | {"bot_during_campaign", "campaign_plus_scraper"} == set(SCENARIOS)
    # the same bot wave over a big campaign is "mixed", over one that barely moves the traffic it is "bot"
    big = {"small_campaign": False, "surge_factor": 8.0, "bot_factor": 4.0}
    assert declared("bot_during_campaign", big) == ("mixed", None)
    assert declared("bot_during_campaign", {**big, "small_campaign": True}) == ("bot", None)
    assert declared("campaign_plus_scraper", {**big, "bot_factor": 1.0}) == ("campaign", None)
    # a flop that sends almost no one stays no surge, however its traffic happens to fall
    assert declared("campaign_flop", {}) == (None, None) and declared("daily_rhythm", {}) == (None, None)


def test_unknown_scenario_or_override_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="campaign_surge"):
        build("flash_mob", 1)
    with pytest.raises(ValueError, match="surge_factor"):
        build("campaign_surge", 1, surge_facter=3)


def test_write_gzip_round_trips(tmp_path) -> None:
    s = sim("scraper")
    n = s.write(tmp_path / "access.log.gz")
    with gzip.open(tmp_path / "access.log.gz", "rt") as f:
        text = f.read().splitlines()
    assert n == len(text) == len(s.records) and text[0] == next(iter(s.lines()))


def test_user_agents_are_varied() -> None:
    parsed = rows(sim("campaign_surge"))
    agents = {r["agent"] for r in parsed if r["agent"].startswith("Mozilla/5.0 (")}
    assert len(agents) > 150
    families = {name for name in ("Chrome/", "Firefox/", "Version/", "Edg/", "SamsungBrowser/", "CriOS/")
                if any(name in a for a in agents)}
    assert len(families) >= 5
