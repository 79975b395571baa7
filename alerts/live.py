"""The worker's detection job: every 10 s, turn the latest buckets into incidents.

``run_detection`` runs the same analysis as ``analyze`` over the last hours of each
site and upserts every surge that is going on or ended recently. An incident's id is
its site and start, and an open incident overlapping a new finding keeps its id, so a
growing surge updates one incident (sharper verdict, later end) and never duplicates it.
On-call feedback stored with an incident is kept across updates. The verdict shown moves
only on sustained evidence (``alerts.incidents.verdict_stability``). Drops and error bursts are
upserted as incidents of their own (verdict ``drop`` / ``errors``). A rise shown while it
lasted that ends as a blip (under the minimum volume) has its incident closed as such. The
total's baseline follows the time of day learned from the days before the window
(``alerts.detection.seasonal_history``), so the daily morning rise is not a surge. Block suggestions
leave out the networks on-call said carry people (``alerts.judgement.people_networks``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.analysis import analyze_site
from alerts.detection.buckets import sites
from alerts.detection.detect import DetectorConfig
from alerts.detection.seasonal_history import ProfileCache
from alerts.detection.slices import TOTAL
from alerts.incidents.model import Incident, IncidentSink, clock, feedback_from_rows
from alerts.incidents.outages import OUTAGE_VERDICTS, outage_id, outage_incident
from alerts.incidents.verdict_stability import settle
from alerts.judgement.correlate import CampaignInfo
from alerts.judgement.people_networks import people_networks
from store.base import BUCKET_SECONDS, StoreError, TimeSeriesStore, bucket_start, to_epoch

log = logging.getLogger(__name__)

HISTORY_SECONDS = 6 * 3600   # buckets loaded per run: baseline plus the surge
RECENT_SECONDS = 15 * 60     # surges that ended longer ago than this are left alone
# A bucket is judged this long after its 10 s are over: the live tail polls every 2 s and writes
# open buckets as they fill, so by then its lines are in. The worker runs detection at this offset
# from the bucket boundaries (``first_detection``); run at any other moment, the newest bucket
# whose settle time has passed is the last one judged.
SETTLE_SECONDS = 5
BLIP_GRACE = 60              # seconds an open incident the analysis no longer finds waits before it is closed
PROFILES = ProfileCache()    # time-of-day profiles of the worker's sites, re-read every 15 min


def _campaigns(state: Any, site: str, start: int) -> list[CampaignInfo]:
    lister = getattr(state, "list_campaigns", None)
    if lister is None:
        return []
    since = datetime.fromtimestamp(start, UTC) - timedelta(days=7)
    out = []
    for c in lister(since=since):
        if getattr(c, "site", site) not in (site, "default"):
            continue
        if str(getattr(getattr(c, "status", ""), "value", "")) == "cancelled":
            continue
        try:
            out.append(CampaignInfo.of(c))
        except ValueError as exc:
            log.warning("campaign skipped: %s", exc)
    return out


def _open_incidents(state: Any, site: str) -> list[dict[str, Any]]:
    lister = getattr(state, "list_incidents", None)
    return lister(site=site, status="open") if lister else []


def _merge_previous(inc: Incident, state: IncidentSink, open_now: list[dict[str, Any]]) -> Incident:
    """Reuse the id of an open incident the finding overlaps; keep its feedback."""
    for old in open_now:
        o_start, o_end = to_epoch(_parse(old["start"])), to_epoch(_parse(old["end"]))
        if old["id"] != inc.id and o_start <= inc.end and inc.start <= o_end:
            inc.id = old["id"]
            break
    prev = state.get_incident(inc.id)
    rows = getattr(state, "feedback", None)
    fb = feedback_from_rows(rows(inc.id)) if callable(rows) else None
    if fb is not None:
        inc.feedback = fb
    elif prev and prev.get("feedback"):
        inc.feedback = Incident.from_dict(prev).feedback
    return inc


def _parse(value: Any) -> Any:
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(value)


def _same(a: dict[str, Any], b: dict[str, Any] | None) -> bool:
    if b is None:
        return False
    skip = {"updated_at"}
    return {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}


def first_detection(now: float, every: int) -> float:
    """The first time from ``now`` that is a bucket boundary plus the settle time: detection every
    ``every`` seconds from then on judges each bucket as soon as it has settled."""
    step = BUCKET_SECONDS if every % BUCKET_SECONDS else every
    first = (now - SETTLE_SECONDS) // step * step + step + SETTLE_SECONDS
    return first if first - now < step else first - step


def run_detection(store: TimeSeriesStore, state: IncidentSink, now: datetime | int,
                  profiles: ProfileCache | None = PROFILES, detector: DetectorConfig = TOTAL) -> list[Incident]:
    """Detect and judge the surges of every site up to ``now``; upsert them; return them.

    ``profiles`` gives each site's time-of-day profile from the history before the window;
    None judges the total against its flat recent level only.
    """
    end = bucket_start(to_epoch(now) - SETTLE_SECONDS)
    start = end - HISTORY_SECONDS
    found: list[Incident] = []
    try:
        site_names = sites(store)
    except StoreError as exc:
        log.error("detection skipped: %s", exc)
        return found
    people = people_networks(state)
    for site in site_names:
        try:
            profile = profiles.get(store, site, start) if profiles is not None else None
            result = analyze_site(store, site, start, end, _campaigns(state, site, start), live=True,
                                  since=end - RECENT_SECONDS, profile=profile, detector=detector, people=people)
        except StoreError as exc:
            log.error("detection for site %s skipped: %s", site, exc)
            continue
        open_now = _open_incidents(state, site)
        surges_open = [o for o in open_now if o.get("verdict") not in OUTAGE_VERDICTS]
        for inc in result.incidents:
            inc = _merge_previous(inc, state, surges_open)
            prev = state.get_incident(inc.id)
            inc = settle(inc, prev)
            _store(state, inc, prev)
            found.append(inc)
        found += _close_blips(state, surges_open, {i.id for i in found}, end, since=end - RECENT_SECONDS)
        for o in result.outages:
            if o.end + BUCKET_SECONDS < end - RECENT_SECONDS and not o.open:
                continue
            inc = outage_incident(site, o)
            prev = state.get_incident(inc.id)
            if prev and prev.get("feedback"):
                inc.feedback = Incident.from_dict(prev).feedback
            _store(state, inc, prev)
            found.append(inc)
        for o, owner in result.absorbed:
            _close_absorbed(state, outage_id(site, o), owner.id)
    return found


def _close_blips(state: IncidentSink, surges_open: list[dict[str, Any]], seen: set[str], end: int,
                 since: int) -> list[Incident]:
    """Open surge incidents this run no longer finds, unseen for ``BLIP_GRACE`` seconds, are closed.

    A rise still going is kept while it lasts; once it ends, a rise that over no 5 minutes added
    the baseline's own volume (a send's first readers, a burst of a few visitors) is not a surge,
    and the analysis drops it. Its incident would otherwise stay open for good. So would one whose
    end the worker never saw (it was stopped): it is closed too, and says so. Returns them, so
    on-call hears they are resolved.
    """
    closed = []
    for old in surges_open:
        last = to_epoch(_parse(old["end"]))
        if old["id"] in seen or last + BLIP_GRACE > end:
            continue
        inc = Incident.from_dict(old)
        inc.status = "closed"
        if last >= since:
            inc.extra["blip"] = True
            inc.evidence.append(f"Ended at {clock(last)}: over no 5 minutes did it add the baseline's own volume, "
                                "so it was a blip, not a surge")
        else:
            inc.evidence.append(f"Closed unseen: last seen going on at {clock(last)}, its end was not watched "
                                "(detection was not running)")
        inc.updated_at = time.time()
        state.upsert(inc.to_dict())
        closed.append(inc)
    return closed


def _close_absorbed(state: IncidentSink, outage_id: str, owner_id: str) -> None:
    """An error burst stored alone before its surge showed is closed and points at the surge's incident."""
    prev = state.get_incident(outage_id)
    if not prev or prev.get("status") != "open":
        return
    inc = Incident.from_dict(prev)
    inc.status = "closed"
    inc.extra["part_of"] = owner_id
    inc.evidence.append(f"Part of the surge {owner_id}: see that incident")
    inc.updated_at = time.time()
    state.upsert(inc.to_dict())


def _store(state: IncidentSink, inc: Incident, prev: dict[str, Any] | None) -> None:
    data = inc.to_dict()
    if not _same(data, prev):
        state.upsert(data)
