"""User-agent signatures from ``reference/data/agents.json``: the tokens the client classes are built from.

Mail scanners and privacy proxies, headless browsers, HTTP libraries (a script's agent starts with
one), app toolkits (okhttp, Alamofire, CFNetwork, Dalvik) and the search engines with the network
owners their crawlers really come from. The collectors compile these into their classifiers.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from reference.networks import data_dir


@lru_cache(maxsize=4)
def _doc(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "agents.json").read_text(encoding="utf-8"))


def signatures(directory: Path | None = None) -> dict[str, Any]:
    """The whole signature document (keys: mail_scanner, mail_privacy_proxy_agent, headless,
    script_prefixes, app_hints, search_engines)."""
    return _doc(Path(directory or data_dir()))


def tokens(kind: str, directory: Path | None = None) -> tuple[str, ...]:
    """One token list (regular-expression fragments, matched case-insensitively)."""
    return tuple(signatures(directory)[kind])


def search_engines(directory: Path | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """engine -> {"asn": network owner names, "agents": crawler tokens}."""
    return {name: {"asn": tuple(e["asn"]), "agents": tuple(e["agents"])}
            for name, e in signatures(directory)["search_engines"].items()}
