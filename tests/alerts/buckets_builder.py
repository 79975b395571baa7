"""Build stored 10 s buckets (http, visitors, networks points) for alerts tests, by traffic component."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from store.base import Point

SITE = "shop"
T0 = 1_780_000_000 // 10 * 10


@dataclass
class Component:
    rate: Callable[[int], float]       # requests per bucket at bucket index i
    actor: str = "human"
    client: str = "browser"
    countries: dict[str, float] = field(default_factory=lambda: {"DE": 0.5, "FR": 0.3, "US": 0.2})
    referrer: str = "direct"
    utm: str = "none"
    login: bool = False                # POST /login answered 401
    asset_ratio: float = 2.0           # assets per page
    conversion: float = 0.02
    prefixes: int = 0                  # spread over this many /24s (networks measurement)
    datacenter: float = 0.0
    rpc: float = 3.0
    broken: bool = False               # its pages answer 404


def build(components: list[Component], buckets: int, seed: int) -> list[Point]:
    rng = np.random.default_rng(seed)
    pts: list[Point] = []
    for i in range(buckets):
        t = T0 + 10 * i
        http: dict[tuple, float] = defaultdict(float)
        vis: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        nets: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for c in components:
            n = int(rng.poisson(max(c.rate(i), 0.0)))
            if n == 0:
                continue
            assets = int(n * c.asset_ratio / (1 + c.asset_ratio)) if not c.login else 0
            pages = n - assets
            for country, share in c.countries.items():
                k = round(pages * share)
                if k:
                    path, method, status = ("login", "POST", "4xx") if c.login else (
                        "page", "GET", "4xx" if c.broken else "2xx")
                    http[(country, c.client, c.actor, c.referrer, path, status, method, c.utm)] += k
                    if assets:
                        http[(country, c.client, c.actor, c.referrer, "asset", "2xx", "GET", c.utm)] += round(
                            assets * share)
            v = vis[c.actor]
            v["requests"] += n
            v["clients"] += max(1, round(n / c.rpc))
            v["pages"] += pages
            v["assets"] += assets
            v["login_posts"] += pages if c.login else 0
            v["auth_failures"] += pages if c.login else 0
            v["conversions"] += round(pages * c.conversion)
            v["datacenter"] += round(n * c.datacenter)
            v["rpc_p50"] = c.rpc
            v["ua_families"] = max(v["ua_families"], 3)
            for j in range(c.prefixes):
                share = n / c.prefixes
                key = (f"198.51.{j % 256}.0/24" if c.actor != "human" else f"203.0.{j % 256}.0/24",
                       "AS64500" if c.actor != "human" else "AS3320")
                nets[key]["requests"] += share
                nets[key]["automated"] += share if c.actor == "automated" else 0
        base = {"site": SITE, "source": "test"}
        tags = ("country", "client", "actor", "referrer", "path_group", "status", "method", "utm_campaign")
        pts += [Point("http", {**base, **dict(zip(tags, k, strict=True))}, {"requests": v}, t)
                for k, v in http.items() if v > 0]
        pts += [Point("visitors", {**base, "actor": a}, dict(f), t) for a, f in vis.items()]
        pts += [Point("networks", {**base, "prefix": p, "asn": a}, dict(f), t) for (p, a), f in nets.items()]
    return pts


def surge(start: int, height: float, rise: int = 6, decay: float = 400.0) -> Callable[[int], float]:
    def rate(i: int) -> float:
        if i < start:
            return 0.0
        x = i - start
        return height * min(1.0, (x + 1) / rise) * (np.exp(-(x - rise) / decay) if x > rise else 1.0)
    return rate


def steady(level: float) -> Callable[[int], float]:
    return lambda i: level
