"""Campaigns: marketers announce, edit, cancel and import campaigns, see the calendar and how one went.

An announced campaign is what lets IT on-call tell its surge from an attack: its start, channel,
audience, regions, landing paths and utm_campaign are what the detector matches a surge against,
and the worker re-reads the calendar at every detection run. Times are entered and shown in the
dashboard's time zone and stored in UTC. Reads go through ``pages.campaign_queries``, changes
through ``pages.campaign_actions``; this module only lays them out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from auth.roles import Forbidden, Identity, Permission
from campaigns.model import Campaign, CampaignError, Channel, Status
from capacity.plan import money
from pages import campaign_actions as actions
from pages import campaign_charts, charts, queries
from pages import campaign_queries as cq
from pages.context import View, inside_app_frame, view
from pages.signin import allowed, plain
from pages.signin import who as signed_in
from store.base import StoreError

FLASH = "campaign_flash"
NEW = ""  # the campaign picker's "announce a new one"
SHORT_NOTICE = timedelta(hours=3)
HEADS_UP = ("Announce a campaign at least a few hours before the send: capacity planning then has time to size "
            "for it, and on-call knows the surge is yours from its first minute instead of treating it as an attack.")


def _flash() -> None:
    """Show (once) what the last submitted form did, and what to watch out for."""
    said = st.session_state.pop(FLASH, None)
    if said:
        st.success(said["done"])
        for warning in said.get("warnings", []):
            st.warning(warning)


def _fill(c: Campaign | None, tz: str) -> None:
    """Put a campaign's values in the form (``None``: the blank form of a new campaign)."""
    zone = ZoneInfo(tz)
    if c is None:
        start = (datetime.now(zone) + timedelta(hours=4)).replace(minute=0, second=0, microsecond=0)
        values = {"cp_name": "", "cp_channel": Channel.EMAIL.value, "cp_start_date": start.date(),
                  "cp_start_time": start.time(), "cp_end_date": None, "cp_end_time": None, "cp_audience": None,
                  "cp_regions": [], "cp_landing": "", "cp_utm": "", "cp_spend": None, "cp_currency": None,
                  "cp_status": Status.PLANNED.value}
    else:
        start, end = c.start.astimezone(zone), c.end.astimezone(zone) if c.end else None
        values = {"cp_name": c.name, "cp_channel": c.channel.value, "cp_start_date": start.date(),
                  "cp_start_time": start.time(), "cp_end_date": end.date() if end else None,
                  "cp_end_time": end.time() if end else None, "cp_audience": c.audience, "cp_regions": c.regions,
                  "cp_landing": ", ".join(c.landing), "cp_utm": c.utm_campaign or "", "cp_spend": c.spend,
                  "cp_currency": c.currency, "cp_status": c.status.value}
    st.session_state.update(values)


def _local(when: datetime, tz: str) -> str:
    return f"{pd.Timestamp(when).tz_convert(tz):%a %d %b %Y %H:%M} ({tz})"


def pick(v: View, now: datetime) -> Campaign | None:
    """The campaign being edited (picked above the form), or None for a new one."""
    found = {c.id: c for c in cq.editable(v.state, now)}
    options = [NEW, *found]
    if "cp_next" in st.session_state:  # what the last submitted form asked to show
        st.session_state["cp_pick"] = st.session_state.pop("cp_next")
        _fill(found.get(st.session_state["cp_pick"]), v.tz)
    if st.session_state.get("cp_pick") not in options:
        st.session_state["cp_pick"] = NEW
    labels = {i: f"{c.name} · {_local(c.start, v.tz)} · {c.status.value}" for i, c in found.items()}
    st.selectbox("Campaign", options, key="cp_pick", format_func=lambda i: labels.get(i, "➕ announce a new campaign"),
                 on_change=lambda: _fill(found.get(st.session_state["cp_pick"]), v.tz),
                 help="Pick an announced campaign to edit or cancel it.")
    if "cp_name" not in st.session_state:
        _fill(found.get(st.session_state["cp_pick"]), v.tz)
    return found.get(st.session_state["cp_pick"])


