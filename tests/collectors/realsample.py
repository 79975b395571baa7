"""Real access-log lines (tests/collectors/data, origin in its README), re-dated where a test needs more time.

Only the timestamp of a copy changes; everything else is as the server wrote it.
"""

from __future__ import annotations

import calendar
import re
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
_STAMP = re.compile(r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d) \+0000\]")


def real_lines() -> list[str]:
    """The sample's lines, each ending in a newline, in the server's order."""
    return (DATA / "apache_logs_head.log").read_text().splitlines(keepends=True)


def line_time(line: str) -> int:
    m = _STAMP.search(line)
    assert m, line
    return calendar.timegm(time.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S"))


def shifted(line: str, seconds: int) -> str:
    """The line with its time moved by ``seconds``."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S", time.gmtime(line_time(line) + seconds))
    return _STAMP.sub(f"[{stamp} +0000]", line, count=1)


def days_of_lines(days: int, copies_per_day: int = 6, minute_step: int = 7) -> list[list[str]]:
    """``days`` days of traffic, each day's lines in time order: the sample repeated every ``minute_step`` minutes."""
    base = real_lines()
    out = []
    for d in range(days):
        day = [shifted(line, d * 86_400 + k * minute_step * 60) for k in range(copies_per_day) for line in base]
        out.append(sorted(day, key=line_time))
    return out


def real_lines_at(n: int, start: int, first: int = 0, per_second: int = 10) -> list[str]:
    """``n`` sample lines (cycling, from the ``first``-th on), re-dated ``per_second`` a second from ``start``."""
    base = real_lines()
    out = []
    for i in range(first, first + n):
        line = base[i % len(base)]
        out.append(shifted(line, start + i // per_second - line_time(line)))
    return out
