"""A small online shop's access log, written by hand for the detector's tests.

Nothing here comes from ``simulate/`` or from the detector's lists: the networks are real
home-broadband and mobile ranges of German, French and British providers (and, for the
scalpers' residential proxies, Vietnamese, Indonesian and Brazilian ones), the agents are
ordinary browser strings and the shop's own app clients, and each scenario says what a
careful analyst would call it. People browse with a referrer, load a page's assets, add
to cart now and then and sometimes buy; the shop's app calls JSON APIs; scalper bots
drive real browsers (page and assets) and hammer ``/cart/add`` and ``/checkout`` within
seconds, retrying on 409 / 429.
"""

from __future__ import annotations

import ipaddress
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

HOST = "https://shop.example"
CUSTOMERS = {  # country -> home broadband and mobile ranges, weight
    "DE": (["87.128.0.0/11", "79.192.0.0/11", "84.56.0.0/14", "176.0.0.0/14", "109.40.0.0/14"], 0.6),
    "FR": (["90.0.0.0/11", "92.160.0.0/12"], 0.2),
    "GB": (["86.128.0.0/11"], 0.2),
}
PROXIES = ["113.160.0.0/12", "14.160.0.0/13", "36.64.0.0/12", "110.136.0.0/14", "191.0.0.0/13", "27.64.0.0/13"]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
APPS = ["okhttp/4.12.0", "ShopApp/5.2 (iPhone; iOS 17.6; Scale/3.00) Alamofire/5.9.1",
        "okhttp/4.11.0", "ShopApp/5.2 (iPad; iOS 17.5; Scale/2.00) Alamofire/5.9.1"]
REFERRERS = ["https://www.google.com/", "-", "https://www.google.de/", "https://www.facebook.com/", "-",
             "https://www.bing.com/"]
ASSETS = ["/static/app.js", "/static/style.css", "/static/logo.svg", "/images/hero.webp", "/static/fonts/main.woff2"]


def _stamp(ts: float) -> str:
    import time

    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(int(ts)))


