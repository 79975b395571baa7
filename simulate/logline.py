"""Formats simulated requests as nginx/Apache combined access-log lines, in a chosen local UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulate.engine import Record

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


class CombinedFormatter:
    """``%h - - [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-agent}i"`` with a cached clock."""

    def __init__(self, utc_offset_minutes: int = 0) -> None:
        self.offset = timedelta(minutes=utc_offset_minutes)
        self.zone = offset_text(utc_offset_minutes)
        self._second = -1
        self._stamp = ""

    def stamp(self, ts: float) -> str:
        second = int(ts)
        if second != self._second:
            local = datetime.fromtimestamp(second, UTC) + self.offset
            self._second = second
            self._stamp = (f"{local.day:02d}/{_MONTHS[local.month - 1]}/{local.year}:"
                           f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {self.zone}")
        return self._stamp

    def line(self, r: Record) -> str:
        return f'{r[1]} - - [{self.stamp(r[0])}] "{r[2]} {r[3]} {r[4]}" {r[5]} {r[6]} "{r[7]}" "{r[8]}"'
