"""The parse step: one function per log format, from a raw line to a ``LogRecord`` or a ``Reason``.

``combined`` also reads ``combined`` + ``$request_time`` (and anything else after the
user agent) and varnishncsa's default output (absolute URLs in the request line).
``json`` and nginx ``log_format`` strings live in their own modules; ``parser_for``
picks one by name and ``sniff`` guesses the name from the first lines of a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from collectors.weblog.cloudfront import CloudFrontParser
from collectors.weblog.jsonlines import parse_json_line
from collectors.weblog.logformat import compile_log_format
from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, dash, split_request
from collectors.weblog.timestamps import parse_time_local

Parser = Callable[[str], "LogRecord | Reason"]
MAX_LINE = 16_384
FORMATS = ("auto", "combined", "varnishncsa", "json", "cloudfront")

_Q = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
COMBINED_RE = re.compile(r"(\S+) \S+ \S+ \[([^\]]*)\] " + _Q + r" (\S+) (\S+)(?: " + _Q + " " + _Q + ")?")


def parse_combined(line: str) -> LogRecord | Reason:
    """nginx/Apache combined (optionally followed by more fields, e.g. ``$request_time``)."""
    m = COMBINED_RE.match(line)
    if m is None:
        return Reason.EMPTY if not line.strip() else Reason.NO_MATCH
    remote, when, request, status, size, referer, ua = m.groups()
    ts = parse_time_local(when)
    if ts is None:
        return Reason.BAD_TIMESTAMP
    req = split_request(request)
    if req is None:
        return Reason.BAD_REQUEST
    if len(status) != 3 or not status.isdigit():
        return Reason.BAD_STATUS
    return LogRecord(ts, remote, req[0], req[1], int(status), int(size) if size.isdigit() else 0,
                     dash(referer or ""), dash(ua or ""))


def parser_for(fmt: str) -> Parser:
    """The parser for a format name or an nginx ``log_format`` string."""
    name = fmt.strip().lower()
    if name in ("combined", "varnishncsa", "combined_request_time"):
        return parse_combined
    if name in ("json", "nginx_json"):
        return parse_json_line
    if name == "cloudfront":
        return CloudFrontParser()
    if "$" in fmt:
        return compile_log_format(fmt)
    raise ValueError(f"unknown log format {fmt!r}: use one of {', '.join(FORMATS)} or an nginx log_format string")


def sniff(lines: Iterable[str]) -> str:
    """Guess the format of a file from its first lines (``combined`` when nothing fits better)."""
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if text.startswith(("#Version:", "#Fields:")):
            return "cloudfront"
        if text.startswith("{"):
            return "json"
        if COMBINED_RE.match(text):
            return "combined"
        if text.count("\t") >= 10:
            return "cloudfront"
    return "combined"
