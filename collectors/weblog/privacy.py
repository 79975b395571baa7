"""The privacy step: raw address and user agent in, anonymous daily ids out.

``client_key`` (address only) and ``visitor`` (address + user agent + site, as in
``store.sketch.visitor_hash``) are keyed hashes with the day's random salt, so they
cannot be reversed or linked across days once the salt is deleted (after 48 h).
``redact`` masks a malformed line before it is shown as a sample.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re

from collectors.weblog.geo import mask
from collectors.weblog.query import split_target, utm_params
from store.sketch import visitor_hash

_DAY = 86_400


class DailyIds:
    """Salted ids per UTC day; salts come from the state DB, a fixed salt, or are random per process."""

    def __init__(self, site: str, *, salt: bytes | None = None, state=None) -> None:  # noqa: ANN001
        self._site = site
        self._fixed = salt
        self._state = state
        self._salts: dict[int, bytes] = {}
        self._keys: dict[int, dict[str, int]] = {}
        self._visitors: dict[int, dict[tuple[str, str], int]] = {}

    def salt(self, day: int) -> bytes:
        s = self._salts.get(day)
        if s is None:
            if self._fixed is not None:
                s = hashlib.blake2b(day.to_bytes(4, "little"), key=self._fixed[:64], digest_size=32).digest()
            elif self._state is not None:
                s = self._state.salt_for(dt.date(1970, 1, 1) + dt.timedelta(days=day))
            else:
                s = os.urandom(32)
            self._salts[day] = s
            for old in [d for d in self._salts if d < day - 2]:
                self._salts.pop(old, None)
                self._keys.pop(old, None)
                self._visitors.pop(old, None)
        return s

    def client_key(self, addr: str, day: int) -> int:
        cache = self._keys.get(day)
        if cache is None:
            cache = self._keys[day] = {}
        k = cache.get(addr)
        if k is None:
            h = hashlib.blake2b(addr.encode(), key=self.salt(day), digest_size=8).digest()
            k = int.from_bytes(h, "little", signed=True)
            if len(cache) > 500_000:
                cache.clear()
            cache[addr] = k
        return k

    def visitor(self, addr: str, ua: str, day: int) -> int:
        cache = self._visitors.get(day)
        if cache is None:
            cache = self._visitors[day] = {}
        v = cache.get((addr, ua))
        if v is None:
            v = visitor_hash(self.salt(day), addr, ua, self._site)
            if len(cache) > 500_000:
                cache.clear()
            cache[(addr, ua)] = v
        return v


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|/\d)")  # "/24" after it: masked already
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:%\w+)?(?![\w:]|/\d)")
_TARGET = re.compile(r"(/[^\s\"?]*)\?([^\s\"]*)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?')
_REQUEST = re.compile(r"[A-Z]{3,10} \S+(?: HTTP/[\d.]+)?")
_AGENT_TOKEN = re.compile(r"(?<![\w/.:-])(?!HTTP/)[A-Za-z][\w.+-]*/[^\s\"]*"
                          r"(?:\s*\([^)\"]*\)|\s+[A-Za-z][\w.+-]*/[^\s\"]*)*")
_EMAIL = re.compile(r"[^\s@\"]+@[^\s@\"]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_KEEP_QUOTED = 24  # quoted values up to this long are kept (status words, "-", hosts); longer ones are masked


def _query(m: re.Match) -> str:
    utm = utm_params(split_target("?" + m.group(2))[1])
    return m.group(1) + ("?" + "&".join(f"{k}={v}" for k, v in sorted(utm.items())) if utm else "")


def _quoted(m: re.Match) -> str:
    text, key = m.group(1), m.group(2)
    if key is not None or text in ("", "-") or _REQUEST.fullmatch(text) or mask(text) is not None:
        return m.group(0)  # a JSON key, an empty value, a request line (its query is cut below)
    if text[:1] == "/" and " " not in text:
        return m.group(0)  # a path
    if len(text) <= _KEEP_QUOTED and "/" not in text and "(" not in text:
        return m.group(0)
    return '"<redacted>"'


def redact(line: str, limit: int = 300) -> str:
    """A malformed line safe to show, as stored data is: no full address, user agent, referrer or query.

    Addresses are masked to their network (/24, /48), every quoted value but a request line, a
    path, a JSON key or a short word is replaced by ``<redacted>`` (user agents, referrers and
    cookies are quoted in every NCSA and JSON log), an unquoted product token (``Mozilla/5.0+(...)``
    in IIS, ``curl/8.0``) becomes ``<user-agent>``, queries keep only ``utm_*``, control bytes
    become ``?`` (a binary line cannot drive the terminal).
    """
    text = _CONTROL.sub("?", line[:limit * 4])
    text = _QUOTED.sub(_quoted, text)
    text = _IPV4.sub(lambda m: mask(m.group(0)) or "x.x.x.x", text)
    text = _IPV6.sub(lambda m: mask(m.group(0)) or m.group(0), text)
    text = _AGENT_TOKEN.sub(_agent, text)
    text = _TARGET.sub(_query, text)
    text = _EMAIL.sub("<email>", text)
    return text[:limit]


def _agent(m: re.Match) -> str:
    token = m.group(0)
    head = token.split("/", 1)[0]
    if token.startswith("HTTP/") or head.lower() in ("http:", "https:"):
        return token
    return "<user-agent>"
