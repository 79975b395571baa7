"""The aggregate step: one 10-second bucket of requests, turned into whole points.

A bucket holds counters keyed by the ``http`` tag set, per-actor behaviour counters,
per-client request counts (for the requests-per-client distribution), the visitor ids
for the uniques sketch, user-agent families and client networks. ``points`` writes it
as ``http``, ``visitors``, ``networks`` and ``ingest``; ``state``/``from_state`` make it
JSON for checkpoints.

Networks: the top ``top_networks`` by requests, plus up to ``top_automated`` more among
those that sent automated requests (a botnet spread thin over hundreds of /24s is kept
whole, while in normal times few networks qualify); the rest is folded into ``other``.
A bucket is written many times while open, so every network written once stays in its
``written`` set and is written again at each later write: a later write replaces each
earlier point, none is left stale, and ``networks`` always sums to the bucket's requests.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from types import MappingProxyType

from store.base import Point
from store.schema import OTHER
from store.sketch import new_sketch, to_b64


@dataclass(slots=True)
class VisitorCounts:
    """One actor's counters in a bucket, written as these ``visitors`` fields (a new counter: a new field)."""

    requests: int = 0
    pages: int = 0
    assets: int = 0
    login_posts: int = 0
    auth_failures: int = 0
    conversions: int = 0
    datacenter: int = 0


@dataclass(slots=True)
class NetworkCounts:
    """One client network's counters in a bucket, written as these ``networks`` fields."""

    requests: int = 0
    login_posts: int = 0
    auth_failures: int = 0
    automated: int = 0


VIS_FIELDS = tuple(f.name for f in fields(VisitorCounts))
NET_FIELDS = tuple(f.name for f in fields(NetworkCounts))


def add_counts(into: VisitorCounts | NetworkCounts, counts: Mapping[str, int]) -> None:
    """Add ``counts`` (field name -> amount) to ``into``."""
    for name, n in counts.items():
        setattr(into, name, getattr(into, name) + n)


def _sum_networks(rows: Iterable[NetworkCounts]) -> NetworkCounts:
    total = NetworkCounts()
    for v in rows:
        add_counts(total, {name: getattr(v, name) for name in NET_FIELDS})
    return total


_OTHER_KEY = (OTHER, OTHER)
HTTP_TAGS = ("country", "client", "actor", "referrer", "path_group", "status", "method", "utm_campaign")


