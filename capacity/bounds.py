"""The sane range of every number a plan takes in, in one table, and the checks that enforce it.

A number enters a plan from a campaign file, the Campaigns form, the Capacity page's inputs or
``plan --audience``; a typo (an audience of 10^12, a negative spend, ``inf``) must be refused
with the field's name and its allowed range, never planned into millions of instances. The
same table serves campaign import and the form (``check`` raises ``BoundsError``), so every
entry point refuses the same things with the same words. Past the hard bounds, the plan warns
when a value is possible but far beyond this site's own history (``AUDIENCE_WARN_FACTOR``,
``PEAK_WARN_FACTOR``), and caps the fleet at ``FLEET_CAP_FACTOR`` × today's unless
``capacity.max_instances`` says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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

FLEET_CAP_FACTOR = 20       # max_instances unset: never plan more than 20 × today's fleet
AUDIENCE_WARN_FACTOR = 10   # warn when the audience is over 10 × the largest past audience of the site
PEAK_WARN_FACTOR = 10       # warn when the peak needs over 10 × today's instances
MIN_LEARN_AUDIENCE = 500    # a send to fewer is a test send: too small to learn a response from


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
        raise BoundsError(f"{field} {value!r} is not a finite number; give {b.what} between {_n(b.low)} and "
                          f"{_n(b.high)}")
    too_low = x < b.low or (x == b.low and not b.low_inclusive)
    if too_low or x > b.high:
        side = "at least" if b.low_inclusive else "over"
        raise BoundsError(f"{field} {_n(x)} is outside the sane range of {b.what}: {side} {_n(b.low)} and at most "
                          f"{_n(b.high)}; fix the value (a typo or a wrong unit?)")
    return value


def _n(x: float) -> str:
    """A number as people read it: 10000000000 as 1e+10, 0.25 as 0.25, 20000 as 20,000."""
    if x != 0 and (abs(x) >= 1e7 or abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def fleet_cap(today: int, max_instances: int | None) -> tuple[int, str]:
    """The most instances a plan may ask for, and where that limit comes from."""
    if max_instances is not None:
        return max_instances, f"capacity.max_instances = {max_instances}"
    cap = max(1, today) * FLEET_CAP_FACTOR
    return cap, (f"{FLEET_CAP_FACTOR} × today's {today} instance(s) = {cap} (capacity.max_instances unset; set it "
                 "to plan beyond)")
