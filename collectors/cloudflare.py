"""Cloudflare edge traffic: reads the GraphQL Analytics API, writes the ``cdn`` measurement.

Each poll asks ``httpRequestsAdaptiveGroups`` for one zone, grouped by minute, client
country, edge status and cache status (count and edge response bytes), and writes one
point per minute, country and status class (``provider=cloudflare``), stamped at the
minute's start. The last few minutes are read again on every poll because Cloudflare
keeps filling them in; rewriting a whole minute overwrites it, so nothing is counted twice.
The checkpoint (state DB) is the end of the last minute read, so restarts resume there.
The API has no cursors: pages are cut by ``limit`` and continued from the last minute seen.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, Field, SecretStr, field_validator

from collectors.http_api import send
from collectors.polling import PolledCollector, SourceError, builder
from store.base import Point, TimeSeriesStore
from store.schema import NONE
from store.settings import http_url
from store.state import StateDB

QUERY = """
query SurgewatchEdge($zoneTag: string, $start: Time, $end: Time, $limit: Int) {
  viewer {
    zones(filter: {zoneTag: $zoneTag}) {
      httpRequestsAdaptiveGroups(
        limit: $limit
        filter: {datetime_geq: $start, datetime_lt: $end}
        orderBy: [datetimeMinute_ASC]
      ) {
        count
        sum { edgeResponseBytes }
        dimensions { datetimeMinute clientCountryName edgeResponseStatus cacheStatus }
      }
    }
  }
}
"""

# Cloudflare cache statuses (cacheStatus): served from cache, or fetched from the origin.
CACHED = frozenset({"hit", "stale", "updating", "revalidated"})
MISSED = frozenset({"miss", "expired"})
FROM_ORIGIN = frozenset({"miss", "expired", "bypass", "dynamic", "revalidated"})
UNKNOWN_COUNTRIES = frozenset({"", "XX"})


class CloudflareSettings(BaseModel):
    """``[collectors.cloudflare]``; the token comes from SURGEWATCH_COLLECTORS__CLOUDFLARE__API_TOKEN."""

    enabled: bool = Field(False, description="Poll Cloudflare's GraphQL Analytics API.")
    api_token: SecretStr | None = Field(None, description="API token with Zone > Analytics > Read (secret).")
    zone_tag: str = Field("", description="The zone ID (32 hex characters, on the zone's Overview page).")
    url: str = Field("https://api.cloudflare.com/client/v4/graphql", description="GraphQL endpoint.")
    source: str = Field("cloudflare", description="Name of this collector instance (tag source, checkpoint key).")
    every_seconds: float = Field(60, ge=1, description="Seconds between API calls.")
    backfill_minutes: int = Field(60, ge=1, le=10080, description="Minutes read back on the very first poll.")
    refetch_minutes: int = Field(5, ge=0, le=60, description="Recent minutes read again each poll as data settles.")
    delay_minutes: int = Field(1, ge=0, le=60, description="The newest minutes not read yet (still filling in).")
    max_catchup_hours: int = Field(24, ge=1, le=720, description="After a long stop, read at most this far back.")
    window_minutes: int = Field(60, ge=1, le=1440, description="Time range of one query.")
    page_limit: int = Field(10000, ge=10, le=10000, description="Groups per query (the API's limit argument).")
    timeout_seconds: float = Field(30, gt=0, description="HTTP timeout.")
    max_retry_wait: float = Field(30, ge=0, description="Longest Retry-After waited for inside one poll.")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return http_url(v, "https://api.cloudflare.com/client/v4/graphql")


def status_class(status: int | None) -> str:
    if status is None or not 100 <= int(status) < 600:
        return NONE
    return f"{int(status) // 100}xx"


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


class CloudflareCollector(PolledCollector):
    """Polls one Cloudflare zone's per-minute edge traffic into ``cdn``."""

    def __init__(self, settings: CloudflareSettings, store: TimeSeriesStore, state: StateDB, *,
                 site: str = "default", client: httpx.Client | None = None) -> None:
        super().__init__(settings, store, state, site=site, measurement="cdn")
        if not settings.zone_tag:
            raise ValueError("collectors.cloudflare.zone_tag is empty; set it to the zone ID from the zone's "
                             "Overview page in the Cloudflare dashboard")
        if settings.api_token is None:
            raise ValueError("collectors.cloudflare.api_token is not set; set SURGEWATCH_COLLECTORS__CLOUDFLARE__"
                             "API_TOKEN to a token with Zone > Analytics > Read")
        self.client = client or httpx.Client(timeout=settings.timeout_seconds)

    # -- polling ----------------------------------------------------------------------------
    def _poll(self, now: datetime) -> int:
        s = self.settings
        end = int(now.timestamp()) // 60 * 60 - s.delay_minutes * 60
        checkpoint = self.state.get_checkpoint(self.checkpoint_key)
        start = int(checkpoint["until"]) - s.refetch_minutes * 60 if checkpoint else end - s.backfill_minutes * 60
        start = max(start, end - s.max_catchup_hours * 3600)
        written = 0
        window = s.window_minutes * 60
        for win_start in range(start, end, window):
            win_end = min(win_start + window, end)
            points = self.points_for(self.fetch(win_start, win_end))
            written += self.store.write(points)
            done = max(win_end, int(checkpoint["until"]) if checkpoint else 0)
            self.state.put_checkpoint(self.checkpoint_key, {"until": done})
        return written

    def fetch(self, start: int, end: int) -> list[dict]:
        """All groups of minutes in [start, end), page by page."""
        rows: list[dict] = []
        cursor = start
        while cursor < end:
            page = self._query(cursor, end)
            if len(page) < self.settings.page_limit:
                rows.extend(page)
                break
            last_minute = _epoch(page[-1]["dimensions"]["datetimeMinute"])
            if last_minute <= cursor:
                raise SourceError(
                    f"Cloudflare returned more than {self.settings.page_limit} groups for the single minute "
                    f"{_iso(cursor)}; raise collectors.cloudflare.page_limit (at most 10000)")
            # The last minute may be cut by the limit: keep the whole minutes, read that one again.
            rows.extend(r for r in page if _epoch(r["dimensions"]["datetimeMinute"]) < last_minute)
            cursor = last_minute
        return rows

    def _query(self, start: int, end: int) -> list[dict]:
        token = self.settings.api_token.get_secret_value() if self.settings.api_token else ""
        payload = {"query": QUERY, "variables": {"zoneTag": self.settings.zone_tag, "start": _iso(start),
                                                 "end": _iso(end), "limit": self.settings.page_limit}}
        response = send(self.client, "POST", self.settings.url, what="Cloudflare GraphQL API", json=payload,
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                        max_retry_wait=self.settings.max_retry_wait)
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"Cloudflare GraphQL API answered HTTP {response.status_code} with a body that is "
                              f"not JSON: {response.text[:200]!r}") from None
        if response.status_code in (401, 403):
            raise SourceError(f"Cloudflare rejected the API token (HTTP {response.status_code}: "
                              f"{_messages(body)}); give the token Zone > Analytics > Read on zone "
                              f"{self.settings.zone_tag}")
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            raise SourceError(f"Cloudflare GraphQL API reported an error for {_iso(start)}..{_iso(end)}: "
                              f"{_messages(body)}")
        if response.status_code != 200:
            raise SourceError(f"Cloudflare GraphQL API answered HTTP {response.status_code}: {response.text[:200]!r}")
        try:
            zones = body["data"]["viewer"]["zones"]
        except (KeyError, TypeError):
            raise SourceError("Cloudflare GraphQL API answered without data.viewer.zones; "
                              f"got {str(body)[:200]!r}") from None
        if not zones:
            raise SourceError(f"Cloudflare knows no zone {self.settings.zone_tag!r} for this token; "
                              "check collectors.cloudflare.zone_tag and the token's zone resources")
        return zones[0].get("httpRequestsAdaptiveGroups") or []

    def points_for(self, rows: list[dict]) -> list[Point]:
        """One point per minute, country and status class; the groups' cache statuses folded in."""
        acc: dict[tuple[int, str, str], dict[str, int]] = defaultdict(
            lambda: {"requests": 0, "cached": 0, "misses": 0, "bytes": 0, "backend_fetches": 0,
                     "backend_failures": 0})
        for row in rows:
            dims = row.get("dimensions") or {}
            try:
                minute = _epoch(dims["datetimeMinute"]) // 60 * 60
            except (KeyError, TypeError, ValueError):
                raise SourceError(f"Cloudflare returned a group without a valid dimensions.datetimeMinute: "
                                  f"{str(row)[:200]!r}") from None
            country = (dims.get("clientCountryName") or "").upper()
            country = NONE if country in UNKNOWN_COUNTRIES else country
            status = status_class(dims.get("edgeResponseStatus"))
            count = int(row.get("count") or 0)
            cache = (dims.get("cacheStatus") or "").lower()
            fields = acc[(minute, country, status)]
            fields["requests"] += count
            fields["bytes"] += int((row.get("sum") or {}).get("edgeResponseBytes") or 0)
            fields["cached"] += count if cache in CACHED else 0
            fields["misses"] += count if cache in MISSED else 0
            fields["backend_fetches"] += count if cache in FROM_ORIGIN else 0
            fields["backend_failures"] += count if cache in FROM_ORIGIN and status == "5xx" else 0
        return [
            Point("cdn", {"site": self.site, "source": self.source, "provider": "cloudflare", "country": country,
                          "status": status}, fields, minute)
            for (minute, country, status), fields in sorted(acc.items())
        ]


def _messages(body: object) -> str:
    if isinstance(body, dict) and body.get("errors"):
        parts = []
        for err in body["errors"]:
            if isinstance(err, dict):
                path = ".".join(str(p) for p in err.get("path") or [])
                parts.append(f"{err.get('message', err)}" + (f" (at {path})" if path else ""))
            else:
                parts.append(str(err))
        return "; ".join(parts)
    return str(body)[:200]


SETTINGS = CloudflareSettings  # the section's keys, checked at start-up
build = builder(CloudflareSettings, CloudflareCollector)  # the registry hook
