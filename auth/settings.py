"""The sign-in settings of ``[dashboard]`` (mixed into ``config.DashboardSettings``).

``sign_in`` chooses one way: ``none`` (everyone is ``anonymous`` with ``anonymous_role``),
``local`` (users of the state DB, ``./surgewatch users``), ``oidc`` (Streamlit's ``st.login``
against any OpenID Connect provider) or ``proxy`` (an authenticating reverse proxy's headers,
trusted only from ``proxy.trusted`` addresses). The OIDC client and cookie secrets are read from
the environment or secret files like every other secret, never from ``surgewatch.toml``.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from store.users import ROLES

Role = Literal["viewer", "marketing", "oncall", "admin"]
assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]


class OidcSettings(BaseModel):
    server_metadata_url: str = Field("", description="The provider's /.well-known/openid-configuration URL.")
    client_id: str = Field("", description="The OIDC client id registered for the dashboard.")
    client_secret: SecretStr | None = Field(None, description="The OIDC client secret (secret).")
    cookie_secret: SecretStr | None = Field(None, description="Signs the sign-in cookie (secret; random if unset, "
                                                              "then a restart signs everyone out).")
    redirect_uri: str = Field("", description="Public URL of <dashboard>/oauth2callback (default: "
                                              "http://<host>:<port>/oauth2callback).")
    name_claim: str = Field("email", description="Claim shown and audited as the person's name.")
    groups_claim: str = Field("groups", description="Claim holding the person's groups (mapped by roles).")
    scope: str = Field("openid profile email", description="Scopes asked for (add groups if the provider needs it).")


class ProxySettings(BaseModel):
    user_header: str = Field("X-Forwarded-User", description="Header carrying the signed-in user's name.")
    groups_header: str = Field("", description="Header carrying their groups, comma-separated (optional).")
    trusted: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"],
                               description="Addresses or networks of the proxy; headers from others are ignored.")

    @field_validator("trusted")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
        return v


class SignInSettings(BaseModel):
    sign_in: Literal["none", "local", "oidc", "proxy"] = Field(
        "none", description="How people sign in: none, local (./surgewatch users), oidc or proxy.")
    anonymous_role: Role = Field("viewer", description="Role of every visitor when sign_in is none.")
    allow_anonymous: bool = Field(False, description="Serve a non-loopback address with sign_in none anyway.")
    default_role: Role = Field("viewer", description="Role of an OIDC or proxy user whose groups map to none.")
    roles: dict[str, Role] = Field(default_factory=dict,
                                   description="OIDC or proxy group -> role, e.g. {\"surge-oncall\" = \"oncall\"}.")
    session_hours: float = Field(12, gt=0, le=24 * 90, description="A local sign-in lasts this long.")
    lock_after: int = Field(5, ge=1, le=100, description="Failed local sign-ins in a row that lock the user.")
    lock_minutes: int = Field(15, ge=1, le=24 * 60, description="How long a locked user waits.")
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    proxy: ProxySettings = Field(default_factory=ProxySettings)
