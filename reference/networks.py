"""The published ranges, read from ``reference/data/`` and grouped by what they tell about a client.

``ranges(name)`` gives one source's CIDRs; the groups say what the detector needs: crawlers of
search engines, mail image proxies, mail-security vendors, Private Relay egress, and the clouds.
``NetworkSet`` answers "is this address / prefix inside one of them" by sorted ranges.
"""

from __future__ import annotations

import ipaddress
import json
import os
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

from reference.formats import PARSERS
from reference.sources import SOURCES

DATA_DIR = Path(__file__).resolve().parent / "data"
CLOUDS = ("aws", "gcp", "azure")


def data_dir() -> Path:
    """``SURGEWATCH_REFERENCE_DIR`` when set (a refreshed copy elsewhere), else the package's own data."""
    return Path(os.environ.get("SURGEWATCH_REFERENCE_DIR") or DATA_DIR)


@lru_cache(maxsize=64)
def _load(name: str, directory: Path) -> tuple[str, ...]:
    source = SOURCES[name]
    return tuple(PARSERS[source.format]((directory / source.file).read_bytes()))


def ranges(name: str, directory: Path | None = None) -> tuple[str, ...]:
    """The CIDRs of one source (see ``reference.sources.SOURCES``)."""
    if name not in SOURCES:
        raise KeyError(f"unknown reference source {name!r}; known: {', '.join(SOURCES)}")
    return _load(name, Path(directory or data_dir()))


def _services(kind: str, directory: Path | None) -> tuple[str, ...]:
    path = Path(directory or data_dir()) / SOURCES["other_services"].file
    doc = json.loads(path.read_text(encoding="utf-8"))
    return tuple(r for s in doc["services"] if s.get("kind") == kind for r in s["ranges"])


def search_crawlers(directory: Path | None = None) -> tuple[str, ...]:
    """Googlebot and bingbot as published, plus Apple's and Yandex's crawler networks."""
    return ranges("googlebot", directory) + ranges("bingbot", directory) + _services("search_crawler", directory)


def image_proxies(directory: Path | None = None) -> tuple[str, ...]:
    """Mail image proxies that prefetch a message's images (Gmail's ggpht proxy)."""
    return _services("image_proxy", directory)


def mail_security(directory: Path | None = None) -> tuple[str, ...]:
    """Mail-security vendors' documented gateway / link-scanner ranges."""
    return ranges("mail_security", directory)


def private_relay(directory: Path | None = None) -> tuple[str, ...]:
    """Apple iCloud Private Relay egress ranges: people, behind a relay."""
    return ranges("private_relay", directory)


def clouds(directory: Path | None = None) -> dict[str, tuple[str, ...]]:
    """provider -> published ranges of the big clouds (AWS, Google Cloud, Azure)."""
    return {name: ranges(name, directory) for name in CLOUDS}


class NetworkSet:
    """Membership of an address, and overlap of a prefix, in a set of CIDRs (IPv4 and IPv6)."""

    def __init__(self, cidrs: tuple[str, ...] | list[str]) -> None:
        nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
        self.networks = tuple(nets)
        self._ranges = {v: sorted((int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == v)
                        for v in (4, 6)}
        self._starts = {v: [a for a, _ in r] for v, r in self._ranges.items()}

    def contains(self, addr: str) -> bool:
        """Whether the address lies in one of the networks (False for anything not an address)."""
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        ranges_ = self._ranges[ip.version]
        i = bisect_right(self._starts[ip.version], int(ip)) - 1
        return i >= 0 and int(ip) <= ranges_[i][1]

    def overlaps(self, prefix: str) -> bool:
        """Whether the prefix lies in or covers one of the networks (False for anything not a prefix)."""
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            return False
        return any(n.version == net.version and (net.subnet_of(n) or n.subnet_of(net))  # type: ignore[arg-type]
                   for n in self.networks)
