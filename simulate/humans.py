"""People visiting the shop: sessions of several page views, each followed by its assets.

A session picks a country (then a residential address there), a browser or the shop's app, an
entry (referrer + landing URL, which is what tells a campaign visitor from a search visitor) and
walks the site with human think times; some log in, some buy (``/checkout/complete``). Browsers
fetch 3-10 assets under /static/ or /assets/ within about a second of each page; the app fetches
no assets but calls /api/.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from simulate.addresses import RELAY_PREFIXES, VPN_PREFIXES, country_pool, prefix_pool
from simulate.agents import app_agents, browser_agents, popularity_weights
from simulate.engine import Rate, Record, arrivals
from simulate.site import Site, asset_bytes, page_bytes

Entry = Callable[[random.Random], tuple[str, str]]  # -> (referrer, first target)


@dataclass
class World:
    """What every traffic source of one simulation shares: the site, agents and address pools."""

    site: Site
    seed: int
    browsers: list[str]
    apps: list[str]
    pool_size: int = 600
    _browser_cum: list[float] = field(default_factory=list)
    _pools: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _shared: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def create(cls, rng: random.Random, site: Site, seed: int, pool_size: int = 600,
               agents: int = 400) -> World:
        world = cls(site=site, seed=seed, browsers=browser_agents(rng, agents), apps=app_agents(rng),
                    pool_size=pool_size)
        world._browser_cum = popularity_weights(len(world.browsers))
        return world

    def browser(self, rng: random.Random) -> str:
        return self.browsers[bisect_right(self._browser_cum, rng.random() * self._browser_cum[-1])
                             if self._browser_cum else 0]

    def pool(self, country: str) -> tuple[str, ...]:
        if country not in self._pools:
            self._pools[country] = country_pool(country, self.seed, self.pool_size)
        return self._pools[country]

    def address(self, rng: random.Random, country: str, fallback: str = "US") -> str:
        pool = self.pool(country) or self.pool(fallback)
        return rng.choice(pool)

    def shared(self, kind: str, country: str = "") -> list[str]:
        """Addresses many people share: Private Relay egress, corporate VPN egress, or a mobile carrier's
        CGNAT gateways in ``country`` (a dozen addresses for hundreds of people each)."""
        key = f"{kind}:{country}"
        if key not in self._shared:
            rng = random.Random(f"{self.seed}:{key}")
            if kind == "relay":
                self._shared[key] = prefix_pool(rng, RELAY_PREFIXES, 120)
            elif kind == "vpn":
                self._shared[key] = prefix_pool(rng, VPN_PREFIXES, 40)
            else:
                pool = list(country_pool(country, self.seed + 7919, 200) or self.pool("US"))
                self._shared[key] = rng.sample(pool, min(12, len(pool)))
        return self._shared[key]

    def person(self, rng: random.Random, audience: Audience) -> tuple[str, str | None]:
        """An address for one visitor and, for Private Relay users, the Safari agent that goes with it."""
        country = audience.country(rng)
        if not (audience.relay_share or audience.vpn_share or audience.cgnat_share):
            return self.address(rng, country), None
        roll = rng.random()
        if roll < audience.relay_share:
            safari = [b for b in self.browsers[:80] if "Version/" in b and "Safari/" in b]
            return rng.choice(self.shared("relay")), (rng.choice(safari) if safari else None)
        roll -= audience.relay_share
        if roll < audience.vpn_share:
            return rng.choice(self.shared("vpn")), None
        roll -= audience.vpn_share
        if roll < audience.cgnat_share:
            return rng.choice(self.shared("cgnat", country)), None
        return self.address(rng, country), None


@dataclass
class Audience:
    """Who arrives through one source: their countries, how they enter, how they behave."""

    countries: tuple[str, ...]
    weights: tuple[float, ...]
    entry: Entry
    conversion: float = 0.02
    app_share: float = 0.12
    bounce: float = 0.35
    login_share: float = 0.08
    app_agents: tuple[str, ...] = ()  # the app's agents for this audience (default: the world's ShopApp/x.y)
    relay_share: float = 0.0          # on iCloud Private Relay
    vpn_share: float = 0.0            # behind a corporate VPN in a cloud network
    cgnat_share: float = 0.0          # behind a mobile carrier's CGNAT
    broken: str | None = None         # a path prefix that answers 404 (a broken landing page)
    _cum: list[float] = field(default_factory=list)

    def country(self, rng: random.Random) -> str:
        if not self._cum:
            total = 0.0
            for w in self.weights:
                total += w
                self._cum.append(total)
        return self.countries[bisect_right(self._cum, rng.random() * self._cum[-1])]


def _app_target(path: str) -> str:
    if path == "/":
        return "/api/v2/home"
    if path.startswith("/search"):
        return "/api/v2/search" + path[len("/search"):]
    base, _, query = path.partition("?")
    return "/api/v2" + base + (f"?{query}" if "utm_" in query else "")  # a deep link keeps its campaign tags


def _page_status(rng: random.Random, path: str, broken: str | None = None) -> int:
    if broken and path.startswith(broken):
        return 404
    roll = rng.random()
    if roll < 0.003:
        return rng.choice((500, 502, 503, 504))
    if roll < 0.018 and path.startswith("/products/"):
        return 404
    if roll < 0.03:
        return 304
    return 200


def _walk(rng: random.Random, site: Site, first: str, audience: Audience) -> list[tuple[str, str]]:
    """The (method, target) page requests of one session."""
    pages = [("GET", first)]
    extra = 0 if rng.random() < audience.bounce else min(int(rng.expovariate(1 / 3.2)) + 1, 24)
    for _ in range(extra):
        pages.append(("GET", site.random_path(rng)))
    if rng.random() < audience.login_share:
        at = rng.randint(1, len(pages))
        pages[at:at] = [("GET", "/login"), ("POST", "/login")]
    if rng.random() < audience.conversion:
        pages += [("GET", "/cart"), ("GET", "/checkout"), ("POST", "/checkout"), ("GET", "/checkout/complete")]
    elif rng.random() < 0.06:
        pages.append(("GET", "/cart"))
    return pages


def session(rng: random.Random, world: World, audience: Audience, ts: float, comp: int,
            out: list[Record]) -> None:
    """Append every request of one visitor session starting at ``ts``."""
    site = world.site
    ip, relay_agent = world.person(rng, audience)
    app = rng.random() < audience.app_share
    agent = rng.choice(audience.app_agents or world.apps) if app else (relay_agent or world.browser(rng))
    referrer, first = audience.entry(rng)
    proto = "HTTP/1.1" if app else rng.choice(("HTTP/2.0", "HTTP/2.0", "HTTP/1.1"))
    t = ts
    previous = ""
    for index, (method, target) in enumerate(_walk(rng, site, first, audience)):
        if index:
            t += max(1.5, rng.expovariate(1 / 28))
        if app:
            if method == "GET" and target in ("/login",):
                continue
            api = _app_target(target)
            status = 200 if method == "GET" else (201 if api.endswith("complete") else 200)
            if audience.broken and target.startswith(audience.broken):
                status = 404
            out.append((t, ip, method, api, proto, status, page_bytes(rng, api), "-", agent, comp))
            for _ in range(rng.randint(1, 3)):
                call = rng.choice(("/api/v2/recommendations", "/api/v2/cart/count", "/api/v2/session",
                                   f"/api/v2/products/{site.product(rng)}/stock", "/api/v2/banners"))
                out.append((t + rng.uniform(0.05, 0.6), ip, "GET", call, proto, 200, page_bytes(rng, call), "-",
                            agent, comp))
            continue
        ref = site.url(previous) if previous else referrer
        if method == "POST":
            status = (401 if rng.random() < 0.1 else 302) if target == "/login" else 303
            out.append((t, ip, method, target, proto, status, rng.randint(0, 600), site.url(target), agent, comp))
            continue
        status = _page_status(rng, target, audience.broken)
        out.append((t, ip, method, target, proto, status, 0 if status == 304 else page_bytes(rng, target), ref,
                    agent, comp))
        previous = target
        if status >= 500:
            continue
        page_url = site.url(target)
        for asset in site.assets_for(rng, target):
            cached = index > 0 and rng.random() < 0.6
            out.append((t + rng.uniform(0.05, 1.0), ip, "GET", asset, proto, 304 if cached else 200,
                        0 if cached else asset_bytes(rng, asset), page_url, agent, comp))
        if rng.random() < 0.25:
            out.append((t + rng.uniform(0.3, 1.2), ip, "GET", "/api/v2/cart/count", proto, 200,
                        rng.randint(40, 120), page_url, agent, comp))


@dataclass
class HumanTraffic:
    """Visitor sessions arriving at ``peak * shape(t)`` sessions per second."""

    name: str
    role: str
    world: World
    audience: Audience
    peak: float
    shape: Rate

    def rate(self, t: float) -> float:
        return self.peak * self.shape(t)

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        for ts in arrivals(rng, self.rate, t0, t1):
            session(rng, self.world, self.audience, ts, index, out)


def requests_per_session(world: World, audience: Audience, samples: int = 400) -> float:
    """Mean requests per session of an audience, measured on sample sessions (to turn req/s into sessions/s)."""
    rng = random.Random(0)
    out: list[Record] = []
    for _ in range(samples):
        session(rng, world, audience, 0.0, 0, out)
    return len(out) / samples
