"""What the Sources page shows, as data frames: the worker's status rows in, tables and series out.

Everything comes from the state DB (``store.collector_status``) and the store's own
reachability check; the page parses no log and calls no collector.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from store import collector_status as cs
from store.state import StateDB

STATE_ORDER = {"stale": 0, "not reporting": 1, "no data yet": 2, "learning": 3, "ok": 4}


def sources_report(state: StateDB, now: float) -> dict[str, Any]:
    """Every collector's view (stale ones first) and the worker's store row."""
    out = cs.report(state, now)
    out["collectors"].sort(key=lambda v: (STATE_ORDER.get(v["state"], 9), v["name"]))
    return out


def local_time(ts: float | None, tz: str) -> str:
    if ts is None:
        return "never"
    return pd.Timestamp(float(ts), unit="s", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d %H:%M:%S")


def rate_series(view: dict[str, Any], now: float) -> list[float]:
    """Lines (or points) per second in each 10 s slot of the last 15 minutes, oldest first, zeros filled."""
    slot = int(now) // cs.RATE_SLOT * cs.RATE_SLOT
    got = {int(t): n for t, n in view.get("rate") or []}
    return [got.get(t, 0) / cs.RATE_SLOT for t in range(slot - cs.RATE_SLOT * (cs.RATE_SLOTS - 1), slot + 1,
                                                         cs.RATE_SLOT)]


def rate_frame(view: dict[str, Any], now: float) -> pd.DataFrame:
    """The same series with its times (UTC), for a chart."""
    values = rate_series(view, now)
    slot = int(now) // cs.RATE_SLOT * cs.RATE_SLOT
    times = pd.to_datetime([slot - cs.RATE_SLOT * (len(values) - 1 - i) for i in range(len(values))], unit="s",
                           utc=True)
    return pd.DataFrame({"time": times, "per_second": values})


def collectors_frame(report: dict[str, Any], now: float, tz: str) -> pd.DataFrame:
    """One row per collector: state, last data, lag, rate (with its 15-minute series), counts."""
    rows = []
    for v in report["collectors"]:
        rows.append({"collector": v["name"], "state": v["state"], "last data": local_time(v["last_data_at"], tz),
                     "lag": cs.say_duration(v["lag_seconds"]), "per second": v["per_second"],
                     "last 15 min": rate_series(v, now), "parsed": v["parsed"], "late": v["late"],
                     "malformed": sum(v["malformed"].values()),
                     "stale after": cs.say_duration(v["stale_after_seconds"]) or "learning"})
    return pd.DataFrame(rows, columns=["collector", "state", "last data", "lag", "per second",
                                       "last 15 min", "parsed", "late", "malformed", "stale after"])


def reasons_frame(view: dict[str, Any]) -> pd.DataFrame:
    """Lines not counted as requests, by reason (late and each malformed one), with redacted samples."""
    rows = [{"reason": "late", "lines": view["late"], "samples": ""}] if view["late"] else []
    for reason, n in sorted(view["malformed"].items(), key=lambda kv: -kv[1]):
        rows.append({"reason": reason, "lines": n, "samples": "\n".join(view["samples"].get(reason, []))})
    return pd.DataFrame(rows, columns=["reason", "lines", "samples"])


def files_frame(view: dict[str, Any]) -> pd.DataFrame:
    """The files a collector follows: where it is in each, how far behind, and any problem."""
    rows = [{"file": f["path"], "offset": f["offset"], "size": f["size"],
             "behind (bytes)": None if f["size"] is None else max(0, f["size"] - f["offset"]),
             "problem": f.get("problem") or ""} for f in view["files"]]
    return pd.DataFrame(rows, columns=["file", "offset", "size", "behind (bytes)", "problem"])
