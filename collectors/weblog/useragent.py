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

_MAIL_SCANNER = re.compile(
    r"GoogleImageProxy|YahooMailProxy|Barracuda|Mimecast|Proofpoint|Microsoft Office Protection|"
    r"Office 365 ATP|SafeLinks|Trend ?Micro|Symantec|Forcepoint|Sophos|FireEye|Cisco ?IronPort|"
    r"Zscaler|Mailguard|SpamTitan|Hornet ?Security|Libraesva|Avanan|Abnormal ?Security",
    re.I,
)
_HEADLESS = re.compile(r"HeadlessChrome|PhantomJS|Puppeteer|Playwright|Selenium|SlimerJS|Splash|Nightmare", re.I)
_SCRIPT = re.compile(
    r"^(curl|wget|python|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|apache-httpclient|"
    r"libwww-perl|lwp|okhttp/[0-4]\.|node-fetch|axios|got |undici|ruby|php|guzzle|rest-client|httpie|"
    r"powershell|winhttp|postmanruntime|insomnia|scrapy|http_request|fasthttp|reqwest|hackney|dart:io)",
    re.I,
)
_BOT_WORD = re.compile(r"bot\b|crawl|spider|scan|monitor|preview|fetch", re.I)
_APP_HINT = re.compile(r"CFNetwork|Dalvik|okhttp|\bApp/|Electron|FBAN|FBAV|Instagram|Alamofire", re.I)

# claimed engine → the ASN names its crawlers really come from
SEARCH_ENGINES: dict[str, tuple[str, ...]] = {
    "google": ("GOOGLE",),
    "bing": ("MICROSOFT",),
    "apple": ("APPLE",),
    "yandex": ("YANDEX",),
    "baidu": ("BAIDU", "CHINANET", "CHINA UNICOM"),
    "duckduckgo": ("MICROSOFT", "AMAZON", "DUCKDUCKGO"),
    "yahoo": ("YAHOO", "OATH"),
    "seznam": ("SEZNAM",),
    "naver": ("NAVER",),
}
_ENGINE_RE = re.compile(
    r"(?P<google>Googlebot|Google-InspectionTool|GoogleOther|AdsBot-Google|Mediapartners-Google|Storebot-Google)|"
    r"(?P<bing>bingbot|BingPreview|adidxbot|msnbot)|(?P<apple>Applebot)|(?P<yandex>YandexBot|YandexImages)|"
    r"(?P<baidu>Baiduspider)|(?P<duckduckgo>DuckDuckBot)|(?P<yahoo>Yahoo! Slurp)|(?P<seznam>SeznamBot)|"
    r"(?P<naver>Yeti/)",
    re.I,
)
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
