"""W3C extended log files: Microsoft IIS (space-separated) and Amazon CloudFront standard logs (tab-separated).

Both name their columns in a ``#Fields:`` header line and write UTC date and time. The column
order comes from the latest ``#Fields:`` line (IIS repeats its header block whenever the
service restarts, possibly with other fields), falling back to the documented defaults for
lines read before any header (a tail started mid-file). CloudFront URL-encodes the user agent
and referrer (twice for the agent); IIS writes ``+`` for a space in them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from urllib.parse import unquote

from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, dash

CLOUDFRONT_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(host)", "cs-uri-stem",
    "sc-status", "cs(referer)", "cs(user-agent)", "cs-uri-query", "cs(cookie)", "x-edge-result-type",
    "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
    "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end",
)
IIS_FIELDS = (  # IIS 8.5+ defaults
    "date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip",
    "cs(user-agent)", "cs(referer)", "sc-status", "sc-substatus", "sc-win32-status", "time-taken",
)
IIS_XFF_FIELDS = (*IIS_FIELDS, "x-forwarded-for")  # the defaults + the custom field IIS docs suggest adding
_NEED = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status")
_XFF = ("x-forwarded-for", "cs(x-forwarded-for)", "x_forwarded_for")
_QUOTED_OR_TOKEN = re.compile(r'"[^"]*"|\S+')


class _Columns:
    def __init__(self, names: list[str] | tuple[str, ...]) -> None:
        idx = {n.lower(): i for i, n in enumerate(names)}
        missing = [n for n in _NEED if n not in idx]
        if missing:
            raise ValueError(f"#Fields line lacks {', '.join(missing)}")
        self.idx = idx
        self.count = len(names)
        self.width = max(idx[n] for n in _NEED) + 1
        self.xff = next((idx[n] for n in _XFF if n in idx), None)


class W3CParser:
    """Parses one file's lines; reads the column order from its ``#Fields:`` headers."""

    def __init__(self) -> None:
        self._tab = _Columns(CLOUDFRONT_FIELDS)
        self._space = _Columns(IIS_FIELDS)
        self._space_xff = _Columns(IIS_XFF_FIELDS)
        self._header: _Columns | None = None
        self._day_cache: dict[str, int] = {}

    def __call__(self, line: str) -> LogRecord | Reason:
        text = line.rstrip("\r\n")
        if not text.strip():
            return Reason.EMPTY
        if text[0] == "#":
            if text.startswith("#Fields:"):
                try:
                    self._header = _Columns(text[len("#Fields:"):].split())
                except ValueError:
                    return Reason.NO_MATCH
            return Reason.COMMENT
        tab = "\t" in text
        if tab:
            cols = text.split("\t")
        elif '"' in text:
            cols = [c[1:-1] if c[:1] == '"' and len(c) > 1 else c for c in _QUOTED_OR_TOKEN.findall(text)]
        else:
            cols = text.split()
        head = self._header or (self._tab if tab else self._space)
        if not tab and len(cols) != head.count:
            # IIS writes every field of its header on each line: a line of another width is in the default
            # layout (below a header naming other fields), or is not an IIS line (columns would be misread)
            if len(cols) == self._space.count:
                head = self._space
            elif len(cols) == self._space_xff.count:
                head = self._space_xff
            else:
                return Reason.NO_MATCH
        if len(cols) < head.width:
            return Reason.NO_MATCH
        return self._record(cols, head, tab)

    def _record(self, cols: list[str], head: _Columns, tab: bool) -> LogRecord | Reason:
        idx = head.idx
        ts = self._timestamp(cols[idx["date"]], cols[idx["time"]])
        if ts is None:
            return Reason.BAD_TIMESTAMP
        status = cols[idx["sc-status"]]
        if len(status) != 3 or not status.isdigit():
            return Reason.BAD_STATUS
        method = cols[idx["cs-method"]]
        stem = cols[idx["cs-uri-stem"]]
        if not stem or stem == "-":
            method, stem = "", ""
        elif not method.isalpha():
            method = ""

        def col(name: str) -> str:
            i = idx.get(name)
            return dash(cols[i]) if i is not None and i < len(cols) else ""

        query = col("cs-uri-query")
        size = col("sc-bytes")
        ua, referer = col("cs(user-agent)"), col("cs(referer)")
        if tab:
            ua, referer = unquote(unquote(ua)), unquote(referer)
        else:
            ua, referer = ua.replace("+", " "), referer
        xff = dash(cols[head.xff]) if head.xff is not None and head.xff < len(cols) else ""
        return LogRecord(ts, cols[idx["c-ip"]], method, f"{stem}?{query}" if query else stem, int(status),
                         int(size) if size.isdigit() else 0, referer, ua, xff)

    def _timestamp(self, date: str, time: str) -> int | None:
        day = self._day_cache.get(date)
        try:
            if day is None:
                y, m, d = (int(p) for p in date.split("-"))
                day = calendar.timegm(dt.date(y, m, d).timetuple())
                if len(self._day_cache) > 10_000:
                    self._day_cache.clear()
                self._day_cache[date] = day
            h, mi, s = (int(p) for p in time.split(".", 1)[0].split(":"))
        except (ValueError, OverflowError):
            return None
        if not (0 <= h < 24 and 0 <= mi < 60 and 0 <= s <= 60):
            return None
        return day + h * 3600 + mi * 60 + s
