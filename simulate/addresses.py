"""Client addresses for simulated traffic: residential pools per country, datacenter and service ranges.

Residential addresses are drawn at random and kept only when geoip2fast places them in the wanted
country and their network is not a hosting/cloud network, so downstream geolocation sees the
countries a scenario intends. Programs, relays and VPNs come from the simulator's own network
groups (``simulate.networks``), never from the detector's reference lists.
Pools are cached per (country, seed, size) because sampling costs a few hundred milliseconds.
"""

from __future__ import annotations

import ipaddress
import random
import re
from bisect import bisect_right
from functools import lru_cache

from geoip2fast import GeoIP2Fast

from simulate.networks import (
    BINGBOT,
    CORPORATE_VPN,
    GOOGLEBOT,
    GROUPS,
    HOSTING_PREFIXES,
    IMAGE_PROXIES,
    MAIL_SCANNERS,
    PRIVATE_RELAY,
    UNLISTED_MAIL_SCANNERS,
)

# The simulator's own networks (simulate.networks), by the names the traffic sources use.
DATACENTER_PREFIXES: tuple[str, ...] = HOSTING_PREFIXES
MAIL_SCANNER_PREFIXES: tuple[str, ...] = MAIL_SCANNERS.prefixes
UNLISTED_SCANNER_PREFIXES: tuple[str, ...] = UNLISTED_MAIL_SCANNERS.prefixes
IMAGE_PROXY_PREFIXES: tuple[str, ...] = IMAGE_PROXIES.prefixes
GOOGLEBOT_PREFIXES: tuple[str, ...] = GOOGLEBOT.prefixes
BINGBOT_PREFIXES: tuple[str, ...] = BINGBOT.prefixes
RELAY_PREFIXES: tuple[str, ...] = PRIVATE_RELAY.prefixes
VPN_PREFIXES: tuple[str, ...] = CORPORATE_VPN.prefixes

_HOSTING = re.compile(
    r"amazon|google|microsoft|digitalocean|ovh|hetzner|linode|akamai|cloudflare|oracle|alibaba|tencent|"
    r"choopa|vultr|contabo|scaleway|online s\.a\.s|leaseweb|m247|hosting|datacenter|data center|server|"
    r"cloud|colo|vps|hivelocity|fastly|zscaler|apple|dnic|-gov|government|defense|navy|army",
    re.IGNORECASE,
)
# Where IPv6 space is allocated (sampling the whole /3 would almost never hit a routed network).
_IPV6_BLOCKS = tuple(
    ipaddress.IPv6Network(b)
    for b in ("2001::/16", "2003::/16", "2a00::/12", "2400::/12", "2600::/12", "2800::/12", "2c00::/12")
)
POOL_TIERS = (200, 1500)  # master pool sizes: a few per country for botnets, many for visitors
_DC_NETS = tuple(ipaddress.ip_network(p) for group in GROUPS for p in group.prefixes)
_DC_RANGES = sorted((int(n.network_address), int(n.broadcast_address)) for n in _DC_NETS)
_DC_STARTS = [start for start, _ in _DC_RANGES]


@lru_cache(maxsize=1)
def geo() -> GeoIP2Fast:
    """The shared geoip2fast reader (IPv4 + IPv6 with ASN names), loaded once."""
    return GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn-ipv6.dat.gz")


def country_of(ip: str) -> str:
    """ISO alpha-2 country of an address, or "--" when unknown."""
    return geo().lookup(ip).country_code


def _is_residential(result) -> bool:
    if not result.asn_name or _HOSTING.search(result.asn_name):
        return False
    return ":" in result.ip or not _in_ranges(int(ipaddress.IPv4Address(result.ip)))


def _in_ranges(value: int) -> bool:
    i = bisect_right(_DC_STARTS, value) - 1
    return i >= 0 and value <= _DC_RANGES[i][1]


def _random_ipv4(rng: random.Random) -> str:
    while True:
        value = rng.getrandbits(32)
        first = value >> 24
        if 1 <= first <= 223 and first not in (10, 127):
            return str(ipaddress.IPv4Address(value))


def _random_ipv6(rng: random.Random) -> str:
    net = rng.choice(_IPV6_BLOCKS)
    return str(ipaddress.IPv6Address(int(net.network_address) + rng.getrandbits(128 - net.prefixlen)))


def _in_network(rng: random.Random, cidr: str) -> str:
    net = ipaddress.ip_network(cidr, strict=False)
    host_bits = net.max_prefixlen - net.prefixlen
    if net.version == 6:
        host_bits = min(host_bits, 64)  # keep the routed /64s of big IPv6 blocks
    return str(ipaddress.ip_address(int(net.network_address) + rng.getrandbits(host_bits) if host_bits else
                                    int(net.network_address)))


