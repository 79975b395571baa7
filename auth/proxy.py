"""Sign-in by an authenticating reverse proxy (oauth2-proxy, nginx auth_request, Pomerium...), as Grafana's auth proxy.

The proxy signs the person in and passes their name (and optionally groups) in headers. Those
headers are believed only on connections whose peer address is one of ``proxy.trusted``: anyone
else can send the same headers, so from elsewhere they are ignored and the visitor is not signed in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from auth.roles import Identity, role_for_groups
from auth.settings import SignInSettings


def trusted(peer: str | None, networks: list[str]) -> bool:
    """Whether the connection's peer address is inside one of ``networks``."""
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer.split("%")[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == lowered), "").strip()


def identity(headers: Mapping[str, str], peer: str | None, settings: SignInSettings) -> Identity | None:
    """The proxy's signed-in user, or None when the peer is not a trusted proxy or sent no user."""
    if not trusted(peer, settings.proxy.trusted):
        return None
    name = _header(headers, settings.proxy.user_header)
    if not name or len(name) > 256 or not name.isprintable():
        return None
    groups = []
    if settings.proxy.groups_header:
        groups = [g.strip() for g in _header(headers, settings.proxy.groups_header).split(",") if g.strip()]
    return Identity(name, role_for_groups(groups, settings.roles, settings.default_role), "proxy")
