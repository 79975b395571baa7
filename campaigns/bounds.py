"""The one table of bounds for every number, date, text and file a campaign or a plan brings in.

Campaign import (JSON, CSV, ICS), the dashboard's forms and capacity planning all check
against these values (``check`` raises ``BoundsError``, a ValueError naming the field, the
value and the range), so a value refused in one place is refused everywhere, with the same
words. README lists them (section "Bounds").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


class BoundsError(ValueError):
    """A value outside its sane range; the message names the field, the value and the range."""


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    what: str                 # the field in plain words, with its unit
    low_inclusive: bool = True


BOUNDS: dict[str, Bound] = {
    "audience": Bound(1, 1e10, "audience (recipients, followers or readers)"),
    "spend": Bound(0, 1e12, "campaign spend"),
    "rps_per_instance": Bound(0, 1e7, "requests/s one instance serves", low_inclusive=False),
    "instances": Bound(1, 100_000, "instances"),
    "instance_cost_per_hour": Bound(0, 100_000, "cost of one instance-hour"),
    "headroom": Bound(0, 3, "headroom (0.25 = 25 %)"),
    "click_rate": Bound(0, 1, "clicks per recipient"),
    "per_recipient": Bound(0, 200, "requests per audience member"),
    "duration_days": Bound(0, 366, "campaign duration in days"),
}

def check(name: str, value: float | int | None, *, label: str | None = None) -> float | int | None:
    """``value`` unchanged when inside its bound (None passes), else BoundsError naming ``label`` or the field."""
    if value is None:
        return None
    b = BOUNDS[name]
    field = label or name
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise BoundsError(f"{field} {value!r} is not a number; give {b.what} as a number") from None
    if not math.isfinite(x):
        raise BoundsError(f"{field} {value!r} is not a finite number; give {b.what} between {readable(b.low)} and "
                          f"{readable(b.high)}")
    too_low = x < b.low or (x == b.low and not b.low_inclusive)
    if too_low or x > b.high:
        side = "at least" if b.low_inclusive else "over"
        raise BoundsError(f"{field} {readable(x)} is outside the sane range of {b.what}: {side} {readable(b.low)} "
                          f"and at most {readable(b.high)}; fix the value (a typo or a wrong unit?)")
    return value


def readable(x: float) -> str:
    """A number as people read it: 10000000000 as 1e+10, 0.25 as 0.25, 20000 as 20,000."""
    if x != 0 and (abs(x) >= 1e7 or abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"




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
