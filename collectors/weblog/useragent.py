"""Client class and family from a user agent (crawlerdetect + ua-parser), cached per raw string.

A claimed search-engine crawler is only ``search_crawler`` once its network matches the
engine (``verify``); anyone can write "Googlebot" in a header, so an unverified claim
stays a plain ``crawler``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from crawlerdetect import CrawlerDetect
from ua_parser import parse_user_agent

from reference import agents as reference_agents

_SIGNATURES = reference_agents.signatures()
_MAIL_SCANNER = re.compile("|".join(_SIGNATURES["mail_scanner"]), re.I)
_HEADLESS = re.compile("|".join(_SIGNATURES["headless"]), re.I)
_SCRIPT = re.compile("^(" + "|".join(_SIGNATURES["script_prefixes"]) + ")", re.I)
_APP_HINT = re.compile("|".join(_SIGNATURES["app_hints"]), re.I)
_BOT_WORD = re.compile(r"bot\b|crawl|spider|scan|monitor|preview|fetch", re.I)

# claimed engine → the ASN names its crawlers really come from (reference/data/agents.json)
SEARCH_ENGINES: dict[str, tuple[str, ...]] = {name: e["asn"] for name, e in reference_agents.search_engines().items()}
_ENGINE_RE = re.compile("|".join(f"(?P<{name}>{'|'.join(e['agents'])})"
                                 for name, e in reference_agents.search_engines().items()), re.I)
_detector = CrawlerDetect()


class Agent(NamedTuple):
    client: str          # one of store.schema.CLIENT_CLASSES (before crawler verification)
    family: str          # browser/library family, e.g. "Chrome", "curl"
    engine: str | None   # search engine claimed by a crawler, checked by ``verify``


@lru_cache(maxsize=50_000)
def classify(ua: str) -> Agent:
    text = ua.strip()
    if not text or text == "-":
        return Agent("script", "empty", None)
    family = parse_user_agent(text)
    fam = family.family if family is not None else "Other"
    if _MAIL_SCANNER.search(text):
        return Agent("mail_scanner", fam, None)
    if _HEADLESS.search(text):
        return Agent("headless", fam, None)
    if _SCRIPT.match(text):
        return Agent("script", fam, None)
    engine = _ENGINE_RE.search(text)
    if engine is not None:
        return Agent("crawler", fam, engine.lastgroup)
    if _APP_HINT.search(text) and not text.startswith("Mozilla/") and not _BOT_WORD.search(text):
        # An app's own HTTP stack (okhttp, CFNetwork, Dalvik, Alamofire) behind its name: crawler lists
        # match those library names anywhere, but an app that names itself is an app.
        return Agent("app", fam, None)
    if _detector.isCrawler(text):
        return Agent("crawler", fam, None)
    if not text.startswith(("Mozilla/", "Opera/")) or _APP_HINT.search(text):
        return Agent("app", fam, None)
    return Agent("browser", fam, None)


def verify(agent: Agent, asn: str) -> str:
    """The final client class: ``search_crawler`` only if the engine's own network sent it."""
    if agent.engine is None:
        return agent.client
    upper = asn.upper()
    return "search_crawler" if any(m in upper for m in SEARCH_ENGINES[agent.engine]) else "crawler"
