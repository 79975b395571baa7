"""What every page shares: settings, the store and state DB (opened once per process), and the sidebar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import streamlit as st

from config import Settings, load_settings
from pages.text import md
from store.base import TimeSeriesStore
from store.settings import open_store
from store.state import StateDB

RANGES = {"15 minutes": timedelta(minutes=15), "1 hour": timedelta(hours=1), "3 hours": timedelta(hours=3),
          "12 hours": timedelta(hours=12), "24 hours": timedelta(days=1), "7 days": timedelta(days=7)}


@dataclass
class View:
    settings: Settings
    store: TimeSeriesStore
    state: StateDB
    start: datetime
    end: datetime
    tz: str


@st.cache_resource
def _resources() -> tuple[Settings, TimeSeriesStore, StateDB]:
    settings = load_settings()
    return settings, open_store(settings.store, readonly=True), StateDB(settings.state.path)


def view() -> View:
    """The shared resources and the time range chosen in the sidebar."""
    settings, store, state = _resources()
    label = st.session_state.get("range", "3 hours")
    end = datetime.now(UTC)
    return View(settings, store, state, end - RANGES.get(label, timedelta(hours=3)), end,
                settings.dashboard.timezone)


def sidebar() -> None:
    st.sidebar.selectbox("Time range", list(RANGES), index=2, key="range")
    settings, store, _ = _resources()
    st.sidebar.caption(f"Site **{md(settings.site)}** · store **{md(store.name)}** · times in "
                       f"{md(settings.dashboard.timezone)}")


def inside_app_frame() -> None:
    """Run the page through app.py even when a fresh server's first visitor opens its URL directly.

    Until some run of app.py has called ``st.navigation``, Streamlit treats a ``pages/`` folder as
    old-style multipage pages and runs the page's file alone (no sidebar, no layout); rerunning once
    after clearing that flag runs app.py, which opens the page. Once per session, so a rerun
    never swallows a form's submission.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not st.session_state.get("app_frame_checked"):
        st.session_state["app_frame_checked"] = True
        PagesManager.uses_pages_directory = False
        st.rerun()