def _sample(rng: random.Random, country: str, size: int, draw, budget: int) -> list[str]:
    """Up to ``size`` residential addresses in ``country``: random hits first, then more inside their networks."""
    reader = geo()
    hits: list[str] = []
    networks: list[str] = []
    tries = 0
    while len(networks) < max(8, size // 25) and tries < budget:
        tries += 1
        result = reader.lookup(draw(rng))
        if result.country_code == country and _is_residential(result):
            hits.append(result.ip)
            networks.append(result.cidr or result.ip)
    found = set(hits)
    attempts = 0
    while networks and len(found) < size and attempts < size * 4:
        attempts += 1
        result = reader.lookup(_in_network(rng, rng.choice(networks)))
        if result.country_code == country and _is_residential(result):
            found.add(result.ip)
    pool = sorted(found)
    rng.shuffle(pool)
    return pool[:size]


@lru_cache(maxsize=1)
def _networks_by_country() -> dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
    """country -> (IPv4 networks, IPv6 networks) as (first address, prefix length), from geoip2fast's tables.

    Reads the reader's loaded tables (geoip2fast 1.2.x); empty when their layout differs, and
    sampling then falls back to random addresses over the whole space.
    """
    geo()
    try:
        from geoip2fast import geoip2fast as tables

        names = [n.split(":")[0] for n in tables.mainListNamesCountry]
        out: dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        for firsts, lengths, codes in zip(tables.mainListFirstIP, tables.mainListNetlength,
                                          tables.mainListIDCountryCodes, strict=False):
            for first, length, code in zip(firsts, lengths, codes, strict=False):
                v4, v6 = out.setdefault(names[code], ([], []))
                (v4 if first <= 0xFFFFFFFF else v6).append((first, length))
        return out
    except (AttributeError, ImportError, IndexError, TypeError):
        return {}


def _network_draw(networks: list[tuple[int, int]], v6: bool):
    """A drawer of random addresses inside the given networks (IPv4 weighted by network size)."""
    weights = None if v6 else [1 << (32 - length) for _, length in networks]
    cumulative = None
    if weights:
        cumulative, total = [], 0
        for w in weights:
            total += w
            cumulative.append(total)

    def draw(rng: random.Random) -> str:
        if cumulative:
            first, length = networks[bisect_right(cumulative, rng.random() * cumulative[-1])]
            return str(ipaddress.IPv4Address(first + rng.getrandbits(32 - length) if length < 32 else first))
        first, length = rng.choice(networks)
        bits = min(128 - length, 64)
        return str(ipaddress.IPv6Address(first + (rng.getrandbits(bits) if bits else 0)))
    return draw


@lru_cache(maxsize=256)
def _country_master(country: str, ipv6_share: float, size: int) -> tuple[str, ...]:
    """A pool of addresses in ``country``, sampled once per process and shared by all seeds."""
    rng = random.Random(f"pool:{country}:{size}")
    n6 = int(size * ipv6_share)
    v4_nets, v6_nets = _networks_by_country().get(country, ([], []))
    draw4 = _network_draw(v4_nets, False) if v4_nets else _random_ipv4
    draw6 = _network_draw(v6_nets, True) if v6_nets else _random_ipv6
    v4 = _sample(rng, country, size - n6, draw4, budget=300_000 if not v4_nets else 20_000)
    v6 = _sample(rng, country, n6, draw6, budget=8_000) if n6 else []
    return tuple(v4 + v6)


@lru_cache(maxsize=1024)
def country_pool(country: str, seed: int, size: int = 600, ipv6_share: float = 0.15) -> tuple[str, ...]:
    """Residential-looking addresses that geolocate to ``country`` (mostly IPv4, some IPv6), chosen by seed.

    Empty when the country cannot be found (unknown code); callers fall back to other countries.
    """
    tier = next((t for t in POOL_TIERS if size <= t), POOL_TIERS[-1])
    master = _country_master(country.upper(), ipv6_share, tier)
    rng = random.Random(f"{seed}:{country}")
    return tuple(rng.sample(master, min(size, len(master))))


def _room(prefixes: tuple[str, ...]) -> int:
    """How many distinct addresses the prefixes can give (IPv6 counted as plenty)."""
    room = 0
    for cidr in prefixes:
        net = ipaddress.ip_network(cidr, strict=False)
        room += 1 << min(net.max_prefixlen - net.prefixlen, 40)
    return room


def prefix_pool(rng: random.Random, prefixes: tuple[str, ...], size: int) -> list[str]:
    """``size`` addresses spread over the given prefixes: distinct while the prefixes have room, then
    repeated (several clients behind one address), so a few small prefixes never stall a big draw."""
    want = min(size, _room(prefixes))
    found: set[str] = set()
    while len(found) < want:
        found.add(_in_network(rng, rng.choice(prefixes)))
    pool = sorted(found)
    rng.shuffle(pool)
    return pool + [rng.choice(pool) for _ in range(size - len(pool))] if pool else pool


_HOST_NETS = tuple(ipaddress.ip_network(p) for p in HOSTING_PREFIXES)


def is_datacenter(ip: str) -> bool:
    """Whether an address lies in one of the simulator's hosting prefixes (attackers' servers)."""
    return ":" not in ip and any(ipaddress.ip_address(ip) in n for n in _HOST_NETS)
