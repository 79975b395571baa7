"""The small query functions pages read through: store and state DB in, data frames out.

Pages never parse logs or call collectors; everything they show comes from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from campaigns.model import Campaign
from store.base import TimeSeriesStore
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
    """Requests per second over time (columns time, [by], rps, requests), whole buckets only.

    The bucket still filling up at ``end`` and the one cut by ``start`` are left out: their rate,
    over a full bucket's width, would read as a sudden drop at the chart's edges.
    """
    every = resolution_for(end - start)
    df = query_auto(store, "http", start, end, every=every, fields=["requests"],
                    where={"site": site} if site else None, group_by=[by] if by else [])
    if not df.empty:
        t = pd.to_datetime(df["time"], utc=True)
        df = df[(t >= pd.Timestamp(start)) & (t + pd.Timedelta(seconds=every) <= pd.Timestamp(end))]
        df = df.reset_index(drop=True)
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


ASSUMED_LENGTH = timedelta(hours=6)  # how long a campaign without an end is expected to bring traffic


def campaign_end(c: Campaign) -> datetime:
    """When a campaign's traffic is expected to be over: its end, else start + 6 h (as the calendar draws it)."""
    return c.end or c.start + ASSUMED_LENGTH


def campaigns_frame(state: StateDB, start: datetime, end: datetime, *, site: str | None = None) -> pd.DataFrame:
    """Campaigns overlapping [start, end) as a frame for the calendar (end defaults to start + 6 h)."""
    rows = []
    for c in state.list_campaigns(site=site, since=start - timedelta(days=7), until=end):
        c_end = campaign_end(c)
        if c_end < start:
            continue
        rows.append(_campaign_row(c, c_end))
    cols = ["id", "name", "channel", "start", "end", "regions", "audience", "status", "owner", "utm_campaign",
            "landing", "site"]
    return pd.DataFrame(rows, columns=cols)


def _campaign_row(c: Campaign, end: datetime) -> dict:
    return {"id": c.id, "name": c.name, "channel": c.channel.value, "start": pd.Timestamp(c.start),
            "end": pd.Timestamp(end), "regions": ", ".join(c.regions) or "all", "audience": c.audience,
            "status": c.status.value, "owner": c.owner, "utm_campaign": c.utm_campaign or "",
            "landing": ", ".join(c.landing), "site": c.site}


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


def campaign_incidents_frame(state: StateDB, campaign: str, since: datetime) -> pd.DataFrame:
    """Incidents since a time that the detector or on-call tied to the campaign of this name."""
    found = state.list_incidents(since=since, limit=1000)
    return _incident_rows([inc for inc in found
                           if campaign in (inc.get("campaign"), (inc.get("feedback") or {}).get("campaign"))])


def _incident_rows(incidents: list[dict]) -> pd.DataFrame:
    rows = []
    for inc in incidents:
        rows.append({
            "id": inc["id"], "site": inc.get("site") or "default", "start": _when(inc["start"]),
            "end": _when(inc.get("end")),
            "verdict": inc.get("verdict", "unknown"), "confidence": inc.get("confidence"),
            "campaign": inc.get("campaign"), "peak_rps": inc.get("peak_rps"), "status": inc.get("status", "open"),
            "evidence": inc.get("evidence", []), "block": inc.get("block") or {},
            "looks_like": inc.get("looks_like"), "baseline_rps": inc.get("baseline_rps"),
            "feedback": inc.get("feedback") or {}, "trigger": inc.get("trigger"),
        })
    cols = ["id", "site", "start", "end", "verdict", "confidence", "campaign", "peak_rps", "status", "evidence",
            "block", "looks_like", "baseline_rps", "feedback", "trigger"]
    df = pd.DataFrame(rows, columns=cols)
    for col in ("campaign", "looks_like", "trigger"):  # None stays None (a string column would turn it into NaN)
        df[col] = pd.Series([r[col] or None for r in rows], index=df.index, dtype=object)
    return df