class Bucket:
    __slots__ = ("start", "http", "vis", "clients", "uniques", "families", "nets", "ingest", "written")

    def __init__(self, start: int) -> None:
        self.start = start
        self.http: dict[tuple, list[int]] = {}
        self.vis: dict[str, VisitorCounts] = {}
        self.clients: dict[str, dict[int, int]] = {}
        self.uniques: dict[str, set[int]] = {}
        self.families: dict[str, set[str]] = {}
        self.nets: dict[tuple[str, str], NetworkCounts] = {}
        self.ingest: dict[str, int] = {}
        self.written: set[tuple[str, str]] = set()  # networks (and "other") already written for this bucket

    def count(self, reason: str, n: int = 1) -> None:
        self.ingest[reason] = self.ingest.get(reason, 0) + n

    def points(self, site: str, source: str, top_networks: int, top_automated: int = 0, *,
               networks: bool = True, part: str = "") -> list[Point]:
        """The bucket's points as it stands, tagged ``part`` when given; grows ``written`` by the networks chosen."""
        t = self.start
        base = {"site": site, "source": source, "part": part} if part else {"site": site, "source": source}
        out = [Point("http", _http_tags(site, source, part, key), {"requests": v[0], "bytes": v[1]}, t)
               for key, v in self.http.items()]
        for actor, v in self.vis.items():
            counts = sorted(self.clients.get(actor, {}).values())
            sketch = new_sketch()
            for vid in sorted(self.uniques.get(actor, ())):  # sorted: the same sketch bytes whatever the order
                sketch.update(vid)
            fields: dict[str, float | int | str] = _as_dict(v, VIS_FIELDS)
            fields.update(
                clients=len(counts), uniques=to_b64(sketch), rpc_p50=_rank(counts, 0.5), rpc_p90=_rank(counts, 0.9),
                rpc_max=counts[-1] if counts else 0, ua_families=len(self.families.get(actor, ())),
            )
            out.append(Point("visitors", {**base, "actor": actor}, fields, t))
        if networks:
            out.extend(Point("networks", {**base, "prefix": prefix, "asn": asn}, _net_fields(v), t)
                       for (prefix, asn), v in self.network_rows(top_networks, top_automated))
        out.extend(Point("ingest", {**base, "reason": r}, {"lines": n}, t) for r, n in self.ingest.items())
        return out

    def network_rows(self, top_networks: int, top_automated: int) -> list[tuple[tuple[str, str], NetworkCounts]]:
        """(prefix, asn) and counters of every network to write now, ``other`` last; grows ``written``."""
        nets, written = self.nets, self.written
        written.update(k for k, _ in heapq.nsmallest(max(0, top_networks), nets.items(), key=_by_requests))
        if top_automated > 0:
            automated = [kv for kv in nets.items() if kv[1].automated > 0 and kv[0] not in written]
            written.update(k for k, _ in heapq.nsmallest(top_automated, automated, key=_by_automated))
        rows = [(k, nets.get(k) or NetworkCounts()) for k in sorted(written) if k != _OTHER_KEY]
        rest = _sum_networks(nets.values())
        for _, v in rows:
            add_counts(rest, {name: -getattr(v, name) for name in NET_FIELDS})
        if rest.requests or _OTHER_KEY in written:  # once written, "other" is rewritten even when it drops to zero
            written.add(_OTHER_KEY)
            rows.append((_OTHER_KEY, rest))
        return rows

    def state(self) -> dict:
        return {
            "start": self.start,
            "http": [[list(k), v] for k, v in self.http.items()],
            "vis": {a: [getattr(v, f) for f in VIS_FIELDS] for a, v in self.vis.items()},
            "clients": {a: [[k, n] for k, n in c.items()] for a, c in self.clients.items()},
            "uniques": {a: list(s) for a, s in self.uniques.items()},
            "families": {a: sorted(s) for a, s in self.families.items()},
            "nets": [[list(k), [getattr(v, f) for f in NET_FIELDS]] for k, v in self.nets.items()],
            "ingest": self.ingest,
            "written": sorted(list(k) for k in self.written),
        }

    @classmethod
    def from_state(cls, data: dict) -> Bucket:
        b = cls(int(data["start"]))
        b.http = {tuple(k): list(v) for k, v in data["http"]}
        b.vis = {a: VisitorCounts(*v) for a, v in data["vis"].items()}
        b.clients = {a: {int(k): int(n) for k, n in c} for a, c in data["clients"].items()}
        b.uniques = {a: set(s) for a, s in data["uniques"].items()}
        b.families = {a: set(s) for a, s in data["families"].items()}
        b.nets = {tuple(k): NetworkCounts(*v) for k, v in data["nets"]}
        b.ingest = dict(data["ingest"])
        b.written = {(str(p), str(a)) for p, a in data.get("written", [])}
        return b


@lru_cache(maxsize=65_536)
def _http_tags(site: str, source: str, part: str, key: tuple) -> Mapping[str, str]:
    """The tag set of an ``http`` key, built once and shared by its points of every bucket (read-only)."""
    base = {"site": site, "source": source, "part": part} if part else {"site": site, "source": source}
    return MappingProxyType({**base, **dict(zip(HTTP_TAGS, key, strict=True))})


def _as_dict(counts: VisitorCounts | NetworkCounts, names: tuple[str, ...]) -> dict[str, float | int | str]:
    return {f: getattr(counts, f) for f in names}


def _by_requests(kv: tuple[tuple[str, str], NetworkCounts]) -> tuple:
    return -kv[1].requests, kv[0]


def _by_automated(kv: tuple[tuple[str, str], NetworkCounts]) -> tuple:
    return -kv[1].automated, -kv[1].requests, kv[0]


def _rank(sorted_counts: list[int], q: float) -> float:
    if not sorted_counts:
        return 0.0
    return float(sorted_counts[min(len(sorted_counts) - 1, int(q * len(sorted_counts)))])


def _net_fields(values: NetworkCounts) -> dict[str, float | int | str]:
    return _as_dict(values, NET_FIELDS)
