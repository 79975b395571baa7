"""Bounded cardinality: a ``utm_campaign`` gets its own tag only once it is seen often enough.

Known campaigns (from the state DB) are admitted at once; new values need
``campaign_min_requests`` requests and a free slot among ``max_campaigns``; everything
else folds into ``other``, so a flood of random values cannot blow up the series count.
"""

from __future__ import annotations

from store.schema import NONE, OTHER


class CampaignFolder:
    def __init__(self, max_campaigns: int, min_requests: int, known: list[str] | None = None) -> None:
        self.max = max_campaigns
        self.min = min_requests
        self.admitted: set[str] = {k.lower() for k in (known or [])}
        self.seen: dict[str, int] = {}

    def tag(self, value: str | None) -> str:
        if not value:
            return NONE
        if value in self.admitted:
            return value
        n = self.seen.get(value, 0) + 1
        if n >= self.min and len(self.admitted) < self.max:
            self.admitted.add(value)
            self.seen.pop(value, None)
            return value
        if len(self.seen) > 10_000:
            self.seen.clear()
        self.seen[value] = n
        return OTHER

    def state(self) -> dict:
        return {"admitted": sorted(self.admitted), "seen": self.seen}

    def load(self, data: dict) -> None:
        self.admitted.update(data.get("admitted", []))  # keeps campaigns known from the calendar
        self.seen = dict(data.get("seen", {}))
