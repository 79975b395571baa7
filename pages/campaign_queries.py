"""What the Campaigns page reads: the calendar, overlapping campaigns, and how a past campaign went.

Plain functions over the store and state DB (data frames and campaigns out), so tests call them
without Streamlit. Times stay UTC here; tables for people are converted to the dashboard's time zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pycountry

from campaigns.files import campaigns_to_csv, campaigns_to_ics, campaigns_to_json
from campaigns.model import Campaign, Status
from capacity.results import Results, report
from capacity.results_rows import rows
from capacity.settings import CapacitySettings
from pages import queries
from pages.queries import campaign_end
from store.base import TimeSeriesStore
from store.state import StateDB

WINDOWS = {"last 7 days and next 14": (7, 14), "last 30 days and next 30": (30, 30),
           "last 90 days and next 90": (90, 90), "next 30 days": (0, 30)}
REGION_NAMES = dict(sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda kv: kv[1]))
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF", "CNY", "KRW", "AUD", "CAD", "SEK", "INR", "BRL")
CURRENCIES = list(dict.fromkeys([*COMMON_CURRENCIES, *sorted(c.alpha_3 for c in pycountry.currencies)]))
EXPORTS = {"ics": ("text/calendar", "campaigns.ics"), "json": ("application/json", "campaigns.json"),
           "csv": ("text/csv", "campaigns.csv")}
TABLE_COLUMNS = ["id", "name", "channel", "start", "end", "audience", "regions", "utm_campaign", "landing", "owner",
                 "status", "site"]


def region_label(code: str) -> str:
    """``JP · Japan`` for a country code (the code alone when it is not an ISO 3166-1 country)."""
    name = REGION_NAMES.get(code)
    return f"{code} · {name}" if name else code


def campaigns_in(state: StateDB, start: datetime, end: datetime, *, site: str | None = None) -> list[Campaign]:
    """Campaigns whose span overlaps [start, end), oldest start first."""
    found = state.list_campaigns(site=site, since=start - timedelta(days=30), until=end)
    return [c for c in found if campaign_end(c) >= start]


def calendar_window(label: str, now: datetime) -> tuple[datetime, datetime]:
    """The span a calendar window label stands for, around now."""
    back, ahead = WINDOWS.get(label, WINDOWS["last 7 days and next 14"])
    return now - timedelta(days=back), now + timedelta(days=ahead)


def calendar_table(campaigns: list[Campaign], tz: str) -> pd.DataFrame:
    """The calendar as marketers read it: start and end in ``tz`` (no end: blank), regions and paths joined."""
    rows = [{"id": c.id, "name": c.name, "channel": c.channel.value,
             "start": pd.Timestamp(c.start).tz_convert(tz).tz_localize(None),
             "end": pd.Timestamp(c.end).tz_convert(tz).tz_localize(None) if c.end else pd.NaT,
             "audience": c.audience, "regions": ", ".join(c.regions) or "all", "utm_campaign": c.utm_campaign or "",
             "landing": ", ".join(c.landing), "owner": c.owner, "status": c.status.value, "site": c.site}
            for c in campaigns]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def export_text(campaigns: list[Campaign], fmt: str) -> str:
    """The campaigns in an export format (ics, json or csv): what ``campaigns import`` reads back."""
    writers = {"ics": campaigns_to_ics, "json": campaigns_to_json, "csv": campaigns_to_csv}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}; use ics, json or csv")
    return writers[fmt](campaigns)


def template_csv() -> str:
    """A CSV to fill in: every column of the schema and one example row showing each field's form."""
    example = Campaign(name="Spring Sale APAC", channel="email", start=datetime.fromisoformat("2026-03-01T09:00:00Z"),
                       end=datetime.fromisoformat("2026-03-01T21:00:00Z"), audience=1_000_000, regions=["JP", "KR"],
                       landing=["/spring-sale"], utm_campaign="spring_sale", spend=12000, currency="EUR",
                       owner="your name", site="default")
    return campaigns_to_csv([example])


def editable(state: StateDB, now: datetime, *, site: str | None = None) -> list[Campaign]:
    """Campaigns one may still edit or cancel: started in the last 30 days or upcoming, newest start first."""
    found = state.list_campaigns(site=site, since=now - timedelta(days=30))
    return sorted(found, key=lambda c: c.start, reverse=True)


def _same_site(a: str, b: str) -> bool:
    return a == b or "default" in (a, b)  # "default" campaigns are matched to every site, as detection does


