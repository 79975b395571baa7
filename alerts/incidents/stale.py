"""A collector silent for longer than usual is a ``stale`` incident; it resolves when data flows again.

On-call must hear when data stops: a log file rotated away from the tail, a varnishncsa
that died, an expired API key. Each detection run reads the collectors' status rows
(``store.collector_status``, written by the worker after every poll) and upserts, through
the same incident sink as the surges, one incident per silence: its id is the site, the
start of the silence and the collector, so every run updates the same incident. When the
collector brings data again the incident is closed with the time the data came back.
What counts as unusual is learned from each collector's own gaps (see
``store.collector_status``).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from alerts.incidents.model import Incident, IncidentSink, clock
from store import collector_status as cs
from store.state import StateDB

STALE = "stale"
UPDATE_EVERY = 60.0  # seconds between stores of an open stale incident


def stale_id(site: str, collector: str, start: float) -> str:
    """The stable id of one silence of one collector."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", collector).strip("-")
    return f"{Incident.make_id(site, int(start))}-stale-{slug}"


def _incident(v: dict[str, Any], now: float) -> Incident:
    start = float(v["last_data_at"])
    site = v.get("site") or "default"
    evidence = [f"No data from {v['name']} since {clock(start)}: silent for {cs.say_duration(now - start)}, where "
                f"{cs.say_duration(v['usual_gap_seconds'] or 0)} between arrivals is usual (stale after "
                f"{cs.say_duration(v['stale_after_seconds'] or 0)})"]
    evidence += [f"Collector problem: {p}" for p in v.get("problems", [])[:3]]
    evidence.append("Check the collector on the Sources page: the log shipping, the file path or rotation, "
                    "the service or API it reads")
    return Incident(id=stale_id(site, v["name"], start), site=site, start=int(start), end=int(now), peak_rps=0.0,
                    baseline_rps=0.0, verdict=STALE, confidence=0.9, campaign=None, evidence=evidence,
                    updated_at=time.time(), status="open", detected_at=int(now), trigger=v["name"],
                    extra={"collector": v["name"], "stale_after": v["stale_after_seconds"]})


def _open_stale(state: Any) -> dict[str, dict[str, Any]]:
    lister = getattr(state, "list_incidents", None)
    found = lister(status="open", limit=1000) if lister else []
    return {str((d.get("extra") or {}).get("collector")): d for d in found if d.get("verdict") == STALE}


def check_stale(state: StateDB, now: datetime | float) -> list[Incident]:
    """Open, update or resolve the ``stale`` incidents of every collector; returns those that changed.

    An open incident is stored again at most once a minute while the silence lasts (its end moves on).
    """
    ts = now.timestamp() if isinstance(now, datetime) else float(now)
    views = cs.report(state, ts)["collectors"]
    opened = _open_stale(state)
    changed: list[Incident] = []
    for v in views:
        old = opened.get(v["name"])
        if v["state"] == "stale":
            inc = _incident(v, ts)
            if old and old["id"] != inc.id:  # a new silence while an old one was never resolved
                changed.append(_resolve(state, old, float(v["last_data_at"])))
            elif old and ts - float(old.get("end") or 0) < UPDATE_EVERY:
                continue
            elif old:
                inc.detected_at = int(old.get("detected_at") or inc.detected_at)
            state.upsert(inc.to_dict())
            changed.append(inc)
        elif old is not None and v["state"] == "not reporting":
            changed.append(_resolve(state, old, ts, "The collector no longer reports (the worker no longer runs it)"))
        elif old is not None and v.get("last_data_at") and float(v["last_data_at"]) > Incident.from_dict(old).start:
            back = float(v["last_data_at"])
            changed.append(_resolve(state, old, back,
                                    f"Data flows again since {datetime.fromtimestamp(back, UTC):%H:%M:%S} UTC"))
    return changed


def _resolve(state: IncidentSink, old: dict[str, Any], at: float, why: str = "A new silence began") -> Incident:
    inc = Incident.from_dict(old)
    inc.status = "closed"
    inc.end = int(at)
    inc.evidence.append(why)
    inc.updated_at = time.time()
    state.upsert(inc.to_dict())
    return inc
