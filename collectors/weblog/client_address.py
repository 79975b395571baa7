"""The client-address step: who really sent the request.

``X-Forwarded-For`` / ``CF-Connecting-IP`` are believed only when the peer is one of the
``trusted_proxies``; then the client is the right-most untrusted hop. A header sent by
anyone else is ignored, so nobody can fake a country by sending one. A log may name the peer
instead of giving its address (a hostname with ``HostnameLookups On``, ``unix:`` for a local
socket): such a request counts, with country and network ``none``.
"""

from __future__ import annotations

import ipaddress
import re

_NAMED_PEER = re.compile(r"unix:\S*|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252}[A-Za-z0-9_.])?")


def named_peer(addr: str) -> bool:
    """True for a hostname or a unix socket in the client field (no address to locate)."""
    if _NAMED_PEER.fullmatch(addr) is None:
        return False
    return addr.startswith("unix:") or not addr.rstrip(".").rsplit(".", 1)[-1].isdigit()  # 999.1.1.1 is no name


class ClientAddress:
    def __init__(self, trusted_proxies: list[str]) -> None:
        self._nets = [ipaddress.ip_network(c, strict=False) for c in trusted_proxies]
        self._trusted: dict[str, bool] = {}

    @property
    def enabled(self) -> bool:
        return bool(self._nets)

    def is_trusted(self, addr: str) -> bool:
        hit = self._trusted.get(addr)
        if hit is None:
            try:
                ip = ipaddress.ip_address(addr)
                hit = any(ip in net for net in self._nets)
            except ValueError:
                hit = False
            if len(self._trusted) > 100_000:
                self._trusted.clear()
            self._trusted[addr] = hit
        return hit

    def resolve(self, remote: str, xff: str, cfip: str) -> str:
        """The client address for a request the server saw from ``remote``."""
        if not self._nets or not self.is_trusted(remote):
            return remote
        if cfip:
            return cfip.strip()
        if xff:
            for hop in reversed(xff.split(",")):
                hop = hop.strip()
                if hop and not self.is_trusted(hop):
                    return hop
        return remote