@dataclass
class Shop:
    """The log lines of one scenario, its announced campaigns and what an analyst would call it."""

    rng: random.Random
    lines: list[tuple[float, str]] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)
    _pools: dict[str, list[str]] = field(default_factory=dict)
    end: float | None = None  # the log is cut here, as a log read at that moment is

    def hit(self, t: float, ip: str, method: str, path: str, status: int, referer: str, ua: str) -> None:
        size = self.rng.randint(300, 40_000)
        self.lines.append((t, f'{ip} - - [{_stamp(t)}] "{method} {path} HTTP/1.1" {status} {size} '
                              f'"{referer}" "{ua}"'))

    def address(self, ranges: list[str]) -> str:
        net = ipaddress.ip_network(self.rng.choice(ranges))
        return str(net[self.rng.randrange(1, net.num_addresses - 1)])

    def customer(self, regions: tuple[str, ...] | None = None) -> str:
        pool = {c: v for c, v in CUSTOMERS.items() if regions is None or c in regions}
        country = self.rng.choices(list(pool), [w for _, w in pool.values()])[0]
        return self.address(pool[country][0])

    def page(self, t: float, ip: str, ua: str, path: str, referer: str, status: int = 200) -> float:
        """A page and its assets, as a browser loads them; returns when the last asset came."""
        self.hit(t, ip, "GET", path, status, referer, ua)
        for asset in self.rng.sample(ASSETS, 4):
            t += self.rng.uniform(0.05, 0.4)
            self.hit(t, ip, "GET", asset, 200, HOST + path.split("?")[0], ua)
        return t

    def visit(self, t: float, *, regions: tuple[str, ...] | None = None, landing: str | None = None,
              referer: str | None = None, landing_status: int = 200, buy: float = 0.04) -> None:
        """A person on the web shop: a few pages, sometimes the cart, now and then an order."""
        ip, ua = self.customer(regions), self.rng.choice(BROWSERS)
        path = landing or self.rng.choice(["/", "/products/shoes", "/products/jackets", "/sale"])
        ref = referer if referer is not None else self.rng.choice(REFERRERS)
        t = self.page(t, ip, ua, path, ref, landing_status)
        if landing_status >= 400:
            return
        for _ in range(self.rng.randint(1, 4)):
            t += self.rng.uniform(8, 60)
            nxt = f"/products/item-{self.rng.randint(1, 400)}"
            t = self.page(t, ip, ua, nxt, HOST + path)
            path = nxt
        if self.rng.random() < 0.25:
            t += self.rng.uniform(10, 40)
            self.hit(t, ip, "POST", "/cart/add", 200, HOST + path, ua)
            if self.rng.random() < buy / 0.25:
                t = self.page(t + self.rng.uniform(15, 60), ip, ua, "/checkout", HOST + "/cart")
                t += self.rng.uniform(30, 120)
                self.hit(t, ip, "POST", "/checkout", 302, HOST + "/checkout", ua)
                self.page(t + 1, ip, ua, "/order/complete", HOST + "/checkout")

    def app_session(self, t: float, regions: tuple[str, ...] | None = None) -> None:
        """Someone in the shop's app: JSON calls, no HTML, no assets, sometimes an order."""
        ip, ua = self.customer(regions), self.rng.choice(APPS)
        self.hit(t, ip, "GET", "/api/v2/home", 200, "-", ua)
        for _ in range(self.rng.randint(2, 8)):
            t += self.rng.uniform(2, 20)
            self.hit(t, ip, "GET", f"/api/v2/products/{self.rng.randint(1, 400)}", 200, "-", ua)
        if self.rng.random() < 0.2:
            t += self.rng.uniform(5, 30)
            self.hit(t, ip, "POST", "/api/v2/cart", 200, "-", ua)
            if self.rng.random() < 0.3:
                t += self.rng.uniform(20, 90)
                self.hit(t, ip, "POST", "/api/v2/checkout", 201, "-", ua)

    def scalper(self, t: float, product: str) -> None:
        """A bot driving a real browser through a residential proxy: page and assets, then the cart and
        checkout within seconds, retrying on 409 / 429, almost never an order."""
        ip = self._proxy()
        ua = self._pools.setdefault("scalper_ua", self.rng.sample(BROWSERS[:2], 2))[self.rng.randrange(2)]
        t = self.page(t, ip, ua, product, "-")
        for _ in range(self.rng.randint(2, 6)):
            t += self.rng.uniform(0.3, 2.0)
            status = self.rng.choices([200, 409, 429], [0.15, 0.5, 0.35])[0]
            self.hit(t, ip, "POST", "/cart/add", status, HOST + product, ua)
            if status == 200:
                t += self.rng.uniform(0.5, 2.0)
                done = self.rng.random() < 0.05
                self.hit(t, ip, "POST", "/checkout", 302 if done else 409, HOST + "/cart", ua)
                if done:
                    self.page(t + 0.5, ip, ua, "/order/complete", HOST + "/checkout")
                break

    def _proxy(self) -> str:
        pool = self._pools.setdefault("proxies", [])
        if len(pool) < 1500 or self.rng.random() < 0.3:
            pool.append(self.address(PROXIES))
            return pool[-1]
        return self.rng.choice(pool)

    def write(self, path: Path) -> Path:
        self.lines.sort(key=lambda x: x[0])
        path.write_text("".join(line + "\n" for t, line in self.lines if self.end is None or t < self.end))
        return path


def arrivals(rng: random.Random, t0: float, t1: float, rate) -> list[float]:
    """Poisson arrival times in [t0, t1) with a time-varying ``rate(t)`` per second (thinning)."""
    top = max(rate(t0 + (t1 - t0) * k / 200) for k in range(201)) * 1.2 + 1e-9
    out, t = [], t0
    while True:
        t += rng.expovariate(top)
        if t >= t1:
            return out
        if rng.random() * top < rate(t):
            out.append(t)


