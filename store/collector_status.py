"""Each collector's status as the worker last saw it, kept in the state DB; and what it says to on-call.

The worker writes one row per collector (``collectors.status``) and one for the store
(``name = "store"``: backend, reachability, spool backlog). The Sources page, the
``sources`` command and the ``stale`` incidents (``alerts.incidents.stale``) read them here; none of
them parses a log or calls a collector.

Whether a silence is unusual is learned per collector from the gaps between the polls
that brought data: a histogram of gap lengths in powers of two (1 s, 2 s, 4 s ... ~12
days), older gaps fading with a one-day half-life. A collector is stale once it has been
silent for three times its 99th-percentile gap, and never sooner than ``STALE_FLOOR``
seconds (nor three polls). Until ``MIN_GAPS`` gaps are known nothing is called stale: a
collector that never brought data has its problems listed instead. A row the worker has not
refreshed for ``REPORT_TIMEOUT`` seconds is "not reporting": the worker is stopped, or no
longer runs that collector.
"""

from __future__ import annotations

import json
import math
from typing import Any

from store.state import StateDB

STORE_ROW = "store"
GAP_BINS = 21                 # bin k holds gaps in (2^(k-1), 2^k] seconds; the last one everything longer
HALF_LIFE = 86_400.0          # seconds for an old gap to count half
MIN_GAPS = 20                 # gaps seen before a silence can be called unusual
STALE_FLOOR = 120.0           # never stale sooner than this many seconds of silence
STALE_FACTOR = 3.0            # silent for this many times the usual (99th-percentile) gap
USUAL_QUANTILE = 0.99
REPORT_TIMEOUT = 300.0       # a row the worker has not refreshed for this long: the collector is not running
RATE_SLOT = 10                # seconds per slot of the lines/s history
RATE_SLOTS = 90               # 15 minutes of history


# -- the table ---------------------------------------------------------------------------------
def put_status(state: StateDB, name: str, kind: str, data: dict[str, Any], at: float) -> None:
    """Replace the status row of ``name``."""
    with state._tx() as db:  # noqa: SLF001 - the state DB's own transaction, from its package
        db.execute("INSERT INTO collector_status(name, kind, data, updated_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, data = excluded.data,"
                   " updated_at = excluded.updated_at", (name, kind, json.dumps(data, default=str), int(at)))


def statuses(state: StateDB) -> list[dict[str, Any]]:
    """Every stored status, the store's row included, by name."""
    rows = state._all("SELECT name, kind, data, updated_at FROM collector_status ORDER BY name")  # noqa: SLF001
    out = []
    for name, kind, data, at in rows:
        try:
            d = json.loads(data)
        except ValueError:
            d = {}
        d = d if isinstance(d, dict) else {}
        out.append({"updated_at": at, **d, "name": name, "kind": kind})
    return out


def get_status(state: StateDB, name: str) -> dict[str, Any] | None:
    return next((s for s in statuses(state) if s["name"] == name), None)


# -- gaps: what silence is usual --------------------------------------------------------------
def gap_bin(gap: float) -> int:
    """The histogram bin of a gap of ``gap`` seconds."""
    return min(GAP_BINS - 1, max(0, math.ceil(math.log2(max(gap, 1.0)))))


def record_gap(hist: dict[str, Any] | None, gap: float, now: float) -> dict[str, Any]:
    """The histogram with one more gap, older ones faded to ``now``."""
    hist = dict(hist or {})
    counts = list(hist.get("counts") or [0.0] * GAP_BINS)[:GAP_BINS]
    counts += [0.0] * (GAP_BINS - len(counts))
    at = float(hist.get("at", now))
    if now > at:
        fade = 0.5 ** ((now - at) / HALF_LIFE)
        counts = [c * fade for c in counts]
    counts[gap_bin(gap)] += 1.0
    return {"counts": [round(c, 4) for c in counts], "at": now, "seen": int(hist.get("seen", 0)) + 1}


