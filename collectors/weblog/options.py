"""Settings of the access-log pipeline (nested under ``[accesslog]`` in ``surgewatch.toml``)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from collectors.weblog.mail_security import DEFAULT_MAIL_SECURITY_NETWORKS

_LOCALE = r"(?:/[a-z]{2}(?:[-_][a-zA-Z]{2})?)?"  # an optional language prefix: /de, /en-gb, /fr_ca
DEFAULT_PATH_GROUPS: dict[str, list[str]] = {
    # first matching group wins; anything else is "page" (GET/HEAD) or "other"
    "conversion": [
        # order confirmation pages of shop platforms: Shopify (/checkouts/<token>/thank_you, the order status
        # page /<shop id>/orders/<token>), WooCommerce (/checkout/order-received/<id>/), Magento / Adobe
        # Commerce (/checkout/onepage/success/), BigCommerce (/checkout/order-confirmation), Shopware 6
        # (/checkout/finish), and the same words under any checkout path (/checkout/thanks, /checkout/success)
        r"^" + _LOCALE + r"/checkouts?/(?:[^/]+/){0,3}(?:thank[-_]?you|thanks|order-received|"
        r"order-confirmation|finish|success|complete|completed|done|confirmation|confirmed)(?:[/.]|$)",
        r"^" + _LOCALE + r"/(?:\d+/)?orders/[0-9a-zA-Z]{16,}(?:/|$)",
        # PrestaShop (/order-confirmation) and generic thank-you / confirmation pages
        r"^" + _LOCALE + r"/(?:thank[-_]?you|thanks|danke|merci|gracias|"
        r"order[-_/]?(?:complete|completed|confirmation|confirmed|success|received|placed|thank[-_]?you)|"
        r"purchase[-_/]?(?:complete|confirmation|success)|payment[-_/]?(?:success|complete|confirmation))(?:[/.]|$)",
        r"^/(signup|register|subscribe)/(complete|success|done|confirmed)",
    ],
    "checkout": [r"^" + _LOCALE + r"/(checkouts?|cart|basket|payment)(/|$)"],
    "login": [r"^/(login|log-in|signin|sign-in|auth|session|account/login|users?/sign_in|wp-login\.php)(/|$|\?)"],
    "api": [r"^/(api|graphql|v\d+)(/|$)", r"\.json$"],
    "asset": [r"^/(static|assets|_next/static|media|images|img|css|js|fonts)/",
              r"\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|otf|eot|mp4|webm|mp3|pdf|txt|xml)$"],
}

DEFAULT_DATACENTER_ASNS = [
    "AMAZON", "GOOGLE", "MICROSOFT", "DIGITALOCEAN", "OVH", "HETZNER", "LINODE", "AKAMAI", "ORACLE",
    "ALIBABA", "TENCENT", "HUAWEI CLOUD", "CONTABO", "VULTR", "CHOOPA", "SCALEWAY", "ONLINE S.A.S", "LEASEWEB",
    "M247", "IONOS", "HOSTINGER", "CLOUDFLARE", "FASTLY", "HOSTWINDS", "COLOCROSSING", "DATACAMP", "PONYNET",
    "QUADRANET", "LIQUIDWEB", "SERVERS.COM", "HOSTROYALE", "STARK INDUSTRIES", "SELECTEL", "TIMEWEB", "KAMATERA",
]


class WeblogOptions(BaseModel):
    """How lines are read, enriched and aggregated; every value has a working default."""

    trusted_proxies: list[str] = Field(default_factory=list, description="CIDRs of your own proxies/CDN")
    open_window_seconds: int = Field(300, ge=10, le=86_400, description="lines older than this are late")
    mmdb_path: Path | None = Field(None, description="MaxMind GeoIP2/GeoLite2 Country .mmdb; geoip2fast if unset")
    own_hosts: list[str] = Field(default_factory=list, description="hosts whose referrers count as internal")
    path_groups: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_PATH_GROUPS))
    safe_query_keys: list[str] = Field(default_factory=list, description="query keys besides utm_* kept in memory")
    max_campaigns: int = Field(100, ge=1, description="distinct utm_campaign tags before folding to 'other'")
    campaign_min_requests: int = Field(3, ge=1, description="requests before a new utm_campaign gets its own tag")
    top_networks: int = Field(20, ge=1, le=1000, description="client networks kept per bucket")
    top_automated_networks: int = Field(
        500, ge=0, le=10_000,
        description="client networks that sent automated requests kept per bucket beyond top_networks")
    rate_limit_per_minute: int = Field(60, ge=1, description="non-asset requests/min above which a client is automated")
    login_posts_per_minute: int = Field(5, ge=1, description="login POSTs/min above which a client is automated")
    pages_without_assets: int = Field(10, ge=1, description="pages with no asset loads before a client is automated")
    datacenter_asns: list[str] = Field(default_factory=lambda: list(DEFAULT_DATACENTER_ASNS))
    app_user_agents: list[str] = Field(
        default_factory=list,
        description="regular expressions of your own apps' user agents (e.g. '^ShopApp/', '^okhttp/'); matching "
                    "requests are class app (people, unless they behave like programs)")
    mail_security_networks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MAIL_SECURITY_NETWORKS),
        description="CIDRs of mail-security vendors' link scanners; browser-looking requests from them are "
                    "mail_scanner")

    @field_validator("path_groups")
    @classmethod
    def _groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        """A group the settings name replaces that group's defaults; the groups they do not name keep theirs."""
        return {**DEFAULT_PATH_GROUPS, **value}

    @field_validator("app_user_agents")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"app_user_agents: {pattern!r} is not a regular expression ({exc}); "
                                 "e.g. '^ShopApp/'") from exc
        return value

    @field_validator("trusted_proxies", "mail_security_networks")
    @classmethod
    def _cidrs(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"{info.field_name}: {cidr!r} is not a CIDR "
                                 "(e.g. 10.0.0.0/8 or 2001:db8::/32)") from exc
        return value