def overlapping(state: StateDB, campaign: Campaign) -> list[Campaign]:
    """Other live campaigns on the same site whose span and regions overlap this one's (all regions: any)."""
    start, end = campaign.start, campaign_end(campaign)
    out = []
    for other in state.list_campaigns(since=start - timedelta(days=30), until=end):
        if other.id == campaign.id or other.status == Status.CANCELLED or not _same_site(other.site, campaign.site):
            continue
        if campaign_end(other) <= start:
            continue
        if campaign.regions and other.regions and not set(campaign.regions) & set(other.regions):
            continue
        out.append(other)
    return out


def shared_regions(a: Campaign, b: Campaign) -> str:
    """The regions two overlapping campaigns share, in words."""
    if not a.regions or not b.regions:
        return "all regions" if not (a.regions or b.regions) else ", ".join(a.regions or b.regions)
    return ", ".join(sorted(set(a.regions) & set(b.regions)))


def past(state: StateDB, now: datetime, *, site: str | None = None, days: int = 90) -> list[Campaign]:
    """Campaigns that have started (in the last ``days``), the most recent first."""
    found = state.list_campaigns(site=site, since=now - timedelta(days=days), until=now)
    return sorted(found, key=lambda c: c.start, reverse=True)


def aftermath_window(c: Campaign, now: datetime) -> tuple[datetime, datetime]:
    """The span "how did it go" shows: 1 h before the start to 1 h after its expected end, at most now."""
    return c.start - timedelta(hours=1), min(campaign_end(c) + timedelta(hours=1), now)


def traffic_around(store: TimeSeriesStore, c: Campaign, now: datetime) -> pd.DataFrame:
    """Requests per second by who sends them around a campaign's start (columns time, actor, rps, requests)."""
    start, end = aftermath_window(c, now)
    return queries.traffic(store, start, end, by="actor", site=None if c.site == "default" else c.site)


def before_after(traffic: pd.DataFrame, start: datetime, *, after: timedelta = timedelta(hours=2)) -> pd.DataFrame:
    """Mean requests/s per actor in the hour before the start and in the ``after`` span from it, and the ratio."""
    cols = ["actor", "before req/s", "after req/s", "change"]
    if traffic.empty:
        return pd.DataFrame(columns=cols)
    t = pd.Timestamp(start)
    times = pd.to_datetime(traffic["time"], utc=True)
    rows = []
    for actor, part in traffic.groupby("actor"):
        span = times.loc[part.index]
        before = part.loc[(span >= t - timedelta(hours=1)) & (span < t), "requests"].sum() / 3600
        seen_after = min(after, max(times.max() + timedelta(seconds=1) - t, timedelta(seconds=1)))
        later = part.loc[(span >= t) & (span < t + after), "requests"].sum() / seen_after.total_seconds()
        rows.append({"actor": actor, "before req/s": before, "after req/s": later,
                     "change": later / before if before else float("nan")})
    return pd.DataFrame(rows, columns=cols).sort_values("after req/s", ascending=False).reset_index(drop=True)


def linked_incidents(state: StateDB, c: Campaign) -> pd.DataFrame:
    """Incidents the detector or on-call tied to this campaign (by name), newest first, with on-call's word."""
    frame = queries.campaign_incidents_frame(state, c.name, c.start - timedelta(hours=1))
    said = [" · ".join(x for x in ((fb or {}).get("verdict"), (fb or {}).get("campaign")) if x)
            for fb in frame["feedback"]]
    judged = [(fb or {}).get("verdict") or verdict for fb, verdict in zip(frame["feedback"], frame["verdict"],
                                                                          strict=True)]
    return frame.assign(**{"on-call says": said, "judged": judged})


def judgement(linked: pd.DataFrame, name: str) -> str:
    """How IT judged a campaign's surges, in one sentence (on-call's correction over the detector's verdict)."""
    if linked.empty:
        return (f"No incident is tied to {name}: its surge stayed under the spike threshold, or the detector did not "
                "match it to the campaign (on-call can link it on the Incidents page).")
    counts = linked["judged"].value_counts()
    words = {"campaign": "as this campaign's people", "mixed": "as mixed: the campaign's people and automated "
             "traffic together", "bot": "as a bot attack", "organic": "as organic traffic",
             "errors": "as errors answered to visitors", "drop": "as a drop in traffic"}
    parts = [f"{n} {words.get(str(v), f'as {v}')}" for v, n in counts.items()]
    return f"IT judged {len(linked)} surge(s) tied to {name}: " + "; ".join(parts) + "."


def results(store: TimeSeriesStore, state: StateDB, c: Campaign, settings: CapacitySettings,
            now: datetime) -> Results:
    """How the campaign went, exactly as ``surgewatch report`` says it (``capacity.results.report``)."""
    return report(store, state, c, settings, now=now)


def results_table(r: Results) -> pd.DataFrame:
    """The report's lines (what, value), as the command's table shows them."""
    return pd.DataFrame(rows(r), columns=["what", "value"])
