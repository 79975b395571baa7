"""How one incident reads on any page: the verdict line, on-call's word, the evidence and the block suggestion.

Shared by the Overview (a card per open incident) and the Incidents page (the detail of one).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.text import md

VERDICT_MARKDOWN_COLORS = {"campaign": "green", "organic": "blue", "bot": "red", "mixed": "orange", "errors": "red",
                           "drop": "violet"}


def verdict_badge(verdict: str) -> str:
    """The verdict in capitals and in its colour (Streamlit markdown; a stored verdict is escaped)."""
    return f":{VERDICT_MARKDOWN_COLORS.get(verdict, 'gray')}[**{md(str(verdict).upper())}**]"


def headline(inc: pd.Series, tz: str, *, with_status: bool = False) -> str:
    """Verdict, start, campaign or look-alike, confidence and peak in one line (Markdown; stored strings escaped)."""
    conf = f" · confidence {inc['confidence']:.0%}" if pd.notna(inc["confidence"]) else ""
    camp = f" · {md(inc['campaign'])}" if inc["campaign"] else ""
    looks = f" · looks like {md(inc['looks_like'].replace('_', ' '))}" if inc.get("looks_like") else ""
    peak = f" · peak {inc['peak_rps']:.1f} req/s" if inc.get("peak_rps") else ""
    state = f" · {md(inc['status'])}" if with_status else ""
    return (f"{verdict_badge(inc['verdict'])} since {inc['start'].tz_convert(tz):%Y-%m-%d %H:%M:%S} ({tz})"
            f"{camp}{looks}{conf}{peak}{state}")


def oncall_says(inc: pd.Series) -> None:
    """On-call's correction, when there is one."""
    fb = inc.get("feedback") or {}
    if fb.get("verdict") or fb.get("campaign"):
        said = " · ".join(x for x in (fb.get("verdict"), fb.get("campaign")) if x)
        by = f" ({md(fb.get('by', ''))}: {md(fb['note'])})" if fb.get("note") else (
            f" ({md(fb['by'])})" if fb.get("by") else "")
        st.info(f"On-call says **{md(said)}**{by}")


def evidence(inc: pd.Series) -> None:
    for line in inc["evidence"]:
        st.markdown(f"- {md(line)}")


def block_suggestion(inc: pd.Series, *, downloads: bool = False, expanded: bool = False) -> None:
    """The nginx snippet and CIDR list to copy (and download), to review before applying; long lists scroll."""
    block = inc.get("block") or {}
    if not block.get("nginx"):
        return
    cidrs = "\n".join(block.get("cidrs") or [])
    n = len(block.get("cidrs") or [])
    with st.expander(f"Block suggestion: {n} network{'s' if n != 1 else ''} (review before applying)",
                     expanded=expanded):
        height = 260 if n > 12 else "content"
        c1, c2 = st.columns([3, 2]) if cidrs else (st.container(), None)
        c1.code(block["nginx"], language="nginx", height=height)
        if c2 is not None:
            c2.code(cidrs, language="text", height=height)
        if downloads:
            c1.download_button("Download nginx snippet", block["nginx"] + "\n", f"block-{inc['id']}.conf",
                               mime="text/plain", key=f"dl_nginx_{inc['id']}")
            if c2 is not None:
                c2.download_button("Download CIDR list", cidrs + "\n", f"block-{inc['id']}.txt",
                                   mime="text/plain", key=f"dl_cidrs_{inc['id']}")


def incident_card(inc: pd.Series, tz: str, linked: bool = False) -> None:
    """Verdict, confidence and campaign in one line, the evidence, and the block suggestion to copy."""
    with st.container(border=True):
        st.markdown(headline(inc, tz, with_status=linked))
        if linked:
            st.caption(f"Incident {md(inc['id'])}")
        oncall_says(inc)
        evidence(inc)
        block_suggestion(inc)
        st.page_link("pages/incidents.py", icon="🚨", query_params={"incident": inc["id"]},
                     label="Traffic, verdict history, correct or silence it on the Incidents page")
