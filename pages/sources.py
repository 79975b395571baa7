"""Sources: is data flowing? Every collector's last data, lag, lines/s, malformed lines and files; the store.

For on-call and IT. Everything comes from what the worker records after each poll
(``pages.sources_queries``); every stored string (collector names, paths, samples,
problems) is shown as text, never as Markdown.
"""

from __future__ import annotations

import time

import streamlit as st

from pages import sources_charts, sources_queries
from pages.context import inside_app_frame, view
from pages.text import md, table
from store.collector_status import say_duration

inside_app_frame()
v = view()
st.title("Sources")
st.caption("Is data flowing? What each collector last read, how fast, what it could not read, and whether the "
           "store takes the data. A collector silent for longer than usual raises a stale incident.")

STATE_ICONS = {"ok": "🟢", "learning": "🔵", "no data yet": "⚪", "stale": "🔴", "not reporting": "⚫"}


def _store(report: dict, tz: str) -> None:
    s = report["store"]
    c1, c2, c3 = st.columns(3)
    stale = sum(1 for c in report["collectors"] if c["state"] == "stale")
    c1.metric("Collectors", len(report["collectors"]), f"{stale} stale" if stale else None, delta_color="inverse")
    if s is None:
        c2.metric("Store", "unknown")
        st.info("The worker has not reported yet. Is `surgewatch worker` running?")
        return
    c2.metric(f"Store ({md(s.get('backend', '?'))})", "reachable" if s.get("reachable") else "unreachable")
    c3.metric("Spool backlog (points)", f"{int(s.get('spool_points', 0)):,}")
    st.text(f"Store as the worker saw it at {sources_queries.local_time(s.get('checked_at'), tz)} ({tz}); "
            "lines and samples below are counted since the worker started.")
    if s.get("error"):
        st.text(f"Store problem: {s['error']}")


def _collector(c: dict, now: float, tz: str) -> None:
    with st.container(border=True):
        st.text(f"{STATE_ICONS.get(c['state'], '')} {c['name']} · {c['state']}")
        left, right = st.columns([2, 3])
        with left:
            st.text(f"last data: {sources_queries.local_time(c['last_data_at'], tz)} ({tz})\n"
                    f"lag: {say_duration(c['lag_seconds']) or 'unknown'}\n"
                    f"{c['per_second']:.1f} {c['unit']}/s over the last minute")
            for p in c["problems"]:
                st.text(f"⚠ {p}")
        with right:
            st.altair_chart(sources_charts.rate_sparkline(sources_queries.rate_frame(c, now), unit=c["unit"], tz=tz),
                            width="stretch")
        # st.table: readable and copyable (paths, samples); its cells are Markdown, so every text is escaped
        files = sources_queries.files_frame(c)
        if not files.empty:
            st.table(table(files.set_index("file")))
        reasons = sources_queries.reasons_frame(c).rename(columns={"samples": "samples (redacted)"})
        if not reasons.empty:
            st.table(table(reasons.set_index("reason")))


@st.fragment(run_every=v.settings.dashboard.refresh_seconds)
def live() -> None:
    v = view()
    now = time.time()
    report = sources_queries.sources_report(v.state, now)
    _store(report, v.tz)
    if not report["collectors"]:
        st.info("No collector has reported yet. Configure one under [collectors.*] and start the worker "
                "(see the README, Configuration).")
        return
    table = sources_queries.collectors_frame(report, now, v.tz)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "last 15 min": st.column_config.LineChartColumn("last 15 min (per s)", y_min=0),
        "per second": st.column_config.NumberColumn(format="%.1f")})
    for c in report["collectors"]:
        _collector(c, now, v.tz)


live()
