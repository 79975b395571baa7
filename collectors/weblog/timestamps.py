"""Log timestamps to UTC epoch seconds: nginx/Apache ``time_local``, ISO 8601 and ``msec``.

Every timestamp carries its own offset, so logs written in any zone land in UTC. Lines
of the same second share one string, so the parsed value is cached on the raw string.
"""

from __future__ import annotations

import calendar
from datetime import datetime

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec"), start=1)}
_CACHE_MAX = 100_000
_local_cache: dict[str, int] = {}
_hour_cache: dict[str, int] = {}


def parse_time_local(text: str) -> int | None:
    """``10/Oct/2000:13:55:36 -0700`` → epoch seconds (UTC), or None if it is not one."""
    hit = _local_cache.get(text)
    if hit is not None:
        return hit
    if len(text) != 26 or text[2] != "/" or text[20] != " ":
        return None
    # 01234567890123456789012345
    # 10/Oct/2000:13:55:36 -0700
    hour_key = text[:14] + text[20:]
    base = _hour_cache.get(hour_key)
    try:
        if base is None:
            month = _MONTHS[text[3:6]]
            sign = -1 if text[21] == "-" else 1
            if text[21] not in "+-":
                return None
            offset = sign * (int(text[22:24]) * 3600 + int(text[24:26]) * 60)
            base = calendar.timegm((int(text[7:11]), month, int(text[0:2]), int(text[12:14]), 0, 0)) - offset
            if len(_hour_cache) > _CACHE_MAX:
                _hour_cache.clear()
            _hour_cache[hour_key] = base
        minute, second = int(text[15:17]), int(text[18:20])
    except (KeyError, ValueError):
        return None
    if minute > 59 or second > 60:
        return None
    value = base + minute * 60 + second
    if len(_local_cache) > _CACHE_MAX:
        _local_cache.clear()
    _local_cache[text] = value
    return value


def parse_iso8601(text: str) -> int | None:
    """``2024-05-01T12:00:00+02:00`` (``Z`` allowed; no offset means UTC) → epoch seconds."""
    hit = _local_cache.get(text)
    if hit is not None:
        return hit
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    value = int(calendar.timegm(dt.utctimetuple())) if dt.tzinfo else int(calendar.timegm(dt.timetuple()))
    _local_cache[text] = value
    return value


def parse_msec(text: str) -> int | None:
    """nginx ``$msec`` (``1700000000.123``) → epoch seconds."""
    try:
        return int(float(text))
    except ValueError:
        return None


def parse_any(text: str) -> int | None:
    """Whichever of the known forms ``text`` is in."""
    text = text.strip().strip("[]")
    if not text:
        return None
    if text[0].isdigit() and text.replace(".", "", 1).isdigit():
        return parse_msec(text)
    if len(text) == 26 and text[2] == "/":
        return parse_time_local(text)
    return parse_iso8601(text)
