"""The NCSA family: ``common``, ``combined`` and every variant servers and proxies write around it.

One parser reads ``[vhost[:port]] client ident user [time] "request" status size ["referer" "agent"] [more...]``:
Apache/nginx ``common`` and ``combined``, Debian's ``vhost_combined``, combined followed by any
number of extra fields (``$request_time``, Traefik's CLF, ingress-nginx's upstream fields),
varnishncsa (absolute URLs in the request line). The client field may be an address, a
hostname, ``unix:``, ``[addr]``, or an X-Forwarded-For list (``10.0.0.2, 10.0.0.1, 85.181.35.98``,
possibly after a quoted list): the last hop is the peer, the hops before it become ``xff`` for
the client-address step, as does a quoted list of addresses right after the agent (nginx's
``main`` format ends with ``"$http_x_forwarded_for"``). A request line that is not ``METHOD TARGET [PROTOCOL]`` (a TLS
handshake, ``""``, ``"-"``, a scanner's junk) but carries a status is a real request of that
status with method ``""`` (counted as ``other``), as nginx and Apache answered it.
"""

from __future__ import annotations

import re

from collectors.weblog.geo import mask
from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, dash, request_of
from collectors.weblog.timestamps import parse_any, parse_time_local

_Q = r'"((?:[^"\\]|\\.)*)"'
_TAIL = r"\[([^\]]*)\] " + _Q + r" (\S+) (\S+)(?: " + _Q + " " + _Q + ")?"
# the usual shape, tried first: one client token
_PLAIN = re.compile(r"([^\s,]+) \S+ \S+ " + _TAIL)
# a vhost, a quoted or unquoted X-Forwarded-For list before the peer, or a list as the client field
_GENERAL = re.compile(r"(?:(.{0,512}?) )??((?:[^\s,]+,[ \t]*){0,32}[^\s,]+) \S+ \S+ " + _TAIL)
_HOPS = re.compile(r'(?:[^\s,"]+,[ \t]*)+[^\s,"]+')
_TRAILING_XFF = re.compile(r'[ \t]+"([0-9A-Fa-f:.%, ]{2,400})"')
_FRACTION = re.compile(r"\.\d+ ")


def _client(pre: str | None, client: str) -> tuple[str, str]:
    """(peer, X-Forwarded-For hops before it) from the client field and whatever precedes it."""
    hops = [h.strip() for h in client.split(",") if h.strip()]
    remote = hops.pop() if hops else client
    if remote[:1] == "[" and remote[-1:] == "]":
        remote = remote[1:-1]
    if pre and "," in pre:
        found = _HOPS.findall(pre)
        if found:
            hops = [h.strip() for h in found[-1].split(",") if h.strip()] + hops
    return remote, ", ".join(hops)


def _other_time(when: str) -> int | None:
    """``[10/Oct/2000:13:55:36.123 -0700]`` (Apache ``%{msec_frac}t``) or ``[2000-10-10T13:55:36-07:00]``."""
    if "." in when:
        ts = parse_time_local(_FRACTION.sub(" ", when, count=1))
        if ts is not None:
            return ts
    return parse_any(when)


def _trailing_forwarded(line: str, end: int) -> str:
    """A quoted X-Forwarded-For list right after the agent (nginx's ``main`` format), "" when there is none."""
    m = _TRAILING_XFF.match(line, end)
    if m is None:
        return ""
    hops = [h.strip() for h in m.group(1).split(",")]
    return ", ".join(hops) if all(mask(h) is not None for h in hops) else ""


def parse_clf(line: str) -> LogRecord | Reason:
    """Any line of the NCSA family (see the module docstring)."""
    m = _PLAIN.match(line)
    if m is not None:
        pre = None
        client, when, request, status, size, referer, ua = m.groups()
    else:
        m = _GENERAL.match(line)
        if m is None:
            return Reason.EMPTY if not line.strip() else Reason.NO_MATCH
        pre, client, when, request, status, size, referer, ua = m.groups()
    ts = parse_time_local(when)
    if ts is None:
        ts = _other_time(when)
        if ts is None:
            return Reason.BAD_TIMESTAMP
    if len(status) != 3 or not status.isdigit():
        return Reason.BAD_STATUS
    method, target = request_of(request)
    remote, xff = _client(pre, client)
    if not xff and referer is not None:
        xff = _trailing_forwarded(line, m.end())
    return LogRecord(ts, remote, method, target, int(status), int(size) if size.isdigit() else 0,
                     dash(referer or ""), dash(ua or ""), xff)


def looks_clf(line: str) -> bool:
    """Whether a line has the NCSA shape (for format detection)."""
    return (_PLAIN.match(line) or _GENERAL.match(line)) is not None
