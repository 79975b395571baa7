"""Amazon CloudFront standard (legacy) log files: tab-separated, ``#Fields:`` header, UTC times.

The column order comes from each file's ``#Fields:`` line (33 fields today; older files
have fewer), falling back to the documented order. User agent and referrer are
URL-encoded in these files and are decoded here.
"""

from __future__ import annotations

import calendar
from urllib.parse import unquote

from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, dash

DEFAULT_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
    "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
    "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
    "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end",
)


class CloudFrontParser:
    """Parses one file's lines; reads the column order from its ``#Fields:`` header."""

    def __init__(self) -> None:
        self._set_fields(DEFAULT_FIELDS)
        self._day_cache: dict[str, int] = {}

    def _set_fields(self, names: list[str] | tuple[str, ...]) -> None:
        idx = {n: i for i, n in enumerate(names)}
        need = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status")
        if any(n not in idx for n in need):
            raise ValueError(f"CloudFront #Fields line lacks one of {need}")
        self._idx = idx
        self._width = max(idx[n] for n in need) + 1

    def _col(self, cols: list[str], name: str) -> str:
        i = self._idx.get(name)
        return dash(cols[i]) if i is not None and i < len(cols) else ""

    def __call__(self, line: str) -> LogRecord | Reason:
        text = line.rstrip("\r\n")
        if not text.strip():
            return Reason.EMPTY
        if text[0] == "#":
            if text.startswith("#Fields:"):
                try:
                    self._set_fields(text[len("#Fields:"):].split())
                except ValueError:
                    return Reason.NO_MATCH
            return Reason.COMMENT
        cols = text.split("\t")
        if len(cols) < self._width:
            return Reason.NO_MATCH
        ts = self._timestamp(cols[self._idx["date"]], cols[self._idx["time"]])
        if ts is None:
            return Reason.BAD_TIMESTAMP
        method = cols[self._idx["cs-method"]]
        stem = cols[self._idx["cs-uri-stem"]]
        if not method.isalpha() or not stem:
            return Reason.BAD_REQUEST
        status = cols[self._idx["sc-status"]]
        if len(status) != 3 or not status.isdigit():
            return Reason.BAD_STATUS
        query = self._col(cols, "cs-uri-query")
        size = self._col(cols, "sc-bytes")
        return LogRecord(
            ts, cols[self._idx["c-ip"]], method, f"{stem}?{query}" if query else stem, int(status),
            int(size) if size.isdigit() else 0, unquote(self._col(cols, "cs(Referer)")),
            unquote(unquote(self._col(cols, "cs(User-Agent)"))), self._col(cols, "x-forwarded-for"),
        )

    def _timestamp(self, date: str, time: str) -> int | None:
        day = self._day_cache.get(date)
        try:
            if day is None:
                y, m, d = (int(p) for p in date.split("-"))
                day = calendar.timegm((y, m, d, 0, 0, 0))
                self._day_cache[date] = day
            h, mi, s = (int(p) for p in time.split(":"))
        except ValueError:
            return None
        return day + h * 3600 + mi * 60 + s