def steep(t: float) -> float:
    """Offices opening: quiet nights, then the traffic triples within half an hour at 8:00."""
    h = (t % 86400) / 3600
    return 0.3 + 1.7 * min(max((h - 8.0) / 0.5, 0.0), 1.0) * (1.0 if h < 18 else 0.3)


def rhythm(t: float) -> float:
    """A strong daily rhythm: nights at a fifth of the mean, a lunch peak and a bigger evening one."""
    h = (t % 86400) / 3600
    night = 0.2 if h < 6 or h >= 23.5 else 1.0
    lunch = 0.8 * math.exp(-((h - 12.5) / 1.2) ** 2)
    evening = 1.2 * math.exp(-((h - 20.0) / 1.6) ** 2)
    morning = min(max((h - 6) / 3, 0.0), 1.0)
    return night * (0.25 + 0.6 * morning + lunch + evening) if night == 1.0 else 0.2


DAY0 = 1_773_100_800  # 2026-03-10 00:00 UTC


def _iso(t: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def _history(shop: Shop, t0: float, t1: float, web: float, app: float) -> None:
    for t in arrivals(shop.rng, t0, t1, lambda _t: web):
        shop.visit(t)
    for t in arrivals(shop.rng, t0, t1, lambda _t: app):
        shop.app_session(t)


def app_push(seed: int) -> tuple[Shop, str]:
    """A push to the shop's app users in Germany and France: the app's JSON calls surge. Truth: campaign."""
    shop = Shop(random.Random(seed))
    start, push = DAY0 + 9 * 3600, DAY0 + 12 * 3600
    _history(shop, start, push + 3600, 0.5, 0.4)
    shop.end = push + 3600
    surge = lambda t: 4.0 * min((t - push) / 120, 1.0) * math.exp(-(t - push) / 1800)  # noqa: E731
    for t in arrivals(shop.rng, push, push + 3600, surge):
        shop.app_session(t, regions=("DE", "FR"))
    shop.campaigns.append({"name": "App push spring", "channel": "push", "start": _iso(push),
                           "regions": ["DE", "FR"]})
    return shop, "campaign"


def scalper_drop(seed: int) -> tuple[Shop, str]:
    """A limited sneaker drop: scalper bots through residential proxies. Truth: bot."""
    shop = Shop(random.Random(seed))
    start, drop = DAY0 + 9 * 3600, DAY0 + 12 * 3600
    _history(shop, start, drop + 3600, 0.5, 0.3)
    shop.end = drop + 3600
    for t in arrivals(shop.rng, drop, drop + 1800, lambda t: 1.5 * min((t - drop) / 60, 1.0)):
        shop.scalper(t, "/products/drop-sneaker-x")
    return shop, "bot"


def rhythm_days(seed: int, days: int = 3, mean: float = 0.03, shape=rhythm) -> tuple[Shop, str]:  # noqa: ANN001
    """Days of ordinary traffic with a strong daily rhythm and nothing else. Truth: no surge."""
    shop = Shop(random.Random(seed))
    for t in arrivals(shop.rng, DAY0, DAY0 + days * 86400, lambda t: mean * shape(t)):
        shop.visit(t)
    for t in arrivals(shop.rng, DAY0, DAY0 + days * 86400, lambda t: 0.4 * mean * shape(t)):
        shop.app_session(t)
    return shop, "none"


def office_days(seed: int) -> tuple[Shop, str]:
    """Three days of a B2B shop: offices open at 8:00 and the traffic steps up. Truth: no surge."""
    return rhythm_days(seed, 3, 0.05, steep)


def broken_landing(seed: int, peak: float = 6.0) -> tuple[Shop, str]:
    """An email campaign whose landing page answers 404. Truth: campaign, with its landing failing."""
    shop = Shop(random.Random(seed))
    start, send = DAY0 + 9 * 3600, DAY0 + 11 * 3600
    _history(shop, start, send + 3600, 0.5, 0.3)
    shop.end = send + 3600
    landing = "/spring-sale?utm_source=newsletter&utm_medium=email&utm_campaign=spring26"
    rate = lambda t: peak * min((t - send) / 300, 1.0) * math.exp(-(t - send) / 2400)  # noqa: E731
    for t in arrivals(shop.rng, send, send + 3600, rate):
        shop.visit(t, regions=("DE",), landing=landing, referer=shop.rng.choice(["-", "https://mail.google.com/"]),
                   landing_status=404)
    shop.campaigns.append({"name": "Spring sale newsletter", "channel": "email", "start": _iso(send),
                           "regions": ["DE"], "utm_campaign": "spring26", "landing": ["/spring-sale"]})
    return shop, "campaign"


SCENARIOS = {"app_push": app_push, "scalper_drop": scalper_drop, "rhythm_days": rhythm_days,
             "broken_landing": broken_landing}


def flash_sale(seed: int) -> tuple[Shop, str]:
    """A flash sale announced by push to German customers: people rush to buy, with no referrer.
    Truth: campaign (busy carts of people who order are no bots)."""
    shop = Shop(random.Random(seed))
    start, push = DAY0 + 9 * 3600, DAY0 + 12 * 3600
    _history(shop, start, push + 3600, 0.5, 0.3)
    shop.end = push + 3600
    rate = lambda t: 3.0 * min((t - push) / 120, 1.0) * math.exp(-(t - push) / 1800)  # noqa: E731
    for t in arrivals(shop.rng, push, push + 3600, rate):
        shop.visit(t, regions=("DE",), landing="/sale/flash", referer="-", buy=0.2)
    shop.campaigns.append({"name": "Flash sale push", "channel": "push", "start": _iso(push), "regions": ["DE"],
                           "landing": ["/sale/flash"]})
    return shop, "campaign"


SCENARIOS["flash_sale"] = flash_sale
SCENARIOS["office_days"] = office_days


def office_days_night_push(seed: int) -> tuple[Shop, str]:
    """The office days, with a push to the app's users at 02:00 on the third night. Truth: that one campaign."""
    shop, _ = office_days(seed)
    push = DAY0 + 2 * 86400 + 2 * 3600
    rate = lambda t: 1.0 * min((t - push) / 120, 1.0) * math.exp(-(t - push) / 1200)  # noqa: E731
    for t in arrivals(shop.rng, push, push + 3600, rate):
        shop.app_session(t, regions=("GB",))
    shop.campaigns.append({"name": "Night owls push", "channel": "push", "start": _iso(push), "regions": ["GB"]})
    return shop, "campaign"


SCENARIOS["office_days_night_push"] = office_days_night_push
SCENARIOS["small_broken_landing"] = lambda seed: broken_landing(seed, peak=0.5)


def app_agent_stuffing(seed: int) -> tuple[Shop, str]:
    """Credential stuffing that borrows the shop's app agent (``okhttp``) from residential proxies. Truth: bot."""
    shop = Shop(random.Random(seed))
    start, attack = DAY0 + 9 * 3600, DAY0 + 12 * 3600
    _history(shop, start, attack + 1800, 0.5, 0.4)
    shop.end = attack + 1800
    for t in arrivals(shop.rng, attack, attack + 1800, lambda t: 12.0):
        ip = shop.address(CUSTOMERS["DE"][0] + PROXIES)
        shop.hit(t, ip, "POST", "/api/v2/login", shop.rng.choice([401, 401, 401, 429]), "-", "okhttp/4.12.0")
    return shop, "bot"


SCENARIOS["app_agent_stuffing"] = app_agent_stuffing
