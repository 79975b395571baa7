"""The aggregate step: one 10-second bucket of requests, turned into whole points.

A bucket holds counters keyed by the ``http`` tag set, per-actor behaviour counters,
per-client request counts (for the requests-per-client distribution), the visitor ids
for the uniques sketch, user-agent families and client networks. ``points`` writes it
as ``http``, ``visitors``, ``networks`` (top-K, rest folded into ``other``) and
``ingest``; ``state``/``from_state`` make it JSON for checkpoints.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from store.base import Point
from store.schema import OTHER
from store.sketch import new_sketch, to_b64

# per-actor counters, in this order
VIS_FIELDS = ("requests", "pages", "assets", "login_posts", "auth_failures", "conversions", "datacenter")
NET_FIELDS = ("requests", "login_posts", "auth_failures", "automated")
HTTP_TAGS = ("country", "client", "actor", "referrer", "path_group", "status", "method", "utm_campaign")


class Bucket:
    __slots__ = ("start", "http", "vis", "clients", "uniques", "families", "nets", "ingest")

    def __init__(self, start: int) -> None:
        self.start = start
        self.http: dict[tuple, list[int]] = {}
        self.vis: dict[str, list[int]] = {}
        self.clients: dict[str, dict[int, int]] = {}
        self.uniques: dict[str, set[int]] = {}
        self.families: dict[str, set[str]] = {}
        self.nets: dict[tuple[str, str], list[int]] = {}
        self.ingest: dict[str, int] = {}

    def count(self, reason: str, n: int = 1) -> None:
        self.ingest[reason] = self.ingest.get(reason, 0) + n

    def points(self, site: str, source: str, top_networks: int, *, networks: bool = True) -> list[Point]:
        t = self.start
        base = {"site": site, "source": source}
        out = [Point("http", _http_tags(site, source, key), {"requests": v[0], "bytes": v[1]}, t)
               for key, v in self.http.items()]
        for actor, v in self.vis.items():
            counts = sorted(self.clients.get(actor, {}).values())
            sketch = new_sketch()
            for vid in sorted(self.uniques.get(actor, ())):  # sorted: the same sketch bytes whatever the order
                sketch.update(vid)
            fields: dict[str, float | int | str] = dict(zip(VIS_FIELDS, v, strict=True))
            fields.update(
                clients=len(counts), uniques=to_b64(sketch), rpc_p50=_rank(counts, 0.5), rpc_p90=_rank(counts, 0.9),
                rpc_max=counts[-1] if counts else 0, ua_families=len(self.families.get(actor, ())),
            )
            out.append(Point("visitors", {**base, "actor": actor}, fields, t))
        top = heapq.nsmallest(max(0, top_networks), self.nets.items(), key=_by_requests) if networks else []
        for (prefix, asn), v in top:
            out.append(Point("networks", {**base, "prefix": prefix, "asn": asn}, _net_fields(v), t))
        rest = [0] * len(NET_FIELDS)
        if networks and len(self.nets) > len(top):  # the rest folded into one "other" point
            rest = [sum(col) for col in zip(*self.nets.values(), strict=True)]
            for _, v in top:
                rest = [a - b for a, b in zip(rest, v, strict=True)]
        if rest[0] and networks:
            out.append(Point("networks", {**base, "prefix": OTHER, "asn": OTHER}, _net_fields(rest), t))
        out.extend(Point("ingest", {**base, "reason": r}, {"lines": n}, t) for r, n in self.ingest.items())
        return out

    def state(self) -> dict:
        return {
            "start": self.start,
            "http": [[list(k), v] for k, v in self.http.items()],
            "vis": self.vis,
            "clients": {a: [[k, n] for k, n in c.items()] for a, c in self.clients.items()},
            "uniques": {a: list(s) for a, s in self.uniques.items()},
            "families": {a: sorted(s) for a, s in self.families.items()},
            "nets": [[list(k), v] for k, v in self.nets.items()],
            "ingest": self.ingest,
        }

    @classmethod
    def from_state(cls, data: dict) -> Bucket:
        b = cls(int(data["start"]))
        b.http = {tuple(k): list(v) for k, v in data["http"]}
        b.vis = {a: list(v) for a, v in data["vis"].items()}
        b.clients = {a: {int(k): int(n) for k, n in c} for a, c in data["clients"].items()}
        b.uniques = {a: set(s) for a, s in data["uniques"].items()}
        b.families = {a: set(s) for a, s in data["families"].items()}
        b.nets = {tuple(k): list(v) for k, v in data["nets"]}
        b.ingest = dict(data["ingest"])
        return b


@lru_cache(maxsize=65_536)
def _http_tags(site: str, source: str, key: tuple) -> Mapping[str, str]:
    """The tag set of an ``http`` key, built once and shared by its points of every bucket (read-only)."""
    return MappingProxyType({"site": site, "source": source, **dict(zip(HTTP_TAGS, key, strict=True))})


def _by_requests(kv: tuple[tuple[str, str], list[int]]) -> tuple:
    return -kv[1][0], kv[0]


def _rank(sorted_counts: list[int], q: float) -> float:
    if not sorted_counts:
        return 0.0
    return float(sorted_counts[min(len(sorted_counts) - 1, int(q * len(sorted_counts)))])


def _net_fields(values: list[int]) -> dict[str, float | int | str]:
    return dict(zip(NET_FIELDS, values, strict=True))
