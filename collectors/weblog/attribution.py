"""Attribution by visit: which announced campaign each visit came from, and whether it converted.

A *visit* is a run of page requests (groups page, landing, checkout, conversion) of one human
visitor with no gap over 30 minutes. The visitor is the pipeline's daily-salted visitor id
(``privacy.DailyIds.visitor``), so visits live in memory only, cannot outlast the day's salt,
and nothing here can be linked back to an address or a user agent.

A visit belongs to a campaign when its first page is the campaign's link, inside the
campaign's window (``campaigns.model.window_of``) and, when it names regions, from one of
them (an unknown country is not held against it): the link is the campaign's
``utm_campaign``, or a page under one of its ``landing`` prefixes reached with the
referrer class of its channel (``CHANNEL_REFERRERS``). A visit *converts* at its first
request in the ``conversion`` path group; it counts once, however many such pages follow.

Only aggregates leave this module, per 10-second bucket and campaign id, as the
``campaign_visits`` measurement (``campaign`` = ``none`` for visits of no campaign, the
site's own conversions the baseline is read from):

- ``visits``, ``conversions``: visits that began on the campaign's link in the bucket, and
  those of its visits that converted in the bucket;
- ``unattributed``: conversions in the bucket, while the campaign ran and in its regions,
  of visits that did not begin on its link ("during, not attributed");
- ``landing_requests``, ``landing_4xx``, ``landing_5xx``: human page requests on its
  landing pages or carrying its ``utm_campaign`` during its window, and those that failed.

The pipeline calls ``add`` per request and ``points`` when it writes a bucket, then
``forget`` once the bucket is written for good; ``state``/``load`` keep the counts (never
the visits) across restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from campaigns.model import Campaign, Channel, Status, window_of
from store.base import Point
from store.schema import NONE

VISIT_GAP = 1800  # seconds without a page that end a visit
PAGE_GROUPS = frozenset(("page", "landing", "checkout", "conversion"))
FIELDS = ("visits", "conversions", "unattributed", "landing_requests", "landing_4xx", "landing_5xx")
ANY_REFERRER = frozenset(("direct", "email", "social", "search", "other"))
CHANNEL_REFERRERS: dict[Channel, frozenset[str]] = {  # how people arrive from each channel (internal never)
    Channel.EMAIL: frozenset(("email", "direct")),  # mail apps send no referrer
    Channel.SMS: frozenset(("direct",)),
    Channel.PUSH: frozenset(("direct",)),
    Channel.SOCIAL: frozenset(("social",)),
    Channel.ADS: frozenset(("search", "social", "other")),
    Channel.PRESS: frozenset(("other", "search")),
    Channel.OTHER: ANY_REFERRER,
}
_MAX_VISITS = 2_000_000  # open visits kept at most (a flood of one-page visitors cannot exhaust memory)


@dataclass(frozen=True)
class Link:
    """What of a campaign a request is matched against (``utm`` case-folded, as links are typed by hand)."""

    id: str
    utm: str | None
    landing: tuple[str, ...]
    referrers: frozenset[str]
    regions: frozenset[str]
    start: int
    end: int

    def running(self, ts: int, country: str) -> bool:
        return self.start <= ts < self.end and (not self.regions or country not in _KNOWN or country in self.regions)

    def on_landing(self, path: str) -> bool:
        return bool(self.landing) and path.startswith(self.landing)


class _Known:
    """Countries that are real codes: ``none`` or ``other`` (no geo database) never exclude a visit."""

    def __contains__(self, country: object) -> bool:
        return isinstance(country, str) and len(country) == 2 and country.isalpha() and country.isupper()


_KNOWN = _Known()


def links_of(campaigns: Iterable[Campaign]) -> list[Link]:
    """The links of the campaigns that are not cancelled, earliest start first."""
    out = [Link(c.id, c.utm_campaign.casefold() if c.utm_campaign else None,
                tuple(p for p in c.landing if p != "/"), CHANNEL_REFERRERS[c.channel], frozenset(c.regions),
                *window_of(c))
           for c in campaigns if c.status is not Status.CANCELLED]
    return sorted(out, key=lambda k: (k.start, k.id))


class Attribution:
    """Visits followed in memory; per-bucket counts per campaign out."""

    def __init__(self) -> None:
        self.links: list[Link] = []
        self.visits: dict[int, list] = {}  # visitor id -> [last page ts, campaign id or None, converted]
        self.counts: dict[int, dict[str, list[int]]] = {}  # bucket start -> campaign id -> FIELDS
        self._pruned_at = 0

    def set_campaigns(self, campaigns: Iterable[Campaign]) -> None:
        self.links = links_of(campaigns)

    def _row(self, start: int, campaign: str) -> list[int]:
        by = self.counts.get(start)
        if by is None:
            by = self.counts[start] = {}
        row = by.get(campaign)
        if row is None:
            row = by[campaign] = [0] * len(FIELDS)
        return row

    def add(self, ts: int, start: int, visitor: int, group: str, path: str, utm: str | None, referrer: str,
            country: str, status: int) -> None:
        """One human request (``start``: its bucket). Requests outside the page groups are ignored."""
        if group not in PAGE_GROUPS:
            return
        if utm is not None:
            utm = utm.casefold()
        running = [k for k in self.links if k.running(ts, country)] if self.links else []
        for k in running:
            if (utm is not None and utm == k.utm) or k.on_landing(path):
                row = self._row(start, k.id)
                row[3] += 1
                if status >= 500:
                    row[5] += 1
                elif status >= 400:
                    row[4] += 1
        v = self.visits.get(visitor)
        if v is None or ts - v[0] > VISIT_GAP:
            campaign = next((k.id for k in running if (utm is not None and utm == k.utm)
                             or (k.on_landing(path) and referrer in k.referrers)), None)
            if len(self.visits) >= _MAX_VISITS or ts - self._pruned_at > VISIT_GAP:
                self.prune(ts)
            v = self.visits[visitor] = [ts, campaign, False]
            self._row(start, campaign or NONE)[0] += 1
        else:
            v[0] = max(v[0], ts)
        if group == "conversion" and not v[2]:
            v[2] = True
            self._row(start, v[1] or NONE)[1] += 1
            for k in running:
                if k.id != v[1]:
                    self._row(start, k.id)[2] += 1

    def prune(self, now: int) -> None:
        """Forget visits over (no page for ``VISIT_GAP``); all of them if that frees nothing."""
        self._pruned_at = now
        old = [vid for vid, v in self.visits.items() if now - v[0] > VISIT_GAP]
        for vid in old:
            del self.visits[vid]
        if len(self.visits) >= _MAX_VISITS:
            self.visits.clear()

    def points(self, start: int, tags: dict[str, str]) -> list[Point]:
        """The ``campaign_visits`` points of one bucket, tagged ``tags`` (site, source, part) and the campaign."""
        return [Point("campaign_visits", {**tags, "campaign": cid}, dict(zip(FIELDS, row, strict=True)), start)
                for cid, row in sorted(self.counts.get(start, {}).items())]

    def forget(self, starts: Iterable[int]) -> None:
        """Buckets written for good: their counts are dropped."""
        for s in starts:
            self.counts.pop(s, None)

    def state(self) -> dict:
        return {str(s): by for s, by in self.counts.items()}

    def load(self, data: dict) -> None:
        self.counts = {int(s): {c: [int(x) for x in row] for c, row in by.items()} for s, by in data.items()}
