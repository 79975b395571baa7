"""Incidents: what on-call opens when paged — the range's incidents, and one incident in detail.

The detail answers "block it or not?" at a glance: the verdict and how sure, traffic by who sends
it around the incident against the baseline, the evidence, the block suggestion to download, how
the verdict moved; then on-call corrects the verdict or links a campaign, or silences notifications.
``?incident=<id>`` (the link notifications carry) opens that incident, closed or out of range.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from alerts.feedback.oncall import FeedbackError, correct
from alerts.feedback.silences import SilenceError, add
from alerts.incidents.model import VERDICTS
from auth.roles import Forbidden, Identity, Permission
from pages import charts, queries
from pages.context import View, inside_app_frame, view
from pages.incident_card import block_suggestion, evidence, oncall_says, verdict_badge
from pages.signin import allowed
from pages.signin import who as signed_in
from pages.text import md, quoted

DOTS = {"campaign": "🟢", "organic": "🔵", "bot": "🔴", "mixed": "🟠", "errors": "🔴", "drop": "🟣"}
SILENCE_SPANS = {"30m": "30 min", "1h": "1 h", "4h": "4 h", "24h": "24 h"}


def _flash() -> None:
    """Show (once) what the last submitted form did."""
    said = st.session_state.pop("incident_flash", None)
    if said:
        st.success(said)


def _pick(table: pd.DataFrame, linked: str | None) -> str | None:
    """The incident to show: the table's selected row, the URL's ?incident=, else the newest open one (what
    on-call was paged for), else the newest."""
    options = list(table["id"])
    if linked and linked not in options:
        options.insert(0, linked)
    if not options:
        return None
    if linked:
        st.session_state["incident_pick"] = linked
    elif st.session_state.get("incident_pick") not in options:
        still_open = table.loc[table["status"] == "open", "id"]
        st.session_state["incident_pick"] = still_open.iloc[0] if not still_open.empty else options[0]
    labels = {r["id"]: " · ".join(x for x in (f"{r['start']:%d %b %H:%M}", r["verdict"], r["campaign"], r["status"])
                                  if x) for _, r in table.iterrows()}
    st.selectbox("Open incident", options, key="incident_pick", format_func=lambda i: labels.get(i, i),
                 on_change=lambda: st.query_params.update(incident=st.session_state["incident_pick"]))
    return st.session_state["incident_pick"]


def incident_list(v: View) -> pd.DataFrame:
    """Filters and the table of the range's incidents, newest first; a selected row opens its detail."""
    incidents = queries.incidents_frame(v.state, v.start)
    c1, c2 = st.columns(2)
    status = c1.multiselect("Status", ["open", "closed"], placeholder="open and closed")
    verdicts = c2.multiselect("Verdict", list(dict.fromkeys([*VERDICTS, *incidents["verdict"]])),
                              placeholder="every verdict")
    if status:
        incidents = incidents[incidents["status"].isin(status)]
    if verdicts:
        incidents = incidents[incidents["verdict"].isin(verdicts)]
    table = queries.incident_table(incidents, now=v.end, tz=v.tz)
    if table.empty:
        st.info("No incidents in this range" + (" with these filters." if status or verdicts else
                                                  ". Widen the time range in the sidebar to see older ones."))
        return table
    shown = table.assign(verdict=[f"{DOTS.get(x, '⚪')} {x}" for x in table["verdict"]])

    def row_selected() -> None:
        rows = st.session_state["incident_table"].selection.rows
        if rows:
            st.query_params["incident"] = table["id"].iloc[rows[0]]

    st.dataframe(shown, hide_index=True, width="stretch", key="incident_table", on_select=row_selected,
                 selection_mode="single-row", column_order=[*table.columns[1:], "id"], column_config={
                     "confidence": st.column_config.NumberColumn(format="percent"),
                     "start": st.column_config.DatetimeColumn(f"start ({v.tz})", format="YYYY-MM-DD HH:mm:ss"),
                     "duration (min)": st.column_config.NumberColumn(format="%.0f"),
                     "peak req/s": st.column_config.NumberColumn(format="%.1f"),
                     "baseline req/s": st.column_config.NumberColumn(format="%.1f")})
    return table


