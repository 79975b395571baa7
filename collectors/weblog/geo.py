"""Network facts about a client address: country, ASN name, hosting/datacenter flag, /24 or /48 prefix.

Country and ASN come from geoip2fast's bundled data (IPv4 + IPv6 with ASN names, repacked
as memory-mapped arrays by ``geo_tables``), or the country from a MaxMind ``.mmdb`` when one
is configured. The datacenter flag matches the ASN name against known hosting and cloud
providers. Results are cached per address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from collectors.weblog.geo_tables import GeoTables
from collectors.weblog.geo_tables import load as load_tables
from store.schema import NONE

_CACHE_MAX = 200_000


class NetInfo(NamedTuple):
    country: str      # ISO code, or "none"
    asn: str          # ASN organisation name, or "none"
    datacenter: bool
    prefix: str       # masked network: a.b.c.0/24 or x:x:x::/48


@lru_cache(maxsize=1)
def _tables() -> GeoTables:
    return load_tables()


def mask(addr: str) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address; None if it is not one."""
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of it
    except ValueError:
        return None
    if ip.version == 4:
        return f"{str(ip).rsplit('.', 1)[0]}.0/24"
    if ip.ipv4_mapped:
        return mask(str(ip.ipv4_mapped))
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))


class GeoLookup:
    def __init__(self, *, mmdb_path: Path | None = None, datacenter_asns: list[str] | None = None) -> None:
        self._geo = _tables()
        self._mmdb = None
        if mmdb_path is not None:
            import maxminddb

            try:
                self._mmdb = maxminddb.open_database(str(mmdb_path))
            except (OSError, ValueError) as exc:
                raise ValueError(f"mmdb_path {mmdb_path}: cannot open ({exc}); fix the path or unset it") from exc
        self._markers = tuple(m.upper() for m in (datacenter_asns or []))
        self._cache: dict[str, NetInfo | None] = {}

    def lookup(self, addr: str) -> NetInfo | None:
        """Facts about ``addr``; None when it is not an IP address."""
        key = addr
        try:
            return self._cache[key]
        except KeyError:
            pass
        prefix = mask(addr)
        info = None
        if prefix is not None:
            addr = addr.split("%", 1)[0]
            code, asn_name = self._geo.lookup(addr)
            country = code if code and code != "--" else NONE
            if self._mmdb is not None:
                rec = self._mmdb.get(addr)
                iso = ((rec or {}).get("country") or (rec or {}).get("registered_country") or {}).get("iso_code")
                country = iso or NONE
            asn = asn_name.strip() or NONE
            upper = asn.upper()
            info = NetInfo(country, asn, any(m in upper for m in self._markers), prefix)
        if len(self._cache) > _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = info
        return info
