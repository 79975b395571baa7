"""The plan's own limits on top of the one table of bounds (``campaigns.bounds``).

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

from campaigns.bounds import BOUNDS, Bound, BoundsError, check, readable  # noqa: F401  (the one table)

FLEET_CAP_FACTOR = 20       # max_instances unset: never plan more than 20 × today's fleet
AUDIENCE_WARN_FACTOR = 10   # warn when the audience is over 10 × the largest past audience of the site
PEAK_WARN_FACTOR = 10       # warn when the peak needs over 10 × today's instances
MIN_LEARN_AUDIENCE = 500    # a send to fewer is a test send: too small to learn a response from


def fleet_cap(today: int, max_instances: int | None) -> tuple[int, str]:
    """The most instances a plan may ask for, and where that limit comes from."""
    if max_instances is not None:
        return max_instances, f"capacity.max_instances = {max_instances}"
    cap = max(1, today) * FLEET_CAP_FACTOR
    return cap, (f"{FLEET_CAP_FACTOR} × today's {today} instance(s) = {cap} (capacity.max_instances unset; set it "
                 "to plan beyond)")
