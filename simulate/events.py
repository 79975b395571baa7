"""Traffic events a scenario injects on top of the baseline, each built at a send/start time t0.

An event is a list of components plus, for announced campaigns, the campaign record. Sizes are
multiples of the baseline request rate at t0 and come from ``params`` (randomised by seed, or set
by overrides). ``time_scale`` < 1 compresses every duration, for fast live demos.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from simulate.audiences import (
    BROAD_COUNTRIES,
    email_audience,
    email_links,
    press_audience,
    push_audience,
    social_audience,
)
from simulate.bots import CredentialStuffing, Flood, MailBurst, Scraper
from simulate.engine import plateau_shape, reader_shape, surge_shape
from simulate.humans import HumanTraffic, World, requests_per_session
from simulate.scalpers import SCALPER_COUNTRIES, ScalperBots

BOT_EVENTS = ("credential_stuffing", "l7_botnet", "scraper")


@dataclass
class Injection:
    """What one event adds: its components and, when announced, its campaign record."""

    components: list = field(default_factory=list)
    campaign: dict | None = None
    kind: str | None = None        # "campaign" | "organic" for human surges
    looks_like: str | None = None  # for organic: viral_social | press | unannounced_campaign
    start: float = 0.0             # when the event begins (the send, the attack's first request)
    end: float = 0.0               # when its traffic has died down (rise + 3 decay time constants, or its last minute)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _total_sessions(peak: float, rise: float, decay: float) -> float:
    return peak * (rise / 2 + decay)


def email_campaign(world: World, p: dict, rng: random.Random, t0: float, base_rps: float, factor: float,
                   announced: bool, time_scale: float = 1.0, nominal_factor: float | None = None) -> Injection:
    """An email send: scanner/prefetch burst at t0, then people rising to a peak and decaying over hours."""
    site = world.site
    rise, decay = p["rise_minutes"] * 60 * time_scale, p["decay_minutes"] * 60 * time_scale
    audience = email_audience(site, p["market"], tuple(p["regions"]), p["landing"], p["utm_campaign"],
                              p["conversion_rate"])
    per_session = requests_per_session(world, audience)
    peak = factor * base_rps / per_session
    nominal = _total_sessions((nominal_factor or factor) * base_rps / per_session, rise, decay) / time_scale
    audience.broken = p["landing"] if p.get("broken_landing") else None
    audience.relay_share, audience.vpn_share = p.get("relay_share", 0.0), p.get("vpn_share", 0.0)
    audience.cgnat_share = p.get("cgnat_share", 0.0)
    humans = HumanTraffic(f"{p['utm_campaign']} visitors", "human", world, audience, peak,
                          reader_shape(t0, rise, decay))
    images = [f"/assets/email/{p['utm_campaign']}/hero.jpg", f"/assets/email/{p['utm_campaign']}/banner.png",
              f"/assets/email/open.gif?c={p['utm_campaign']}"]
    burst = MailBurst(f"{p['utm_campaign']} mail scanners", site, t0,
                      email_links(site, rng, p["landing"], p["utm_campaign"]), images,
                      # sized on the visitors actually simulated, so a compressed live clock keeps proportions
                      scanners=max(3, int(nominal * time_scale * rng.uniform(0.05, 0.15))),
                      prefetches=max(5, int(nominal * time_scale * rng.uniform(0.1, 0.3))),
                      burst=rng.uniform(60, 110) * max(time_scale, 0.5),
                      unlisted_share=p.get("unlisted_scanner_share", 0.35))
    campaign = None
    sent = t0 - p.get("slip_minutes", 0.0) * 60 * time_scale  # what the calendar says, when a send slipped
    if announced:
        audience_size = p.get("audience") or int(round(nominal / p["scale"] / rng.uniform(0.02, 0.06), -2))
        spend = round(audience_size * rng.uniform(0.002, 0.01), 2)
        campaign = {
            "id": p["campaign_id"], "name": p["campaign_name"], "channel": "email", "start": iso(sent),
            "end": iso(sent + 3 * 86400), "audience": audience_size, "regions": list(p["regions"]),
            "landing": [p["landing"]], "utm_campaign": p["utm_campaign"], "spend": spend, "currency": "EUR",
            "owner": p["owner"], "site": site.host, "status": "sent",
        }
    return Injection([humans, burst], campaign, "campaign" if announced else "organic",
                     None if announced else "unannounced_campaign", t0, t0 + rise + 3 * decay)


def social_wave(world: World, p: dict, rng: random.Random, t0: float, base_rps: float, factor: float,
                time_scale: float = 1.0) -> Injection:
    extra = tuple(rng.sample(BROAD_COUNTRIES[:20], 4))
    audience = social_audience(world.site, p["market"], p["featured_product"], p["conversion_rate"] / 2, extra)
    peak = factor * base_rps / requests_per_session(world, audience)
    rise, decay = p["rise_minutes"] * 60 * time_scale, p["decay_minutes"] * 60 * time_scale
    return Injection([HumanTraffic("social visitors", "human", world, audience, peak, surge_shape(t0, rise, decay))],
                     None, "organic", "viral_social", t0, t0 + rise + 3 * decay)


def press_wave(world: World, p: dict, rng: random.Random, t0: float, base_rps: float, factor: float,
               time_scale: float = 1.0) -> Injection:
    countries = tuple(rng.sample(BROAD_COUNTRIES, 25))
    audience = press_audience(world.site, p["market"], p["featured_product"], p["conversion_rate"] / 3, countries)
    peak = factor * base_rps / requests_per_session(world, audience)
    rise, decay = p["rise_minutes"] * 60 * time_scale, p["decay_minutes"] * 60 * time_scale
    return Injection([HumanTraffic("press readers", "human", world, audience, peak, surge_shape(t0, rise, decay))],
                     None, "organic", "press", t0, t0 + rise + 3 * decay)


def bot_attack(world: World, kind: str, rng: random.Random, t0: float, base_rps: float, factor: float,
               minutes: float, time_scale: float = 1.0) -> Injection:
    """Credential stuffing, an L7 botnet flood or a scraper, ``factor`` times the baseline rate."""
    site = world.site
    duration = minutes * 60 * time_scale
    peak = factor * base_rps
    if kind == "credential_stuffing":
        shape = plateau_shape(t0, t0 + duration, rng.uniform(20, 90) * max(time_scale, 0.2))
        return Injection([CredentialStuffing.create(rng, "credential stuffing", site, peak, shape)],
                         start=t0, end=t0 + duration)
    if kind == "l7_botnet":
        shape = plateau_shape(t0, t0 + duration, rng.uniform(10, 30) * max(time_scale, 0.2))
        countries = tuple(rng.sample(BROAD_COUNTRIES, rng.randint(25, 45)))
        return Injection([Flood.create(rng, "l7 botnet", world, peak, shape, countries)], start=t0, end=t0 + duration)
    if kind == "scraper":
        return Injection([Scraper.create(rng, "scraper", site, peak, t0, t0 + duration)], start=t0, end=t0 + duration)
    raise ValueError(f"unknown bot event {kind!r}; use one of {', '.join(BOT_EVENTS)}")


def push_campaign(world: World, p: dict, rng: random.Random, t0: float, base_rps: float, factor: float,
                  time_scale: float = 1.0) -> Injection:
    """A push notification from the shop's app: app users open a deep link and call JSON APIs with the
    app's library agents, from home broadband and mobile carriers (many behind CGNAT); some buy."""
    rise, decay = rng.uniform(2, 6) * 60 * time_scale, p["decay_minutes"] * 0.6 * 60 * time_scale
    audience = push_audience(world.site, p["market"], tuple(p["regions"]), p["landing"], p["utm_campaign"],
                             p["conversion_rate"])
    peak = factor * base_rps / requests_per_session(world, audience)
    humans = HumanTraffic(f"{p['utm_campaign']} app users", "human", world, audience, peak,
                          surge_shape(t0, rise, decay))
    audience_size = p.get("audience") or int(round(peak * (rise / 2 + decay) / p["scale"] / 0.08, -2))
    campaign = {
        "id": p["campaign_id"], "name": p["campaign_name"], "channel": "push", "start": iso(t0),
        "end": iso(t0 + 86400), "audience": audience_size, "regions": list(p["regions"]),
        "landing": [p["landing"]], "utm_campaign": p["utm_campaign"], "spend": 0.0, "currency": "EUR",
        "owner": p["owner"], "site": world.site.host, "status": "sent",
    }
    return Injection([humans], campaign, "campaign", None, t0, t0 + rise + 3 * decay)


def scalper_attack(world: World, p: dict, rng: random.Random, t0: float, base_rps: float, factor: float,
                   minutes: float, time_scale: float = 1.0) -> Injection:
    """Bots driving real browsers through residential proxies at a product drop (see simulate.scalpers)."""
    duration = minutes * 60 * time_scale
    shape = plateau_shape(t0, t0 + duration, rng.uniform(20, 60) * max(time_scale, 0.2))
    countries = tuple(rng.sample(SCALPER_COUNTRIES, rng.randint(5, 9)))
    bots = ScalperBots.create(rng, "scalper bots", world, factor * base_rps, shape, countries)
    return Injection([bots], start=t0, end=t0 + duration)


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))
