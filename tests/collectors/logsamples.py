"""Hand-written access-log lines for the access-log tests."""

from __future__ import annotations

import time

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC, a bucket start


def stamp(ts: int, offset_minutes: int = 0) -> str:
    sign = "-" if offset_minutes < 0 else "+"
    off = abs(offset_minutes)
    local = time.gmtime(ts + offset_minutes * 60)
    return time.strftime("%d/%b/%Y:%H:%M:%S", local) + f" {sign}{off // 60:02d}{off % 60:02d}"


def combined(ts: int, ip: str = "81.2.69.142", target: str = "/", *, method: str = "GET", status: int = 200,
             size: int = 512, referer: str = "-", ua: str = CHROME, offset_minutes: int = 0, extra: str = "") -> str:
    return (f'{ip} - - [{stamp(ts, offset_minutes)}] "{method} {target} HTTP/1.1" {status} {size} '
            f'"{referer}" "{ua}"{extra}')
