"""The shipped reference files parse in their publishers' formats and hold the ranges those publishers list."""

from __future__ import annotations

import ipaddress
import json

import pytest

from reference import agents, networks
from reference.formats import PARSERS, FormatError
from reference.sources import SOURCES


def _inside(addr: str, cidrs: tuple[str, ...]) -> bool:
    return networks.NetworkSet(cidrs).contains(addr)


def test_every_source_file_parses_in_its_format() -> None:
    for name, source in SOURCES.items():
        cidrs = networks.ranges(name)
        assert cidrs, name
        assert all(ipaddress.ip_network(c) for c in cidrs)
        assert (networks.DATA_DIR / source.file).exists()


def test_published_members_are_where_their_publishers_put_them() -> None:
    # addresses named in the publishers' own documentation and in the shipped copies' origins
    assert _inside("66.249.66.1", networks.ranges("googlebot"))       # Google's "verifying Googlebot" example
    assert _inside("2001:4860:4801:10::1", networks.ranges("googlebot"))
    assert _inside("157.55.39.1", networks.ranges("bingbot"))
    assert _inside("104.28.30.6", networks.private_relay())
    assert _inside("2a02:26f7:fb02::1", networks.private_relay())
    assert _inside("52.219.47.34", networks.ranges("aws"))             # AWS docs' S3 eu-central-1 example
    assert _inside("104.155.192.1", networks.ranges("gcp"))
    assert _inside("13.69.0.1", networks.ranges("azure"))
    assert _inside("40.107.12.5", networks.mail_security())
    assert _inside("66.102.7.1", networks.image_proxies())
    assert not _inside("34.65.1.1", networks.search_crawlers())          # Google Cloud customers are not Googlebot
    assert not _inside("81.2.69.1", networks.search_crawlers() + networks.private_relay())


@pytest.mark.parametrize(("fmt", "raw", "message"), [
    ("prefix_list", b"<html>captive portal</html>", "not JSON"),
    ("prefix_list", b'{"items": []}', "no 'prefixes' list"),
    ("prefix_list", b'{"prefixes": [{"ipv4Prefix": "66.249.64.0/33"}]}', "is not a CIDR"),
    ("prefix_list", b'{"prefixes": []}', "no ranges"),
    ("aws", b'{"prefixes": [{"ip_prefix": "3.5.140.0/22"}], "ipv6_prefixes": [{"ipv6_prefix": "nope"}]}',
     "'nope' is not a CIDR"),
    ("azure", b'{"values": [{"name": "AzureCloud", "properties": {}}]}', "no ranges"),
    ("egress_csv", b'{"json": true}', "not CSV"),
    ("egress_csv", b"172.224.224.0/27,GB,GB-EN,London,\nhello,GB,,,\n", "'hello' is not a CIDR"),
    ("vendor_list", b'{"vendors": "all of them"}', "no 'vendors'"),
])
def test_hostile_documents_are_refused_with_what_is_wrong(fmt: str, raw: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        PARSERS[fmt](raw)


def test_parsers_take_both_address_families_and_normalise_host_bits() -> None:
    doc = json.dumps({"prefixes": [{"ipv4Prefix": "66.249.64.5/27"}, {"ipv6Prefix": "2001:4860:4801:10::/64"}]})
    assert PARSERS["prefix_list"](doc) == ["66.249.64.0/27", "2001:4860:4801:10::/64"]
    assert PARSERS["egress_csv"]("172.224.224.0/27,GB,GB-EN,London,\n\n2a04:4e41:30:7::/64,JP,JP-13,Tokyo,\n") == [
        "172.224.224.0/27", "2a04:4e41:30:7::/64"]


def test_agent_signatures_name_library_app_and_crawler_tokens() -> None:
    sig = agents.signatures()
    assert "Alamofire" in sig["app_hints"] and "okhttp" in sig["app_hints"]
    assert any(t.startswith("python-requests") for t in sig["script_prefixes"])
    assert "Googlebot" in agents.search_engines()["google"]["agents"]
    assert agents.search_engines()["bing"]["asn"] == ("MICROSOFT",)


def test_network_set_answers_addresses_and_prefixes_and_refuses_junk() -> None:
    s = networks.NetworkSet(["66.249.64.0/27", "2001:db8::/48"])
    assert s.contains("66.249.64.31") and not s.contains("66.249.64.32") and s.contains("2001:db8::5")
    assert s.overlaps("66.249.64.0/24") and s.overlaps("66.249.64.0/28") and not s.overlaps("66.249.65.0/24")
    assert not s.contains("not an address") and not s.overlaps("66.249.64.0/99")
