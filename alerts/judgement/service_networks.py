"""Networks a block suggestion never names: services that act for the site's own people.

Verified search-engine crawlers, mail privacy image proxies (Gmail's ggpht proxy, Apple Mail
Privacy Protection) and corporate mail link scanners look automated, and during an email send
they are many, but blocking them hides the site from search or breaks the campaign's links and
images for its recipients. The ranges are the ones the operators publish (``reference``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from reference import networks as reference_networks

SEARCH_CRAWLER_NETWORKS: tuple[str, ...] = reference_networks.search_crawlers()  # Googlebot, bingbot, Apple, Yandex
IMAGE_PROXY_NETWORKS: tuple[str, ...] = reference_networks.image_proxies()      # Google image proxy (ggpht.com)
DEFAULT_MAIL_SECURITY_NETWORKS: tuple[str, ...] = reference_networks.mail_security()
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