def header(inc: pd.Series, tz: str) -> None:
    conf = f" · confidence **{inc['confidence']:.0%}**" if pd.notna(inc["confidence"]) else ""
    camp = f" · campaign **{md(inc['campaign'])}**" if inc["campaign"] else ""
    looks = f" · looks like {md(inc['looks_like'].replace('_', ' '))}" if inc["looks_like"] and not camp else ""
    start = inc["start"].tz_convert(tz)
    end = f"{inc['end'].tz_convert(tz):%H:%M:%S}" if pd.notna(inc["end"]) and inc["status"] != "open" else "now"
    peak = f" · peak **{inc['peak_rps']:.1f}** req/s" if pd.notna(inc["peak_rps"]) else ""
    if peak and pd.notna(inc["baseline_rps"]) and inc["baseline_rps"]:
        peak += f" vs baseline {inc['baseline_rps']:.1f} (×{inc['peak_rps'] / inc['baseline_rps']:.1f})"
    st.markdown(f"### {verdict_badge(inc['verdict'])}{conf}{camp}{looks}")
    st.markdown(f"**{md(inc['status'])}** · {start:%Y-%m-%d %H:%M:%S} – {end} ({md(tz)}){peak} · site "
                f"{md(inc['site'])} · incident {md(inc['id'])}")


def traffic(v: View, inc: pd.Series) -> None:
    start, end = queries.incident_window(inc, v.end)
    # An errors incident is about answers: requests by status class, failing ones at the bottom.
    by = "status" if inc["verdict"] == "errors" else "actor"
    df = queries.traffic(v.store, start, end, by=by, site=inc["site"])
    if df.empty:
        shown = [pd.Timestamp(t).tz_convert(v.tz) for t in (start, end)]
        st.info(f"No traffic of site {md(inc['site'])} stored between {shown[0]:%d %b %H:%M} and {shown[1]:%H:%M} "
                f"({v.tz}) (older than the store's retention, or the collector was down).")
        return
    failing = str(inc.get("trigger") or "") if by == "status" else ""
    st.altair_chart(charts.incident_chart(df, start=inc["start"], end=inc["end"] if inc["status"] != "open" else None,
                                          baseline_rps=inc["baseline_rps"], verdict=inc["verdict"], tz=v.tz, by=by,
                                          baseline_label=_failing_label(failing) if failing else None),
                    width="stretch")


def _failing_label(trigger: str) -> str:
    """What an errors incident's baseline counts: ``status=5xx`` -> "5xx answers"."""
    dim, _, value = trigger.partition("=")
    return f"{value} answers" if dim == "status" else f"failing {trigger}"


def history(v: View, inc: pd.Series) -> None:
    moves = queries.incident_history_frame(v.state, inc["id"])
    st.markdown("**How the verdict moved**")
    if len(moves) < 2:
        st.caption("The verdict has not changed since the incident opened.")
        return
    st.altair_chart(charts.verdict_history_chart(moves, tz=v.tz), width="stretch")
    turns = queries.verdict_turns(moves)
    st.dataframe(turns.assign(time=turns["time"].dt.tz_convert(v.tz).dt.tz_localize(None)), hide_index=True,
                 width="stretch", column_config={"confidence": st.column_config.NumberColumn(format="percent"),
                                                 "time": st.column_config.DatetimeColumn(f"time ({v.tz})",
                                                                                         format="HH:mm:ss")})


