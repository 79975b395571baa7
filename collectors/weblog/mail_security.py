"""Mail-security vendor networks: requests from them are mail link scanners, whatever agent they send.

Corporate mail filters open every link of a delivered email within seconds, and many do it with a
plain browser user agent ("Mozilla/5.0 ...Chrome/108"), so the agent alone calls them people.
The vendors publish the ranges their scanners and gateways use; a browser- or app-looking request
from one of them is classed ``mail_scanner`` (actor ``scanner``: campaign automation, not an attack
and not a visitor). The list is a setting (``accesslog.mail_security_networks``); these defaults are
the vendors' published ranges, kept in ``reference/data/mail-security.json``. Mail privacy proxies
(Apple Mail Privacy Protection) prefetch a message's images with the bare agent ``Mozilla/5.0``,
which no browser sends: that is a scanner too.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right

from reference import agents as reference_agents
from reference import networks as reference_networks

DEFAULT_MAIL_SECURITY_NETWORKS: tuple[str, ...] = reference_networks.mail_security()
_RECLASSED = frozenset({"browser", "app"})  # declared scanners, crawlers and scripts keep their class
PRIVACY_PROXY_AGENT: str = reference_agents.signatures()["mail_privacy_proxy_agent"]


class MailSecurityNetworks:
    """Membership test of an address in the configured networks (IPv4 and IPv6), by sorted ranges."""

    def __init__(self, cidrs: list[str] | tuple[str, ...] = DEFAULT_MAIL_SECURITY_NETWORKS) -> None:
        ranges = sorted((int(n.network_address), int(n.broadcast_address), n.version)
                        for n in (ipaddress.ip_network(c, strict=False) for c in cidrs))
        self._ranges = {v: [(a, b) for a, b, ver in ranges if ver == v] for v in (4, 6)}
        self._starts = {v: [a for a, _ in r] for v, r in self._ranges.items()}

    def contains(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        ranges = self._ranges[ip.version]
        i = bisect_right(self._starts[ip.version], int(ip)) - 1
        return i >= 0 and int(ip) <= ranges[i][1]

    def client_class(self, client: str, addr: str, ua: str = "") -> str:
        """``mail_scanner`` for a browser/app-looking request from a vendor network or a mail privacy proxy."""
        if client not in _RECLASSED:
            return client
        if ua.strip() == PRIVACY_PROXY_AGENT or self.contains(addr):
            return "mail_scanner"
        return client
