"""The one table of bounds for every number, date, text and file a campaign brings in.

Campaign import (JSON, CSV, ICS), the dashboard's form and capacity planning all check
against these values, so a value refused in one place is refused everywhere, with the same
words. README lists them (section "Campaign files").
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

AUDIENCE_MAX = 10**10              # recipients: more than every person alive
SPEND_MAX = 1e10                   # in the campaign's currency
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
LONGEST = timedelta(days=366)      # from start to end
TEXT_MAX = {"name": 200, "owner": 200, "utm_campaign": 200, "site": 200, "id": 64}
LIST_MAX = {"regions": 250, "landing": 50}
PATH_MAX = 500                     # characters of one landing path
FILE_MAX_BYTES = 5 * 1024 * 1024   # one campaign file
ROWS_MAX = 5_000                   # campaigns in one file
NESTING_MAX = 20                   # JSON depth

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ID_RULE = "1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"


def number(name: str, value: float | int | None, most: float) -> float | int | None:
    """The value if it is finite and within 0..most, else a ValueError that says the bound."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative (got {value:g})")
    if value > most:
        raise ValueError(f"{name} {value:g} is beyond the sane maximum of {most:g}; check the number")
    return value


def moment(name: str, value: datetime) -> datetime:
    """A UTC time within the years the calendar takes, else a ValueError."""
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"{name} {value:%Y-%m-%d} is outside {EARLIEST:%Y}-{LATEST.year - 1}; check the year")
    return value


def text(name: str, value: str | None) -> str | None:
    most = TEXT_MAX.get(name)
    if value is not None and most is not None and len(value) > most:
        raise ValueError(f"{name} is {len(value)} characters long; at most {most} are allowed")
    return value
