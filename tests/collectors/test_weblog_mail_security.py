"""Browser-looking requests from mail-security vendor networks are mail link scanners, not people."""

from __future__ import annotations

import pytest

from collectors.weblog.mail_security import MailSecurityNetworks
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from store.embedded import EmbeddedStore
from tests.collectors.logsamples import CHROME, T0, combined

SALT = b"s" * 32


def _actors(lines: list[str], options: WeblogOptions | None = None) -> dict[tuple[str, str], int]:
    store = EmbeddedStore(":memory:")
    ingest_lines(lines, store, site="shop", source="t", salt=SALT, options=options)
    df = store.query("http", 0, 2_000_000_000, fields=["requests"], group_by=["client", "actor"])
    return {(r["client"], r["actor"]): int(r["requests"]) for _, r in df.iterrows()}


def test_generic_browser_agent_from_exchange_online_protection_is_a_mail_scanner() -> None:
    lines = [combined(T0 + i, ip="40.107.12.7", ua=CHROME, target=f"/spring?utm_campaign=s{i}") for i in range(4)]
    lines += [combined(T0 + i, ip="81.2.69.10", ua=CHROME) for i in range(3)]
    assert _actors(lines) == {("mail_scanner", "scanner"): 4, ("browser", "human"): 3}


def test_mail_security_networks_are_a_setting() -> None:
    lines = [combined(T0, ip="40.107.12.7", ua=CHROME), combined(T0 + 1, ip="81.2.69.10", ua=CHROME)]
    opts = WeblogOptions(mail_security_networks=["81.2.69.0/24"])
    assert _actors(lines, opts) == {("mail_scanner", "scanner"): 1, ("browser", "human"): 1}


def test_bare_mozilla_agent_of_mail_privacy_proxies_is_a_mail_scanner() -> None:
    nets = MailSecurityNetworks()
    assert nets.client_class("browser", "17.58.1.2", "Mozilla/5.0") == "mail_scanner"
    assert nets.client_class("browser", "17.58.1.2", CHROME) == "browser"


def test_scripts_from_vendor_networks_keep_their_class() -> None:
    nets = MailSecurityNetworks()
    assert nets.client_class("script", "104.47.3.4") == "script"
    assert nets.client_class("browser", "104.48.3.4") == "browser"
    assert nets.client_class("app", "2001:db8::1") == "app"


def test_a_bad_network_setting_names_the_setting_and_value() -> None:
    with pytest.raises(ValueError, match="mail_security_networks: '40.107.0.0/33'"):
        WeblogOptions(mail_security_networks=["40.107.0.0/33"])
