"""Overview: live traffic by who sends it, the campaign calendar and open incidents, for everyone."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from pages import charts, queries
from pages.context import view

v = view()
st.title("Overview")

linked = st.query_params.get("incident")  # notifications link here with ?incident=<id>
if linked:
    found = queries.incident_frame(v.state, linked)
    if found.empty:
        st.warning(f"No incident {linked!r} in the state DB (it may have been removed by retention).")


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
              f"{delta:+.0%} vs the hour before" if delta is not None else None)
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
    for _, inc in open_incidents.head(5).iterrows():
        incident_card(inc, v.tz)


def incident_card(inc, tz: str, linked: bool = False) -> None:  # noqa: ANN001 - a row of queries.incidents_frame
    """Verdict, confidence and campaign in one line, the evidence, and the block suggestion to copy."""
    colour = {"campaign": "green", "organic": "blue", "bot": "red", "mixed": "orange", "errors": "red",
              "drop": "violet"}.get(inc["verdict"], "gray")
    conf = f" · confidence {inc['confidence']:.0%}" if inc["confidence"] is not None else ""
    camp = f" · {inc['campaign']}" if inc["campaign"] else ""
    looks = f" · looks like {inc['looks_like'].replace('_', ' ')}" if inc.get("looks_like") else ""
    peak = f" · peak {inc['peak_rps']:.1f} req/s" if inc.get("peak_rps") else ""
    with st.container(border=True):
        state = f" · {inc['status']}" if linked else ""
        st.markdown(f":{colour}[**{inc['verdict'].upper()}**] since "
                    f"{inc['start'].tz_convert(tz):%Y-%m-%d %H:%M:%S}{camp}{looks}{conf}{peak}{state}")
        if linked:
            st.caption(f"Incident {inc['id']}")
        fb = inc.get("feedback") or {}
        if fb.get("verdict") or fb.get("campaign"):
            said = " · ".join(x for x in (fb.get("verdict"), fb.get("campaign")) if x)
            st.info(f"On-call says **{said}**" + (f" ({fb['by']}: {fb['note']})" if fb.get("note") else ""))
        for line in inc["evidence"]:
            st.markdown(f"- {line}")
        block = inc.get("block") or {}
        if block.get("nginx"):
            with st.expander("Block suggestion (review before applying)"):
                st.code(block["nginx"], language="nginx")
                if block.get("cidrs"):
                    st.code("\n".join(block["cidrs"]), language="text")


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

st.subheader("Campaign calendar")
campaigns = queries.campaigns_frame(v.state, v.start - timedelta(days=1), v.end + timedelta(days=7))
if campaigns.empty:
    st.caption("No campaigns announced around this range.")
else:
    st.altair_chart(charts.calendar_chart(campaigns, tz=v.tz), width="stretch")