def incident_table(incidents: pd.DataFrame, *, now: datetime, tz: str) -> pd.DataFrame:
    """The incident list as on-call reads it: newest first, times in ``tz``, duration, peak against baseline."""
    rows = []
    for _, inc in incidents.sort_values("start", ascending=False).iterrows():
        end = inc["end"] if pd.notna(inc["end"]) else pd.Timestamp(now)
        fb = inc["feedback"] or {}
        said = " · ".join(x for x in (fb.get("verdict"), fb.get("campaign")) if x)
        rows.append({
            "id": inc["id"], "verdict": inc["verdict"], "confidence": inc["confidence"],
            "campaign": inc["campaign"] or (f"looks like {inc['looks_like'].replace('_', ' ')}"
                                            if inc["looks_like"] else ""),
            "on-call says": said, "start": inc["start"].tz_convert(tz).tz_localize(None),
            "duration (min)": max((end - inc["start"]).total_seconds(), 0) / 60,
            "peak req/s": inc["peak_rps"], "baseline req/s": inc["baseline_rps"], "status": inc["status"],
        })
    cols = ["id", "verdict", "confidence", "campaign", "on-call says", "start", "duration (min)", "peak req/s",
            "baseline req/s", "status"]
    return pd.DataFrame(rows, columns=cols)


def incident_window(inc: pd.Series, now: datetime) -> tuple[datetime, datetime]:
    """The span a chart of an incident shows: 30 min before its start to 15 min after its end (or now)."""
    now_ts = pd.Timestamp(now)
    end = inc["end"] if pd.notna(inc["end"]) and inc["status"] != "open" else now_ts
    stop = max(min(end + timedelta(minutes=15), now_ts), end)
    return (inc["start"] - timedelta(minutes=30)).to_pydatetime(), stop.to_pydatetime()


def incident_history_frame(state: StateDB, incident_id: str) -> pd.DataFrame:
    """How the verdict moved: one row per change of verdict or confidence (time, verdict, confidence, campaign)."""
    rows: list[dict] = []
    for at, data in state.incident_history(incident_id):
        row = {"time": pd.Timestamp(at), "verdict": data.get("verdict", "unknown"),
               "confidence": data.get("confidence"), "campaign": data.get("campaign")}
        if rows and all(rows[-1][k] == row[k] for k in ("verdict", "confidence", "campaign")):
            continue
        rows.append(row)
    return pd.DataFrame(rows, columns=["time", "verdict", "confidence", "campaign"])


def verdict_turns(moves: pd.DataFrame) -> pd.DataFrame:
    """The rows of a verdict history where the verdict or the campaign changed (the first always)."""
    key = moves["verdict"].astype(str) + "|" + moves["campaign"].fillna("").astype(str)
    return moves[key.ne(key.shift())].reset_index(drop=True)


def incident_labels(inc: pd.Series) -> dict[str, str]:
    """The labels notifications of this incident carry, which silences match against."""
    from alerts.notify.alertmanager import ALERTNAME
    from alerts.notify.message import severity

    return {"alertname": ALERTNAME, "site": inc["site"], "verdict": inc["verdict"],
            "severity": severity(inc["verdict"]), "incident": inc["id"]}


def silences_for(state: StateDB, labels: dict[str, str], at: datetime | None = None) -> pd.DataFrame:
    """Silences in force that match these labels (matchers, until, by, comment)."""
    rows = [{"id": s["id"], "matches": ", ".join(f"{k}={v}" for k, v in sorted(s["matchers"].items())),
             "until": pd.Timestamp(s["ends"]), "by": s["created_by"], "comment": s["comment"]}
            for s in state.active_silences(at) if all(labels.get(k) == v for k, v in s["matchers"].items())]
    return pd.DataFrame(rows, columns=["id", "matches", "until", "by", "comment"])


def campaign_names(state: StateDB, around: datetime, *, site: str | None = None) -> list[str]:
    """Names of campaigns announced from 14 days before to 1 day after a time, nearest first."""
    found = state.list_campaigns(site=site, since=around - timedelta(days=14), until=around + timedelta(days=1))
    found.sort(key=lambda c: abs((c.start - around).total_seconds()))
    return list(dict.fromkeys(c.name for c in found))
