"""Overview: live traffic by who sends it, the campaign calendar and open incidents, for everyone."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from pages import charts, queries
from pages.context import view
from pages.incident_card import incident_card
from pages.text import quoted
from pages.upcoming_queries import coming_table, upcoming

v = view()
st.title("Overview")

linked = st.query_params.get("incident")  # notifications link here with ?incident=<id>
if linked:
    found = queries.incident_frame(v.state, linked)
    if found.empty:
        st.warning(f"No incident {quoted(linked)} in the state DB (it may have been removed by retention).")


@st.fragment(run_every=v.settings.dashboard.refresh_seconds)
def live() -> None:
    v = view()
    now_totals = queries.totals(v.store, v.end - timedelta(minutes=5), v.end)
    before = queries.totals(v.store, v.end - timedelta(minutes=65), v.end - timedelta(minutes=5))
    incidents = queries.incidents_frame(v.state, v.start)
    open_incidents = incidents[incidents["status"] == "open"] if not incidents.empty else incidents
    c1, c2, c3 = st.columns(3)
    delta = (now_totals["rps"] / before["rps"] - 1) if before["rps"] else None
    c1.metric("Requests / s (last 5 min)", f"{now_totals['rps']:.1f}",
              f"{delta:+.0%} vs the hour before" if delta is not None else None,
              delta_color="off")  # more traffic is neither good nor bad until the verdict says whose it is
    c2.metric("Requests in range", f"{queries.totals(v.store, v.start, v.end)['requests']:,.0f}")
    c3.metric("Open incidents", len(open_incidents))
    traffic = queries.traffic(v.store, v.start, v.end, by="actor")
    campaigns = queries.campaigns_frame(v.state, v.start, v.end)
    if traffic.empty:
        st.info("No traffic in this range yet. Is the worker running and a collector configured? "
                "See the README, Configuration.")
    else:
        st.altair_chart(charts.traffic_chart(traffic, campaigns=campaigns, incidents=incidents, tz=v.tz),
                        width="stretch")
        st.caption("Shaded: incidents, in their verdict's colour (green campaign, blue organic, red bot, orange "
                   "mixed); dashed lines: campaign sends. Drag to pan, scroll to zoom in on a spike.")
    for _, inc in open_incidents.head(5).iterrows():
        incident_card(inc, v.tz)


if linked and not found.empty:
    st.subheader("Linked incident")
    incident_card(found.iloc[0], v.tz, linked=True)

live()

st.subheader("Last 15 minutes")
recent = v.end - timedelta(minutes=15)
cols = st.columns(3)
for col, (dim, title) in zip(cols, (("country", "Countries"), ("referrer", "Referrers"),
                                    ("client", "Clients")), strict=True):
    df = queries.top(v.store, recent, v.end, dim, n=8)
    col.markdown(f"**{title}**")
    if df.empty:
        col.caption("no requests")
    else:
        col.altair_chart(charts.share_bars(df, dim, title=""), width="stretch")

st.subheader("Coming up")
coming = upcoming(v.store, v.state, v.settings.capacity, v.end, hours=48, tz=v.tz)
if coming.empty:
    st.caption("No campaign announced for the next 48 hours.")
else:
    st.caption("Announced campaigns of the next 48 hours: their surge is expected, and the fleet may need "
               "scaling first (details on the Capacity page).")
    st.dataframe(coming_table(coming, v.tz), hide_index=True, width="stretch")

st.subheader("Campaign calendar")
campaigns = queries.campaigns_frame(v.state, v.start - timedelta(days=1), v.end + timedelta(days=7))
if campaigns.empty:
    st.caption("No campaigns announced around this range.")
else:
    st.altair_chart(charts.calendar_chart(campaigns, tz=v.tz, now=pd.Timestamp(v.end)), width="stretch")
