"""Networks a block suggestion never names: services that act for the site's own people.

Verified search-engine crawlers, mail privacy image proxies (Gmail's ggpht proxy, Apple Mail
Privacy Protection) and corporate mail link scanners look automated, and during an email send
they are many, but blocking them hides the site from search or breaks the campaign's links and
images for its recipients. The ranges are the ones the operators publish.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from collectors.weblog.mail_security import DEFAULT_MAIL_SECURITY_NETWORKS

SEARCH_CRAWLER_NETWORKS: tuple[str, ...] = (
    "66.249.64.0/19",                                   # Googlebot
    "157.55.39.0/24", "207.46.13.0/24", "40.77.167.0/24", "13.66.139.0/24", "52.167.144.0/24",  # Bingbot
    "17.0.0.0/8",                                       # Apple (Applebot, Mail Privacy Protection)
    "5.255.250.0/24", "87.250.224.0/19", "213.180.192.0/19",  # Yandex
)
IMAGE_PROXY_NETWORKS: tuple[str, ...] = (
    "66.102.0.0/20", "66.249.80.0/20",                  # Google image proxy (ggpht.com)
)
NEVER_BLOCK: tuple[str, ...] = SEARCH_CRAWLER_NETWORKS + IMAGE_PROXY_NETWORKS + DEFAULT_MAIL_SECURITY_NETWORKS


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def is_service_network(prefix: str, cidrs: tuple[str, ...] = NEVER_BLOCK) -> bool:
    """Whether the (masked) ``prefix`` lies in or covers one of the service networks."""
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    return any(n.version == net.version and (net.subnet_of(n) or n.subnet_of(net)) for n in _networks(cidrs))
