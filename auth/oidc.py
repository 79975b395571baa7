"""Sign-in by OpenID Connect through Streamlit's own ``st.login`` (Authlib): Google, Entra, Okta, Keycloak...

Streamlit reads the provider from its secrets (``[auth]``); ``secrets_toml`` writes them from the
settings at dashboard start-up (client and cookie secrets from the environment or secret files),
into a private file handed to Streamlit, never into ``surgewatch.toml``. Once signed in, the ID
token's claims are the person: ``name_claim`` names them, ``groups_claim`` maps to a role.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from auth.roles import Identity, role_for_groups
from auth.settings import SignInSettings


class OidcConfigError(ValueError):
    """OIDC sign-in is chosen but not fully configured; the message names the missing setting."""


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def secrets_toml(settings: SignInSettings, host: str, port: int) -> str:
    """Streamlit's ``[auth]`` secrets for ``settings.oidc``; raises OidcConfigError naming what is missing."""
    oidc = settings.oidc
    missing = [key for key, value in (("server_metadata_url", oidc.server_metadata_url),
                                      ("client_id", oidc.client_id), ("client_secret", oidc.client_secret))
               if not value]
    if missing:
        raise OidcConfigError("dashboard.sign_in is oidc but " + ", ".join(f"dashboard.oidc.{m}" for m in missing)
                              + " is not set (the secret in SURGEWATCH_DASHBOARD__OIDC__CLIENT_SECRET or a "
                              "secret file dashboard__oidc__client_secret)")
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    redirect = oidc.redirect_uri or f"http://{shown}:{port}/oauth2callback"
    cookie = oidc.cookie_secret.get_secret_value() if oidc.cookie_secret else secrets.token_urlsafe(32)
    values: dict[str, Any] = {
        "redirect_uri": redirect, "cookie_secret": cookie, "client_id": oidc.client_id,
        "client_secret": oidc.client_secret.get_secret_value(), "server_metadata_url": oidc.server_metadata_url,
    }
    lines = ["[auth]", *(f"{k} = {_toml_str(v)}" for k, v in values.items()),
             f"client_kwargs = {{ scope = {_toml_str(oidc.scope)} }}"]
    return "\n".join(lines) + "\n"


def identity(claims: Mapping[str, Any], settings: SignInSettings) -> Identity | None:
    """The person of a signed-in ``st.user`` (its claims), or None when not signed in."""
    if not claims.get("is_logged_in"):
        return None
    name = str(claims.get(settings.oidc.name_claim) or claims.get("email") or claims.get("sub") or "")
    if not name:
        return None
    groups = claims.get(settings.oidc.groups_claim) or []
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",")]
    return Identity(name, role_for_groups([str(g) for g in groups], settings.roles, settings.default_role), "oidc")
