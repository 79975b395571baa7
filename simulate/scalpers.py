"""Scalper bots: real browsers driven by a bot, through residential proxies, at a product drop.

They look like people by every agent and asset tell: an ordinary desktop Chrome agent (a handful
of strings for the whole fleet), the product page and all its assets, home-broadband addresses.
What gives them away is behaviour: add-to-cart POSTs a second or two after the page, retries on
409/429, some straight to checkout without a cart, almost no completed orders, no referrer on
the page, and a country mix unlike the shop's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulate.addresses import country_pool
from simulate.agents import SCALPER_BROWSER_AGENTS
from simulate.engine import Rate, Record, arrivals
from simulate.humans import World
from simulate.site import asset_bytes, page_bytes

# where residential proxy networks sell exit addresses cheaply
SCALPER_COUNTRIES: tuple[str, ...] = ("BR", "IN", "VN", "ID", "TR", "UA", "PH", "TH", "MX", "CO", "AR", "EG", "US")
REQUESTS_PER_SESSION = 11.0  # page + assets + cart and checkout attempts, measured on the shape below


@dataclass
class ScalperBots:
    """Bot sessions at ``rate / REQUESTS_PER_SESSION`` per second, each a page view and a buying attempt."""

    name: str
    world: World
    rate: float      # requests per second at the plateau
    shape: Rate
    clients: list[tuple[str, str]]
    product: str
    role: str = "bot"

    @classmethod
    def create(cls, rng: random.Random, name: str, world: World, rate: float, shape: Rate,
               countries: tuple[str, ...]) -> ScalperBots:
        agents = rng.sample(SCALPER_BROWSER_AGENTS, rng.randint(2, 4))
        pools = [pool for pool in (country_pool(c, world.seed + 104729, 200) for c in countries) if pool]
        clients = [(rng.choice(rng.choice(pools)), rng.choice(agents)) for _ in range(rng.randint(400, 1400))]
        return cls(name, world, rate, shape, clients, world.site.products[rng.randrange(0, 5)])

    def emit(self, rng: random.Random, t0: float, t1: float, index: int, out: list[Record]) -> None:
        for ts in arrivals(rng, lambda t: self.rate * self.shape(t) / REQUESTS_PER_SESSION, t0, t1):
            self._session(rng, ts, index, out)

    def _attempts(self, rng: random.Random, t: float, ip: str, agent: str, path: str, referrer: str, index: int,
                  out: list[Record], weights: tuple[int, int, int, int]) -> tuple[float, int]:
        """POST ``path`` with retries on 409/429 (up to 4 tries); the time after and the last status."""
        status = 0
        for _ in range(rng.randint(2, 4)):
            status = rng.choices((303 if path == "/checkout" else 200, 409, 429, 402), weights=weights)[0]
            out.append((t, ip, "POST", path, "HTTP/2.0", status, rng.randint(80, 500), referrer, agent, index))
            t += rng.uniform(0.3, 1.8)
            if status in (200, 303, 402):
                break
        return t, status

    def _session(self, rng: random.Random, ts: float, index: int, out: list[Record]) -> None:
        ip, agent = rng.choice(self.clients)
        site = self.world.site
        page = f"/products/{self.product}"
        page_url = site.url(page)
        out.append((ts, ip, "GET", page, "HTTP/2.0", 200, page_bytes(rng, page), "-", agent, index))
        for asset in site.assets_for(rng, page):
            out.append((ts + rng.uniform(0.05, 0.6), ip, "GET", asset, "HTTP/2.0", 200, asset_bytes(rng, asset),
                        page_url, agent, index))
        t = ts + rng.uniform(0.7, 2.5)
        status = 200
        if rng.random() > 0.2:  # the rest go straight to checkout, without a cart
            t, status = self._attempts(rng, t, ip, agent, "/cart/add", page_url, index, out, (35, 40, 25, 0))
        if status != 200:
            return
        t, status = self._attempts(rng, t + rng.uniform(0.2, 1.5), ip, agent, "/checkout", site.url("/cart"), index,
                                   out, (1, 50, 30, 16))
        if status == 303:
            out.append((t, ip, "GET", "/checkout/complete", "HTTP/2.0", 200, page_bytes(rng, "/checkout"), "-",
                        agent, index))
