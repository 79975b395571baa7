"""Parsers of the published formats: each turns a publisher's document into a list of CIDRs.

Formats: Google's and Bing's crawler lists (``googlebot.json``, ``bingbot.json``) and Google
Cloud's ``cloud.json`` share ``{"creationTime", "prefixes": [{"ipv4Prefix"|"ipv6Prefix"}]}``; AWS
``ip-ranges.json`` has ``prefixes[].ip_prefix`` and ``ipv6_prefixes[].ipv6_prefix``; Azure's
ServiceTags file has ``values[].properties.addressPrefixes``; Apple's ``egress-ip-ranges.csv`` has
one ``prefix,country,region,city,`` line per range; the vendor lists kept here by hand have
``{"updated", "vendors"|"services": [{"ranges": [...]}]}``. A document that is not of its format,
holds a bad CIDR, or holds none, raises ``FormatError`` naming what is wrong.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from collections.abc import Callable, Iterable
from typing import Any


class FormatError(ValueError):
    """A document that is not of its published format."""


def _cidrs(values: Iterable[Any], where: str) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            raise FormatError(f"{where}: {str(value)[:60]!r} is not a CIDR") from None
    if not out:
        raise FormatError(f"{where}: no ranges")
    return out


def _json(raw: bytes | str, where: str) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{where}: not JSON ({exc.__class__.__name__})") from None


def _list(doc: Any, key: str, where: str) -> list:
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, list):
        raise FormatError(f"{where}: no {key!r} list")
    return value


def prefix_list(raw: bytes | str) -> list[str]:
    """``googlebot.json`` / ``bingbot.json`` / ``cloud.json``: prefixes[].ipv4Prefix|ipv6Prefix."""
    items = _list(_json(raw, "prefix list"), "prefixes", "prefix list")
    return _cidrs((i.get("ipv4Prefix") or i.get("ipv6Prefix") for i in items if isinstance(i, dict)),
                  "prefix list")


def aws(raw: bytes | str) -> list[str]:
    """AWS ``ip-ranges.json``: prefixes[].ip_prefix and ipv6_prefixes[].ipv6_prefix."""
    doc = _json(raw, "AWS ip-ranges")
    v4 = [i.get("ip_prefix") for i in _list(doc, "prefixes", "AWS ip-ranges") if isinstance(i, dict)]
    v6 = [i.get("ipv6_prefix") for i in doc.get("ipv6_prefixes", []) if isinstance(i, dict)]
    return _cidrs(v4 + v6, "AWS ip-ranges")


def azure(raw: bytes | str) -> list[str]:
    """Azure ServiceTags: values[].properties.addressPrefixes."""
    values = _list(_json(raw, "Azure ServiceTags"), "values", "Azure ServiceTags")
    prefixes = [p for v in values if isinstance(v, dict)
                for p in (v.get("properties") or {}).get("addressPrefixes", [])]
    return _cidrs(prefixes, "Azure ServiceTags")


def egress_csv(raw: bytes | str) -> list[str]:
    """Apple's ``egress-ip-ranges.csv``: the first column of each non-empty line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if text.lstrip().startswith(("{", "<")):
        raise FormatError("egress ranges CSV: looks like JSON or HTML, not CSV")
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    return _cidrs((row[0] for row in rows), "egress ranges CSV")


def vendor_list(raw: bytes | str) -> list[str]:
    """The hand-kept lists: vendors[].ranges or services[].ranges."""
    doc = _json(raw, "vendor list")
    items = doc.get("vendors") or doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise FormatError("vendor list: no 'vendors' or 'services' list")
    return _cidrs((r for i in items if isinstance(i, dict) for r in i.get("ranges", [])), "vendor list")


PARSERS: dict[str, Callable[[bytes | str], list[str]]] = {
    "prefix_list": prefix_list, "aws": aws, "azure": azure, "egress_csv": egress_csv, "vendor_list": vendor_list,
}
