"""Whether the dashboard may listen where it is told to: never open to a network without sign-in by accident."""

from __future__ import annotations

import ipaddress

from auth.settings import SignInSettings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def refusal(settings: SignInSettings, host: str) -> str | None:
    """Why the dashboard must not start on ``host`` with these settings, or None when it may."""
    if settings.sign_in != "none" or settings.allow_anonymous or is_loopback(host):
        return None
    return (f"the dashboard would listen on {host}, reachable from other machines, with no sign-in: anyone "
            f"reaching it would be 'anonymous' with the {settings.anonymous_role} role. Set dashboard.sign_in "
            "to local, oidc or proxy (README, Security), or set dashboard.allow_anonymous = true to serve "
            "anonymous visitors on purpose, or listen on 127.0.0.1.")