def announce_form(v: View, editing: Campaign | None, now: datetime, who: Identity) -> None:
    """Announce (or edit) a campaign; problems are listed under the form, each naming its field."""
    regions = list(dict.fromkeys([*cq.REGION_NAMES, *st.session_state.get("cp_regions", [])]))
    with st.form("campaign_announce"):
        st.markdown(f"**{'Edit ' + editing.name if editing else 'Announce a campaign'}**")
        c1, c2 = st.columns([3, 1])
        name = c1.text_input("Name", key="cp_name", placeholder="e.g. Spring Sale APAC")
        channel = c2.selectbox("Channel", [c.value for c in Channel], key="cp_channel")
        c1, c2, c3, c4 = st.columns(4)
        start_date = c1.date_input(f"Start date ({v.tz})", key="cp_start_date", format="YYYY-MM-DD")
        start_time = c2.time_input(f"Start time ({v.tz})", key="cp_start_time", step=timedelta(minutes=15))
        end_date = c3.date_input("End date (optional)", key="cp_end_date", format="YYYY-MM-DD")
        end_time = c4.time_input("End time (optional)", key="cp_end_time", step=timedelta(minutes=15))
        c1, c2 = st.columns([1, 3])
        audience = c1.number_input("Audience size", key="cp_audience", min_value=0, step=1000,
                                   help="How many people receive or see it.")
        chosen = c2.multiselect("Regions", regions, key="cp_regions", format_func=cq.region_label,
                                placeholder="every region", help="Countries of the audience (ISO 3166-1 codes).")
        c1, c2 = st.columns(2)
        landing = c1.text_input("Landing paths", key="cp_landing", placeholder="e.g. /spring-sale, /spring-sale/jp",
                                help="Where its links land, separated by commas.")
        utm = c2.text_input("utm_campaign", key="cp_utm", placeholder="e.g. spring_sale",
                            help="The utm_campaign its links carry.")
        c1, c2, c3 = st.columns([2, 1, 1])
        spend = c1.number_input("Spend", key="cp_spend", min_value=0.0, step=100.0)
        currency = c2.selectbox("Currency", cq.CURRENCIES, key="cp_currency", index=None, placeholder="choose")
        status = c3.selectbox("Status", [s.value for s in Status], key="cp_status")
        owner = editing.owner if editing and editing.owner else who.name
        st.caption(f"Owner: {plain(owner)} · recorded as {plain(who.audit_name)}")
        submitted = st.form_submit_button("Save campaign" if editing else "Announce campaign", type="primary")
    if not submitted:
        return
    form = actions.CampaignForm(
        name=name, start_date=start_date, start_time=start_time, owner=owner, channel=channel, end_date=end_date,
        end_time=end_time, audience=None if audience is None else int(audience), regions=chosen, landing=landing,
        utm_campaign=utm, spend=spend, currency=currency, status=status,
        site=editing.site if editing else v.settings.site, id=editing.id if editing else "")
    try:
        campaign, created = actions.save(v.state, form, v.tz, user=who)
    except actions.FormError as exc:
        st.error("The campaign was not saved:\n\n" + "\n".join(f"- {p}" for p in exc.problems))
        return
    except Forbidden as exc:
        st.error(f"The campaign was not saved: {plain(str(exc))}.")
        return
    warnings = _overlap_warnings(v, campaign)
    if campaign.status == Status.PLANNED and campaign.start - now < SHORT_NOTICE:
        when = "already started" if campaign.start <= now else f"starts in {_ago(campaign.start - now)}"
        warnings.append(f"It {when}. {HEADS_UP}")
    st.session_state[FLASH] = {
        "done": f"{'Announced' if created else 'Saved'} **{campaign.name}**: starts {_local(campaign.start, v.tz)}, "
                f"{campaign.start:%Y-%m-%d %H:%M} UTC. IT on-call sees it from the next detection run.",
        "warnings": warnings}
    _show_next(NEW if created else campaign.id)
    st.rerun()


def _show_next(campaign_id: str) -> None:
    """After this run, open this campaign in the form (NEW: a blank form); widgets cannot change once drawn."""
    st.session_state["cp_next"] = campaign_id


def _overlap_warnings(v: View, campaign: Campaign) -> list[str]:
    return [f"**{campaign.name}** overlaps **{o.name}** ({_local(o.start, v.tz)}, {cq.shared_regions(campaign, o)}) "
            "on the same site: IT will see one bigger surge of both." for o in cq.overlapping(v.state, campaign)]


