"""The small query functions pages read through: store and state DB in, data frames out.

Pages never parse logs or call collectors; everything they show comes from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from store.base import TimeSeriesStore
from store.campaigns import Campaign
from store.rollup import query_auto
from store.state import StateDB


def resolution_for(span: timedelta) -> int:
    """A bucket width giving a readable chart (~100-400 points) for a time span."""
    seconds = span.total_seconds()
    for width in (10, 60, 300, 900, 3600, 21600, 86400):
        if seconds / width <= 400:
            return width
    return 86400


def traffic(
    store: TimeSeriesStore, start: datetime, end: datetime, *, by: str | None = "actor", site: str | None = None
) -> pd.DataFrame:
    """Requests per second over time (columns time, [by], rps, requests)."""
    every = resolution_for(end - start)
    df = query_auto(store, "http", start, end, every=every, fields=["requests"],
                    where={"site": site} if site else None, group_by=[by] if by else [])
    df["rps"] = df["requests"] / every
    return df


def totals(store: TimeSeriesStore, start: datetime, end: datetime, *, site: str | None = None) -> dict[str, float]:
    """Requests, bytes and the request rate over [start, end)."""
    df = store.query("http", start, end, fields=["requests", "bytes"], where={"site": site} if site else None)
    seconds = max((end - start).total_seconds(), 1)
    requests = float(df["requests"].sum()) if not df.empty else 0.0
    return {"requests": requests, "bytes": float(df["bytes"].sum()) if not df.empty else 0.0,
            "rps": requests / seconds}


def top(store: TimeSeriesStore, start: datetime, end: datetime, dim: str, *, n: int = 10,
        site: str | None = None) -> pd.DataFrame:
    """The top values of one dimension of ``http`` by requests, with their share."""
    df = store.query("http", start, end, fields=["requests"], group_by=[dim], where={"site": site} if site else None)
    if df.empty:
        return pd.DataFrame({dim: [], "requests": [], "share": []})
    df = df.groupby(dim, as_index=False)["requests"].sum().sort_values("requests", ascending=False)
    df["share"] = df["requests"] / df["requests"].sum()
    return df.head(n).reset_index(drop=True)


def campaigns_frame(state: StateDB, start: datetime, end: datetime, *, site: str | None = None) -> pd.DataFrame:
    """Campaigns overlapping [start, end) as a frame for the calendar (end defaults to start + 6 h)."""
    rows = []
    for c in state.list_campaigns(site=site, since=start - timedelta(days=7), until=end):
        c_end = c.end or c.start + timedelta(hours=6)
        if c_end < start:
            continue
        rows.append(_campaign_row(c, c_end))
    cols = ["id", "name", "channel", "start", "end", "regions", "audience", "status", "owner"]
    return pd.DataFrame(rows, columns=cols)


def _campaign_row(c: Campaign, end: datetime) -> dict:
    return {"id": c.id, "name": c.name, "channel": c.channel.value, "start": pd.Timestamp(c.start),
            "end": pd.Timestamp(end), "regions": ", ".join(c.regions) or "all", "audience": c.audience,
            "status": c.status.value, "owner": c.owner}


def _when(value: object) -> pd.Timestamp:
    """An incident time (epoch seconds or ISO 8601) as a UTC timestamp; NaT when absent."""
    if value is None or value == "":
        return pd.NaT
    if isinstance(value, (int, float)):
        return pd.Timestamp(value, unit="s", tz="UTC")
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def incidents_frame(state: StateDB, since: datetime, *, site: str | None = None) -> pd.DataFrame:
    return _incident_rows(state.list_incidents(site=site, since=since))


def incident_frame(state: StateDB, incident_id: str) -> pd.DataFrame:
    """The one incident with this id (a notification's link), whatever its time; empty when unknown."""
    found = state.get_incident(incident_id)
    return _incident_rows([found] if found else [])


def _incident_rows(incidents: list[dict]) -> pd.DataFrame:
    rows = []
    for inc in incidents:
        rows.append({
            "id": inc["id"], "start": _when(inc["start"]), "end": _when(inc.get("end")),
            "verdict": inc.get("verdict", "unknown"), "confidence": inc.get("confidence"),
            "campaign": inc.get("campaign"), "peak_rps": inc.get("peak_rps"), "status": inc.get("status", "open"),
            "evidence": inc.get("evidence", []), "block": inc.get("block") or {},
            "looks_like": inc.get("looks_like"), "baseline_rps": inc.get("baseline_rps"),
            "feedback": inc.get("feedback") or {},
        })
    cols = ["id", "start", "end", "verdict", "confidence", "campaign", "peak_rps", "status", "evidence", "block",
            "looks_like", "baseline_rps", "feedback"]
    return pd.DataFrame(rows, columns=cols)