def feedback_form(v: View, inc: pd.Series, who: Identity) -> None:
    """Correct the verdict and/or link a campaign, through ``alerts.feedback.oncall.correct`` (stored and audited)."""
    st.markdown("**The verdict is wrong / link a campaign**")
    if not allowed(who, Permission.INCIDENTS):
        return
    with st.form("incident_feedback"):
        verdict = st.selectbox("Verdict is wrong → it is", VERDICTS, index=None, key="fb_verdict",
                               placeholder="keep the detector's verdict")
        campaign = st.selectbox("Link to campaign", queries.campaign_names(v.state, inc["start"].to_pydatetime()),
                                index=None, key="fb_campaign", accept_new_options=True,
                                placeholder="announced campaigns (or type an id)")
        note = st.text_input("Note", key="fb_note", placeholder="why, for the next person")
        if not st.form_submit_button("Record correction", type="primary"):
            return
    if verdict is None and not campaign:
        st.warning("Choose the right verdict, a campaign to link, or both.")
        return
    try:
        done = correct(v.state, inc["id"], user=who, verdict=verdict, campaign=campaign or None, comment=note)
    except (FeedbackError, Forbidden) as exc:
        st.error(md(exc))
        return
    said = " · ".join(x for x in (verdict, campaign and done.final_campaign) if x)
    st.session_state["incident_flash"] = f"Recorded: on-call says {md(said)} (by {md(who.audit_name)})."
    for key in ("fb_verdict", "fb_campaign", "fb_note"):
        del st.session_state[key]
    st.rerun()


def silence_form(v: View, inc: pd.Series, who: Identity) -> None:
    """Hold back notifications of this incident, or of this site and verdict, for a while."""
    since = f"{inc['start'].tz_convert(v.tz):%d %b %H:%M}"
    scopes = {"incident": f"this incident only ({inc['verdict']} since {since})",
              "verdict": f"every {inc['verdict']} incident of {inc['site']}"}
    st.markdown("**Silence notifications**")
    if allowed(who, Permission.SILENCES):
        _silence_form(v, inc, scopes, who)
    found = queries.silences_for(v.state, queries.incident_labels(inc))
    if found.empty:
        st.caption("No silence in force for this incident.")
    else:
        st.dataframe(found.assign(until=found["until"].dt.tz_convert(v.tz).dt.tz_localize(None)), hide_index=True,
                     width="stretch", column_config={"until": st.column_config.DatetimeColumn(format="HH:mm")})


def _silence_form(v: View, inc: pd.Series, scopes: dict[str, str], who: Identity) -> None:
    with st.form("incident_silence"):
        scope = st.radio("Of", list(scopes), format_func=lambda s: md(scopes[s]), key="si_scope", horizontal=True)
        span = st.radio("For", list(SILENCE_SPANS), format_func=SILENCE_SPANS.get, key="si_span", horizontal=True)
        note = st.text_input("Note", key="si_note", placeholder="why")
        submitted = st.form_submit_button("Silence")
    if not submitted:
        return
    matchers = ([f"incident={inc['id']}"] if scope == "incident"
                else [f"site={inc['site']}", f"verdict={inc['verdict']}"])
    try:
        sid, _, ends = add(v.state, matchers, span, user=who, comment=note)
    except (SilenceError, Forbidden) as exc:
        st.error(md(exc))
        return
    st.session_state["incident_flash"] = (f"Silence {md(sid)}: {md(scopes[scope])} until "
                                          f"{pd.Timestamp(ends).tz_convert(v.tz):%H:%M} ({v.tz}).")
    st.rerun()


def detail(v: View, inc: pd.Series, who: Identity) -> None:
    with st.container(border=True):
        header(inc, v.tz)
        oncall_says(inc)
        traffic(v, inc)
        left, right = st.columns([3, 2], gap="large")
        with left:
            st.markdown("**Evidence**")
            evidence(inc)
            block_suggestion(inc, downloads=True, expanded=True)
        with right:
            history(v, inc)
    left, right = st.columns(2, gap="large")
    with left:
        feedback_form(v, inc, who)
    with right:
        silence_form(v, inc, who)


inside_app_frame()
v = view()
who = signed_in()
st.title("Incidents")
_flash()
linked = st.query_params.get("incident")
if linked and queries.incident_frame(v.state, linked).empty:
    st.warning(f"No incident {quoted(linked)} in the state DB (it may have been removed by retention).")
    linked = None
table = incident_list(v)
chosen = _pick(table, linked)
if chosen:
    found = queries.incident_frame(v.state, chosen)
    if not found.empty:
        detail(v, found.iloc[0], who)
