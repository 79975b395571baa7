"""Surgewatch dashboard (Streamlit): one shared view of traffic spikes and campaigns.

Run with ``./surgewatch dashboard`` (or ``streamlit run app.py``). Sections per audience:
on-call checking a spike, marketers announcing campaigns, capacity planning. Every visitor is
signed in (or anonymous, when sign-in is off) before any page runs; see ``pages.signin``.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Surgewatch", page_icon="📈", layout="wide")

from pages import signin  # noqa: E402  (after set_page_config)
from pages.context import sidebar  # noqa: E402

PAGES = {
    "Live": [st.Page("pages/overview.py", title="Overview", icon="📈", default=True),
             st.Page("pages/incidents.py", title="Incidents", icon="🚨"),
             st.Page("pages/sources.py", title="Sources", icon="📡")],
    "Marketing": [st.Page("pages/campaigns.py", title="Campaigns", icon="📣")],
    "Plan": [st.Page("pages/capacity.py", title="Capacity", icon="🧮")],
}

who = signin.gate()  # the sign-in, and nothing else, until the visitor is signed in
if signin.manages_users(who):
    PAGES["Admin"] = [st.Page("pages/users.py", title="Users", icon="👥")]
navigation = st.navigation(PAGES)
sidebar()
signin.sidebar(who)
navigation.run()
