"""Where visitors come from: home markets, campaign regions, and how each source enters the site.

An entry returns the referrer and the first URL of a session. Email visitors land on the campaign's
landing path with ``utm_*`` parameters (sometimes a per-recipient ``mc_eid``) from webmail or no
referrer; social visitors come from social sites; press readers from news sites; baseline visitors
mostly from search or direct.
"""

from __future__ import annotations

import random

from simulate.agents import LIBRARY_APP_AGENTS
from simulate.humans import Audience
from simulate.site import (
    NEWS_REFERRERS,
    OTHER_REFERRERS,
    SEARCH_REFERRERS,
    SOCIAL_REFERRERS,
    WEBMAIL_REFERRERS,
    Site,
)

# market -> (countries, weights, UTC offset of its local time in hours)
MARKETS: dict[str, tuple[tuple[str, ...], tuple[float, ...], float]] = {
    "eu": (("DE", "FR", "GB", "NL", "IT", "ES", "AT", "CH", "BE", "PL", "SE", "US"),
           (30, 14, 10, 9, 6, 6, 6, 5, 5, 4, 3, 2), 1.0),
    "jp": (("JP", "KR", "TW", "US", "HK", "SG", "TH"), (80, 5, 4, 4, 3, 2, 2), 9.0),
    "us": (("US", "CA", "GB", "MX", "AU", "DE"), (75, 10, 5, 4, 3, 3), -5.0),
}
REGION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("JP", "KR"), ("DE", "AT", "CH"), ("FR", "BE"), ("US", "CA"), ("GB", "IE"), ("ES", "MX"), ("BR",),
    ("IT",), ("NL", "BE"), ("SE", "NO", "DK"), ("AU", "NZ"), ("PL", "CZ"),
)
# Countries with plenty of address space, for broad audiences (press) and botnets.
BROAD_COUNTRIES: tuple[str, ...] = (
    "US", "DE", "GB", "FR", "JP", "BR", "IN", "CA", "AU", "IT", "ES", "NL", "KR", "MX", "PL", "SE", "TR",
    "RU", "CN", "ID", "VN", "TH", "AR", "CO", "ZA", "EG", "UA", "RO", "CZ", "BE", "CH", "AT", "TW", "HK",
    "SG", "MY", "PH", "CL", "PT", "GR", "HU", "IL", "SA", "NG", "PK",
)
UTM_EMAIL = "utm_source=newsletter&utm_medium=email&utm_campaign="


def _mix(countries: tuple[str, ...], weights: tuple[float, ...], home: str, home_share: float):
    """Countries of an audience: ``1 - home_share`` from the given ones, the rest from the home market."""
    home_countries, home_weights, _ = MARKETS[home]
    total = sum(weights)
    total_home = sum(home_weights)
    merged: dict[str, float] = {}
    for c, w in zip(countries, weights, strict=False):
        merged[c] = merged.get(c, 0.0) + (1 - home_share) * w / total
    for c, w in zip(home_countries, home_weights, strict=False):
        merged[c] = merged.get(c, 0.0) + home_share * w / total_home
    return tuple(merged), tuple(merged.values())


def baseline_audience(site: Site, market: str) -> Audience:
    def entry(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.3:
            return "-", rng.choice(("/", "/", site.random_path(rng)))
        if roll < 0.75:
            return rng.choice(SEARCH_REFERRERS), site.random_path(rng)
        if roll < 0.86:
            return rng.choice(SOCIAL_REFERRERS), f"/products/{site.product(rng)}"
        if roll < 0.94:
            return rng.choice(OTHER_REFERRERS), site.random_path(rng)
        return rng.choice(WEBMAIL_REFERRERS), "/"

    countries, weights, _ = MARKETS[market]
    return Audience(countries, weights, entry, conversion=0.025)


def email_links(site: Site, rng: random.Random, landing: str, utm: str) -> list[str]:
    """The links of one campaign email (what link scanners fetch once each)."""
    links = [f"{landing}?{UTM_EMAIL}{utm}", f"/?{UTM_EMAIL}{utm}"]
    links += [f"/products/{site.product(rng)}?{UTM_EMAIL}{utm}" for _ in range(rng.randint(0, 2))]
    return links


def email_audience(site: Site, market: str, regions: tuple[str, ...], landing: str, utm: str,
                   conversion: float) -> Audience:
    def entry(rng: random.Random) -> tuple[str, str]:
        referrer = rng.choice(WEBMAIL_REFERRERS) if rng.random() < 0.35 else "-"
        path = landing if rng.random() < 0.75 else f"{landing}/{site.product(rng)}"
        target = f"{path}?{UTM_EMAIL}{utm}"
        if rng.random() < 0.4:
            target += f"&mc_eid={rng.getrandbits(40):010x}"
        return referrer, target

    weights = tuple(2.0 if i == 0 else 1.0 for i in range(len(regions)))
    countries, mixed = _mix(regions, weights, market, 0.12)
    return Audience(countries, mixed, entry, conversion=conversion, app_share=0.04, bounce=0.4)


def social_audience(site: Site, market: str, product: str, conversion: float,
                    extra: tuple[str, ...]) -> Audience:
    def entry(rng: random.Random) -> tuple[str, str]:
        referrer = rng.choice(SOCIAL_REFERRERS) if rng.random() < 0.85 else "-"
        target = f"/products/{product}" if rng.random() < 0.8 else f"/products/{site.product(rng)}"
        if rng.random() < 0.25:
            platform = referrer.split("//")[-1].split(".")[-2] if referrer != "-" else "social"
            target += f"?utm_source={platform}&utm_medium=social"
        return referrer, target

    countries, weights = _mix(extra, tuple(1.0 for _ in extra), market, 0.6)
    return Audience(countries, weights, entry, conversion=conversion, app_share=0.08, bounce=0.55)


def press_audience(site: Site, market: str, product: str, conversion: float,
                   countries: tuple[str, ...]) -> Audience:
    def entry(rng: random.Random) -> tuple[str, str]:
        referrer = rng.choice(NEWS_REFERRERS) if rng.random() < 0.8 else "-"
        roll = rng.random()
        target = "/" if roll < 0.4 else ("/about" if roll < 0.5 else f"/products/{product}")
        return referrer, target

    mixed_countries, weights = _mix(countries, tuple(1.0 for _ in countries), market, 0.3)
    return Audience(mixed_countries, weights, entry, conversion=conversion, app_share=0.03, bounce=0.6)



UTM_PUSH = "utm_source=push&utm_medium=push&utm_campaign="


def push_audience(site: Site, market: str, regions: tuple[str, ...], landing: str, utm: str,
                  conversion: float) -> Audience:
    """People opening the shop's app from a push notification: a deep link, no referrer, nearly all in the app
    (its library agents), a third of them on mobile data behind their carrier's CGNAT."""
    def entry(rng: random.Random) -> tuple[str, str]:
        path = landing if rng.random() < 0.7 else f"/products/{site.product(rng)}"
        return "-", f"{path}?{UTM_PUSH}{utm}"

    weights = tuple(2.0 if i == 0 else 1.0 for i in range(len(regions)))
    countries, mixed = _mix(regions, weights, market, 0.1)
    return Audience(countries, mixed, entry, conversion=conversion * 1.5, app_share=0.97, bounce=0.3,
                    app_agents=LIBRARY_APP_AGENTS, cgnat_share=0.35)
