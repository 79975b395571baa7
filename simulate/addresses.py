"""Client addresses for simulated traffic: residential pools per country, datacenter and service ranges.

Residential addresses are drawn at random and kept only when geoip2fast places them in the wanted
country and their network is not a hosting/cloud network, so downstream geolocation sees the
countries a scenario intends. Bots come from real public cloud and hosting prefixes; mail link
scanners, image proxies and search crawlers from the networks those services really use.
Pools are cached per (country, seed, size) because sampling costs a few hundred milliseconds.
"""

from __future__ import annotations

import ipaddress
import random
import re
from bisect import bisect_right
from functools import lru_cache

from geoip2fast import GeoIP2Fast

# Real public cloud / hosting prefixes (AWS, GCP, Azure, DigitalOcean, OVH, Hetzner, Linode, Vultr,
# Scaleway, Oracle, Alibaba, Contabo).
DATACENTER_PREFIXES: tuple[str, ...] = (
    "3.120.0.0/14", "18.196.0.0/15", "35.156.0.0/14", "52.28.0.0/16", "54.93.0.0/16",   # AWS eu-central-1
    "34.240.0.0/13", "13.48.0.0/15", "54.64.0.0/15", "44.192.0.0/11", "52.95.0.0/16",   # AWS others
    "34.64.0.0/10", "35.184.0.0/13", "104.154.0.0/15", "130.211.0.0/16",               # Google Cloud
    "20.36.0.0/14", "40.74.0.0/15", "52.136.0.0/13", "13.64.0.0/11", "104.40.0.0/13",  # Azure
    "104.131.0.0/16", "159.65.0.0/16", "167.99.0.0/16", "138.68.0.0/16", "64.225.0.0/16",  # DigitalOcean
    "51.38.0.0/16", "51.68.0.0/16", "54.36.0.0/16", "145.239.0.0/16", "137.74.0.0/16",  # OVH
    "5.9.0.0/16", "88.198.0.0/16", "95.216.0.0/16", "135.181.0.0/16", "65.21.0.0/16",   # Hetzner
    "116.202.0.0/16", "168.119.0.0/16",
    "45.33.0.0/17", "139.162.0.0/16", "172.104.0.0/15",                                # Linode / Akamai
    "45.32.0.0/16", "45.76.0.0/16", "149.28.0.0/16",                                   # Vultr
    "51.15.0.0/16", "163.172.0.0/16",                                                  # Scaleway
    "129.146.0.0/16", "132.145.0.0/16",                                                # Oracle Cloud
    "47.74.0.0/15", "161.97.0.0/16",                                                   # Alibaba, Contabo
)
# Corporate mail link scanners: Microsoft Exchange Online Protection, Proofpoint, Mimecast, Barracuda.
MAIL_SCANNER_PREFIXES: tuple[str, ...] = (
    "40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17",
    "148.163.128.0/19", "67.231.144.0/20", "205.139.110.0/24", "207.211.30.0/24", "209.222.80.0/21",
)
# Mail privacy image proxies: Google (ggpht) and Apple Mail Privacy Protection egress.
IMAGE_PROXY_PREFIXES: tuple[str, ...] = ("66.249.80.0/20", "66.102.6.0/23", "17.58.0.0/16", "104.28.0.0/16")
GOOGLEBOT_PREFIXES: tuple[str, ...] = ("66.249.64.0/20",)
BINGBOT_PREFIXES: tuple[str, ...] = ("157.55.39.0/24", "207.46.13.0/24", "40.77.167.0/24")

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
_DC_NETS = tuple(ipaddress.ip_network(p) for p in DATACENTER_PREFIXES)
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


def prefix_pool(rng: random.Random, prefixes: tuple[str, ...], size: int) -> list[str]:
    """``size`` distinct addresses spread over the given prefixes."""
    found: set[str] = set()
    while len(found) < size:
        found.add(_in_network(rng, rng.choice(prefixes)))
    pool = sorted(found)
    rng.shuffle(pool)
    return pool


def is_datacenter(ip: str) -> bool:
    """Whether an address lies in one of the known cloud/hosting prefixes."""
    return ":" not in ip and _in_ranges(int(ipaddress.IPv4Address(ip)))