def _ago(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def cancel_form(v: View, editing: Campaign, who: Identity) -> None:
    if editing.status == Status.CANCELLED:
        st.caption(f"{editing.name} is cancelled; set its status back to planned above to announce it again.")
        return
    with st.form("campaign_cancel"):
        st.markdown(f"**Cancel {editing.name}**: detection stops expecting its surge.")
        submitted = st.form_submit_button("Cancel this campaign")
    if not submitted:
        return
    try:
        actions.cancel(v.state, editing.id, user=who)
    except (actions.FormError, Forbidden) as exc:
        st.error(plain(str(exc)))
        return
    st.session_state[FLASH] = {"done": f"Cancelled **{editing.name}** (by {plain(who.audit_name)}). "
                                       "IT no longer expects its surge."}
    _show_next(editing.id)
    st.rerun()


def import_section(v: View, who: Identity) -> None:
    """Upload a JSON, CSV or ICS file: preview its rows, the bad ones with their message, import the good ones."""
    st.download_button("Download the CSV template", cq.template_csv(), file_name="campaigns-template.csv",
                       mime="text/csv", help="Every column of the schema and one example row; lists separated by ;")
    st.caption("Times in files are ISO 8601 with a time zone (e.g. 2026-03-01T09:00:00Z or +09:00); lists "
               "(regions, landing) separated by `;`; ICS events carry X-SURGEWATCH-<FIELD> properties.")
    if not allowed(who, Permission.CAMPAIGNS):
        return
    n = st.session_state.setdefault("cp_upload_n", 0)
    upload = st.file_uploader("Campaign file", type=["json", "csv", "ics"], key=f"cp_upload_{n}")
    if upload is None:
        return
    try:
        rows = actions.read_upload(upload.name, upload.getvalue())
    except CampaignError as exc:
        st.error(str(exc))
        return
    good = [r for r in rows if isinstance(r, Campaign)]
    bad = [r for r in rows if isinstance(r, CampaignError)]
    st.markdown(f"**{upload.name}**: {len(good)} campaign(s) to import, {len(bad)} row(s) with a problem.")
    for problem in bad:
        st.error(f"Not imported: {problem}")
    if not good:
        return
    _calendar_table(cq.calendar_table(good, v.tz), v.tz, key="cp_preview")
    with st.form("campaign_import"):
        submitted = st.form_submit_button(f"Import {len(good)} campaign(s)", type="primary")
    if not submitted:
        return
    try:
        done = actions.import_rows(v.state, rows, user=who)
    except (actions.FormError, Forbidden) as exc:
        st.error(plain(str(exc)))
        return
    st.session_state["cp_upload_n"] = n + 1  # a fresh uploader: the file is done
    skipped = f"; {len(bad)} bad row(s) skipped" if bad else ""
    warnings = [w for cid in done.created for w in _overlap_warnings(v, v.state.get_campaign(cid))]
    st.session_state[FLASH] = {"done": f"{upload.name}: {done.summary()}{skipped}. IT on-call sees them from the "
                                       "next detection run.", "warnings": warnings}
    st.rerun()


def _calendar_table(table: pd.DataFrame, tz: str, *, key: str) -> None:
    """The calendar rows; a campaign without an end reads "–" (Streamlit would print None)."""
    ends = [f"{t:%Y-%m-%d %H:%M}" if pd.notna(t) else "–" for t in table["end"]]
    st.dataframe(table.assign(end=ends), hide_index=True, width="stretch", key=key, column_config={
        "start": st.column_config.DatetimeColumn(f"start ({tz})", format="YYYY-MM-DD HH:mm"),
        "end": st.column_config.TextColumn(f"end ({tz})", help="No end set: the calendar assumes 6 hours."),
        "audience": st.column_config.NumberColumn(format="localized")})


def calendar_section(v: View, now: datetime) -> None:
    """The campaigns of a window as a timeline and a table, with ICS/JSON/CSV exports."""
    label = st.selectbox("Window", list(cq.WINDOWS), key="cp_window")
    start, end = cq.calendar_window(label, now)
    found = cq.campaigns_in(v.state, start, end)
    if not found:
        st.info(f"No campaign in the {label}. Announce one in the first tab or import a file.")
        return
    frame = queries.campaigns_frame(v.state, start, end)
    st.altair_chart(charts.calendar_chart(frame, tz=v.tz, now=pd.Timestamp(now)), width="stretch")
    _calendar_table(cq.calendar_table(found, v.tz), v.tz, key="cp_calendar")
    cols = st.columns(len(cq.EXPORTS))
    for col, (fmt, (mime, filename)) in zip(cols, cq.EXPORTS.items(), strict=True):
        col.download_button(f"Export {fmt.upper()}", cq.export_text(found, fmt), file_name=filename, mime=mime,
                            key=f"cp_export_{fmt}", width="stretch")
    st.caption("The ICS file opens in Google Calendar, Outlook or Apple Calendar; JSON and CSV are the forms "
               "`./surgewatch campaigns import` reads back.")


def results_part(v: View, c: Campaign, now: datetime) -> None:
    """Visits and leads from the campaign's link, over the usual, what each lead cost, forecast against actual."""
    try:
        r = cq.results(v.store, v.state, c, v.settings.capacity, now)
    except StoreError as exc:
        st.error(plain(f"The store could not be read for this campaign's results ({exc}); check that it is "
                       "reachable."))
        return
    d = r.as_dict()
    cost = d["cost"]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Visits from its link", f"{d['attributed']['visits']:,}")
    m2.metric("Leads", f"{d['attributed']['conversions']:,}",
              help="Visits that began on the campaign's link and reached a conversion page.")
    m3.metric("During, not attributed", f"{d['during_not_attributed']:,}",
              help="Conversions while it ran of visits that did not begin on its link.")
    m4.metric("Total cost per lead", money(cost["per_lead"]["total"]["actual"], cost["currency"], digits=3))
    st.text(d["incremental"]["plain"])
    if d["mailchimp"]:
        m = d["mailchimp"]
        st.text(f"Mailchimp counted {m['sent']:,} sent, {m['opens']:,} opens and {m['clicks']:,} clicks (the "
                "sender's own numbers, beside the site's visits and leads above).")
    chart = campaign_charts.results_chart(r.series, v.tz)
    st.altair_chart(chart, width="stretch")
    st.dataframe(cq.results_table(r), hide_index=True, width="stretch")
    for note in [*r.notes, *r.costs.notes]:
        st.caption(plain(note))
    left, right = st.columns(2)
    left.download_button("Download the series (CSV)", r.csv(), file_name=f"{c.id}-results.csv", mime="text/csv",
                         key="cp_results_csv", width="stretch")
    try:
        png = campaign_charts.results_png(chart)
    except Exception as exc:  # noqa: BLE001 - the PNG is an extra: the page stays up without it
        right.caption(plain(f"No PNG of the chart ({type(exc).__name__})."))
    else:
        right.download_button("Download the chart (PNG)", png, file_name=f"{c.id}-results.png", mime="image/png",
                              key="cp_results_png", width="stretch")


def review_section(v: View, now: datetime) -> None:
    """How a past campaign went: traffic by who sent it around its start, and how IT judged its surge."""
    done = cq.past(v.state, now)
    if not done:
        st.info("No campaign has started in the last 90 days.")
        return
    by_id = {c.id: c for c in done}
    chosen = st.selectbox("Campaign", list(by_id), key="cp_review",
                          format_func=lambda i: f"{by_id[i].name} · {_local(by_id[i].start, v.tz)}")
    c = by_id[chosen]
    results_part(v, c, now)
    traffic = cq.traffic_around(v.store, c, now)
    linked = cq.linked_incidents(v.state, c)
    start, end = cq.aftermath_window(c, now)
    if traffic.empty:
        st.info(f"No traffic stored between {_local(start, v.tz)} and {_local(end, v.tz)} (older than the store's "
                "retention, or no collector ran).")
    else:
        marker = queries.campaigns_frame(v.state, start, end)
        marker = marker[marker["id"] == c.id]
        st.altair_chart(charts.traffic_chart(traffic, campaigns=marker, incidents=linked, tz=v.tz),
                        width="stretch")
        st.markdown("**Requests per second, the hour before the start against the two hours after**")
        table = cq.before_after(traffic, c.start)
        table["change"] = [f"×{x:.1f}" if pd.notna(x) else "new" if after > 0 else ""
                           for x, after in zip(table["change"], table["after req/s"], strict=True)]
        st.dataframe(table, hide_index=True, column_config={
            "before req/s": st.column_config.NumberColumn(format="%.1f"),
            "after req/s": st.column_config.NumberColumn(format="%.1f")})
    st.markdown(f"**How IT judged it**: {cq.judgement(linked, c.name)}")
    if linked.empty:
        return
    shown = linked.assign(start=linked["start"].dt.tz_convert(v.tz).dt.tz_localize(None),
                          incident=[f"incidents?incident={quote(i, safe='')}" for i in linked["id"]])
    st.dataframe(shown[["start", "verdict", "confidence", "on-call says", "peak_rps", "status", "incident"]],
                 hide_index=True, width="stretch", column_config={
                     "start": st.column_config.DatetimeColumn(f"start ({v.tz})", format="YYYY-MM-DD HH:mm"),
                     "incident": st.column_config.LinkColumn("incident", display_text="open on the Incidents page",
                                                             help="Its evidence, traffic and block suggestion."),
                     "confidence": st.column_config.NumberColumn(format="percent"),
                     "peak_rps": st.column_config.NumberColumn("peak req/s", format="%.1f")})


inside_app_frame()
v = view()
who = signed_in()
now = datetime.now(UTC)
st.title("Campaigns")
st.caption("Announce your campaigns so IT on-call can tell your surge from an attack: its start, channel, "
           "audience, regions, landing paths and utm_campaign are what a surge is matched against.")
_flash()
announce, upload, calendar, review = st.tabs(["Announce", "Import a file", "Calendar", "How did it go"])
with announce:
    if allowed(who, Permission.CAMPAIGNS):
        st.info(HEADS_UP, icon="⏰")
        editing = pick(v, now)
        announce_form(v, editing, now, who)
        if editing:
            cancel_form(v, editing, who)
with upload:
    import_section(v, who)
with calendar:
    calendar_section(v, now)
with review:
    review_section(v, now)