def usual_gap(hist: dict[str, Any] | None) -> float | None:
    """The 99th-percentile gap (upper edge of its bin, seconds); None until ``MIN_GAPS`` gaps were seen."""
    if not hist or int(hist.get("seen", 0)) < MIN_GAPS:
        return None
    counts = hist.get("counts") or []
    total = sum(counts)
    if total <= 0:
        return None
    run = 0.0
    for k, c in enumerate(counts):
        run += c
        if run >= USUAL_QUANTILE * total:
            return float(2 ** k)
    return float(2 ** (len(counts) - 1))


def stale_after(hist: dict[str, Any] | None, poll_every: float = 0.0) -> float | None:
    """Seconds of silence after which the collector is stale; None while its usual gaps are not known."""
    usual = usual_gap(hist)
    if usual is None:
        return None
    return max(STALE_FLOOR, 3 * poll_every, STALE_FACTOR * usual)


# -- lines/s history ------------------------------------------------------------------------
def add_rate(rate: list[list[float]] | None, now: float, n: int) -> list[list[float]]:
    """The 10 s slots of what was read (lines or points), with ``n`` more now; the last 15 minutes only."""
    slot = int(now) // RATE_SLOT * RATE_SLOT
    out = [list(r) for r in (rate or []) if r[0] > slot - RATE_SLOT * RATE_SLOTS]
    if out and out[-1][0] == slot:
        out[-1][1] += n
    else:
        out.append([slot, n])
    return out


def per_second(rate: list[list[float]] | None, now: float, seconds: int = 60) -> float:
    """What was read per second over the last ``seconds`` (whole slots before the one filling now)."""
    slot = int(now) // RATE_SLOT * RATE_SLOT
    got = sum(n for t, n in (rate or []) if slot - seconds <= t < slot)
    return got / seconds


# -- what on-call reads ---------------------------------------------------------------------
def say_duration(seconds: float | None) -> str:
    """A duration as people say it: ``45 s``, ``12 min``, ``3.5 h``, ``4.2 days`` ("" for None)."""
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


def view(status: dict[str, Any], now: float) -> dict[str, Any]:
    """One collector's status as shown: last data, lag, silence, lines/s, stale or not."""
    last = status.get("last_data_at")
    newest = status.get("newest_data")
    silent = now - float(last) if last is not None else None
    limit = stale_after(status.get("gaps"), float(status.get("poll_every") or 0))
    updated = status.get("updated_at")
    if updated is None or now - float(updated) > REPORT_TIMEOUT:
        condition = "not reporting"  # the worker is stopped, or no longer runs this collector
    elif last is None:
        condition = "no data yet"
    elif limit is None:
        condition = "learning"
    elif silent is not None and silent > limit:
        condition = "stale"
    else:
        condition = "ok"
    return {
        "name": status["name"], "kind": status.get("kind", ""), "site": status.get("site", ""),
        "state": condition, "last_data_at": last, "newest_data": newest,
        "lag_seconds": round(now - float(newest), 1) if newest is not None else
        (round(silent, 1) if silent is not None else None),
        "silent_seconds": round(silent, 1) if silent is not None else None,
        "stale_after_seconds": limit, "usual_gap_seconds": usual_gap(status.get("gaps")),
        "per_second": round(per_second(status.get("rate"), now), 3), "unit": status.get("unit", "lines"),
        "lines": int(status.get("lines", 0)), "parsed": int(status.get("parsed", 0)),
        "late": int(status.get("late", 0)), "malformed": dict(status.get("malformed") or {}),
        "samples": {k: list(v) for k, v in (status.get("samples") or {}).items()},
        "points_written": int(status.get("points_written", 0)),
        "files": list(status.get("files") or []), "problems": list(status.get("problems") or []),
        "errors": dict(status.get("errors") or {}), "rate": list(status.get("rate") or []),
        "updated_at": status.get("updated_at"),
    }


def report(state: StateDB, now: float) -> dict[str, Any]:
    """Every collector's view and the store's row (None before the worker wrote one)."""
    rows = statuses(state)
    store = next((r for r in rows if r["name"] == STORE_ROW), None)
    return {"collectors": [view(r, now) for r in rows if r["name"] != STORE_ROW], "store": store}
