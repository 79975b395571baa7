"""Programs hitting the shop: search crawlers, credential stuffing, scrapers, L7 floods and mail scanners.

None of them loads page assets. Attack traffic comes from datacenter prefixes (except the
residential botnet), with few or scripted user agents and unhuman request rates; mail link scanners
and privacy image proxies fire once per link right after an email campaign is sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulate.addresses import (
    BINGBOT_PREFIXES,
    DATACENTER_PREFIXES,
    GOOGLEBOT_PREFIXES,
    IMAGE_PROXY_PREFIXES,
    MAIL_SCANNER_PREFIXES,
    UNLISTED_SCANNER_PREFIXES,
    country_pool,
    prefix_pool,
)
from simulate.agents import (
    IMAGE_PROXY_AGENTS,
    MAIL_SCANNER_AGENTS,
    SCRAPER_AGENTS,
    SCRIPT_AGENTS,
    SEARCH_CRAWLER_AGENTS,
    UNLISTED_SCANNER_AGENTS,
)
from simulate.engine import Rate, Record, arrivals
from simulate.humans import World
from simulate.site import Site, page_bytes

Client = tuple[str, str]  # address, user agent


@dataclass
class SearchCrawlers:
    """Googlebot and bingbot from their own networks, at a low steady rate (requests per second)."""

    name: str
    site: Site
    rate_rps: float
    role: str = "baseline"
    clients: list[Client] = field(default_factory=list)

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        if not self.clients:
            self.clients = ([(ip, rng.choice(SEARCH_CRAWLER_AGENTS[:2])) for ip in
                             prefix_pool(rng, GOOGLEBOT_PREFIXES, 12)] +
                            [(ip, SEARCH_CRAWLER_AGENTS[2]) for ip in prefix_pool(rng, BINGBOT_PREFIXES, 8)])
        for ts in arrivals(rng, lambda _t: self.rate_rps, t0, t1):
            ip, agent = rng.choice(self.clients)
            target = "/robots.txt" if rng.random() < 0.03 else (
                "/sitemap.xml" if rng.random() < 0.02 else self.site.random_path(rng))
            status = rng.choices((200, 301, 404, 304), weights=(90, 3, 4, 3))[0]
            out.append((ts, ip, "GET", target, "HTTP/1.1", status, 0 if status == 304 else page_bytes(rng, target),
                        "-", agent, index))


@dataclass
class CredentialStuffing:
    """POST /login from hundreds of datacenter addresses with a few scripted agents; mostly 401/403."""

    name: str
    site: Site
    peak: float  # requests per second
    shape: Rate
    clients: list[Client]
    role: str = "bot"

    @classmethod
    def create(cls, rng: random.Random, name: str, site: Site, peak: float, shape: Rate,
               addresses: int | None = None) -> CredentialStuffing:
        agents = rng.sample(SCRIPT_AGENTS, rng.randint(1, 3))
        if rng.random() < 0.5:
            agents.append("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                          "Chrome/120.0.0.0 Safari/537.36")
        pool = prefix_pool(rng, DATACENTER_PREFIXES, addresses or rng.randint(200, 800))
        return cls(name, site, peak, shape, [(ip, rng.choice(agents)) for ip in pool])

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        for ts in arrivals(rng, lambda t: self.peak * self.shape(t), t0, t1):
            ip, agent = rng.choice(self.clients)
            if rng.random() < 0.08:
                out.append((ts, ip, "GET", "/login", "HTTP/1.1", 200, page_bytes(rng, "/login"), "-", agent, index))
                continue
            status = rng.choices((401, 403, 429, 302), weights=(64, 26, 7, 3))[0]
            referrer = self.site.url("/login") if agent.startswith("Mozilla") else "-"
            out.append((ts, ip, "POST", "/login", "HTTP/1.1", status, rng.randint(150, 700), referrer, agent, index))


@dataclass
class Scraper:
    """A few datacenter clients walking the product catalogue, each at a steady high rate."""

    name: str
    site: Site
    clients: list[tuple[str, str, float]]  # address, agent, requests per second
    start: float
    end: float
    role: str = "bot"
    _next: list[float] = field(default_factory=list)
    _cursor: int = 0

    @classmethod
    def create(cls, rng: random.Random, name: str, site: Site, total_rps: float, start: float,
               end: float) -> Scraper:
        n = rng.randint(3, 15)
        agents = [rng.choice(SCRAPER_AGENTS) for _ in range(n)]
        shares = [rng.uniform(0.5, 1.5) for _ in range(n)]
        total = sum(shares)
        addresses = prefix_pool(rng, DATACENTER_PREFIXES, n)
        clients = [(ip, ua, total_rps * s / total) for ip, ua, s in zip(addresses, agents, shares, strict=True)]
        return cls(name, site, clients, start, end)

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        if not self._next:
            self._next = [self.start + rng.uniform(0, 30) for _ in self.clients]
        products = self.site.products
        for i, (ip, agent, rps) in enumerate(self.clients):
            t = max(self._next[i], t0)
            while t < t1 and t < self.end:
                self._cursor += 1
                slug = products[self._cursor % len(products)]
                target = f"/products/{slug}" if self._cursor % 9 else f"/category/{slug.split('-')[1]}?page=2"
                status = rng.choices((200, 404, 429), weights=(95, 3, 2))[0]
                out.append((t, ip, "GET", target, "HTTP/1.1", status, page_bytes(rng, target), "-", agent, index))
                t += rng.uniform(0.7, 1.3) / rps
            self._next[i] = t


@dataclass
class Flood:
    """An L7 flood: residential-looking addresses in many countries, browser agents, a few URLs, no assets."""

    name: str
    peak: float
    shape: Rate
    clients: list[Client]
    targets: list[str]
    role: str = "bot"

    @classmethod
    def create(cls, rng: random.Random, name: str, world: World, peak: float, shape: Rate,
               countries: tuple[str, ...]) -> Flood:
        n = rng.randint(300, 1500)
        pools = [pool for pool in (country_pool(c, world.seed, 120) for c in countries) if pool]
        clients = [(rng.choice(rng.choice(pools)), world.browser(rng)) for _ in range(n)]
        targets = rng.sample(["/", world.site.search(rng), f"/products/{world.site.product(rng)}", "/cart",
                              "/category/sale"], rng.randint(1, 3))
        return cls(name, peak, shape, clients, targets)

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        for ts in arrivals(rng, lambda t: self.peak * self.shape(t), t0, t1):
            ip, agent = rng.choice(self.clients)
            target = rng.choice(self.targets)
            status = rng.choices((200, 503, 502, 429), weights=(80, 12, 4, 4))[0]
            size = page_bytes(rng, target) if status == 200 else rng.randint(150, 600)
            out.append((ts, ip, "GET", target, rng.choice(("HTTP/1.1", "HTTP/2.0")), status, size, "-", agent,
                        index))


@dataclass
class MailBurst:
    """Right after an email send: link scanners GET each link once; privacy proxies prefetch images."""

    name: str
    site: Site
    send: float
    links: list[str]
    images: list[str]
    scanners: int
    prefetches: int
    burst: float = 90.0
    unlisted_share: float = 0.35  # scanners of a vendor no published list names, with browser agents
    role: str = "scanner"
    _done: bool = False

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        if self._done or not t0 <= self.send < t1:
            return
        self._done = True
        addresses = prefix_pool(rng, MAIL_SCANNER_PREFIXES, self.scanners)
        own = random.Random(f"{self.name}:{self.send}:unlisted")  # its own stream: the rest of the traffic keeps its
        unlisted = int(self.scanners * self.unlisted_share)
        unlisted_ips = prefix_pool(own, UNLISTED_SCANNER_PREFIXES, unlisted) if unlisted else []
        for k, ip in enumerate(addresses):
            agent = rng.choice(MAIL_SCANNER_AGENTS)
            if k < unlisted:
                ip, agent = unlisted_ips[k], own.choice(UNLISTED_SCANNER_AGENTS)
            t = self.send + rng.uniform(2, self.burst)
            for link in self.links:
                target = link + (f"&mc_eid={rng.getrandbits(40):010x}" if "utm_" in link and rng.random() < 0.5
                                 else "")
                status = rng.choice((200, 200, 200, 301))
                out.append((t, ip, "GET", target, "HTTP/1.1", status, page_bytes(rng, target), "-", agent, index))
                t += rng.uniform(0.05, 1.5)
        proxies = prefix_pool(rng, IMAGE_PROXY_PREFIXES, max(4, self.prefetches // 6))
        for _ in range(self.prefetches):
            ip = rng.choice(proxies)
            agent = IMAGE_PROXY_AGENTS[0] if ip.startswith("66.") else rng.choice(IMAGE_PROXY_AGENTS[1:])
            t = self.send + rng.uniform(1, self.burst * 1.3)
            image = rng.choice(self.images)
            out.append((t, ip, "GET", image, "HTTP/1.1", 200, 43 if image.endswith(".gif") else rng.randint(20_000,
                        160_000), "-", agent, index))
