"""Referrer class: where a visit came from (direct, email, social, search, internal, other site).

Mail clients send no referrer, so a visit without one whose ``utm_medium`` says e-mail
counts as ``email`` too (see ``pipeline``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_EMAIL = re.compile(
    r"(^|\.)(mail\.google\.com|outlook\.(live|office|office365)\.com|mail\.yahoo\.com|mail\.aol\.com|"
    r"mail\.proton\.me|mail\.zoho\.com|gmx\.(net|de|com)|web\.de|mail\.ru|webmail\.|mail\.|email\.)|"
    r"^com\.google\.android\.gm$|^com\.microsoft\.office\.outlook$",
    re.I,
)
_SOCIAL = re.compile(
    r"(^|\.)(facebook\.com|fb\.com|fb\.me|instagram\.com|t\.co|twitter\.com|x\.com|linkedin\.com|lnkd\.in|"
    r"reddit\.com|youtube\.com|youtu\.be|tiktok\.com|pinterest\.[a-z.]+|whatsapp\.com|wa\.me|t\.me|telegram\.org|"
    r"threads\.net|bsky\.app|mastodon\.social|news\.ycombinator\.com|snapchat\.com|vk\.com|xing\.com)$",
    re.I,
)
_SEARCH = re.compile(
    r"(^|\.)(google\.[a-z.]+|bing\.com|duckduckgo\.com|search\.yahoo\.com|yahoo\.co\.jp|yandex\.[a-z.]+|"
    r"baidu\.com|ecosia\.org|qwant\.com|startpage\.com|search\.brave\.com|naver\.com|seznam\.cz|kagi\.com)$",
    re.I,
)
EMAIL_MEDIUMS = frozenset({"email", "e-mail", "newsletter", "mail", "edm"})


def host_of(referer: str) -> str:
    rest = referer.split("://", 1)[1] if "://" in referer else referer
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return host.split(":", 1)[0].lower().rstrip(".")


@lru_cache(maxsize=50_000)
def referrer_class(referer: str, own_hosts: frozenset[str] = frozenset()) -> str:
    if not referer or referer == "-":
        return "direct"
    host = host_of(referer)
    if not host:
        return "direct"
    if host in own_hosts or any(host.endswith("." + h) for h in own_hosts):
        return "internal"
    if _EMAIL.search(host):
        return "email"
    if _SOCIAL.search(host):
        return "social"
    if _SEARCH.search(host):
        return "search"
    return "other"
