"""Is the time-series store reachable, and how much waits in its spool: for the Sources page and command.

InfluxDB answers ``GET /ping`` with 204 when it is up (no credentials needed); the embedded
store is reachable when its file can be read. Never raises: a failure is the answer.
"""

from __future__ import annotations

from typing import Any

import httpx

from store.base import TimeSeriesStore

PING_TIMEOUT = 3.0


def store_health(store: TimeSeriesStore, at: float) -> dict[str, Any]:
    """``backend``, ``reachable`` (bool), ``error`` (str or None), ``spool_points``, ``checked_at``."""
    out: dict[str, Any] = {"backend": store.name, "reachable": True, "error": None, "spool_points": 0,
                           "checked_at": at}
    depth = getattr(store, "spool_depth", None)
    if callable(depth):
        try:
            out["spool_points"] = int(depth())
        except Exception as exc:  # noqa: BLE001 - a broken spool is reported, not raised
            out["error"] = f"cannot read the spool: {exc}"
    url = getattr(store, "url", None)
    if store.name == "influxdb" and url:
        out["url"] = url
        try:
            r = httpx.get(f"{url}/ping", timeout=PING_TIMEOUT)
            out["reachable"] = r.status_code in (200, 204)
            if not out["reachable"]:
                out["error"] = f"InfluxDB at {url} answered HTTP {r.status_code} to /ping"
        except httpx.HTTPError as exc:
            out["reachable"] = False
            out["error"] = f"InfluxDB at {url} is unreachable ({exc}); check it is running and the URL"
    return out
