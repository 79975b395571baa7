"""Chart builders: a data frame in, an Altair chart out (testable without Streamlit)."""

from __future__ import annotations

import altair as alt
import pandas as pd

VERDICT_COLORS = {"campaign": "#2e7d32", "organic": "#1565c0", "bot": "#c62828", "mixed": "#ef6c00",
                  "unknown": "#757575"}
ACTOR_COLORS = {"human": "#4e79a7", "scanner": "#b07aa1", "crawler": "#9c9c9c", "automated": "#e15759",
                "other": "#bab0ac"}


def traffic_chart(df: pd.DataFrame, *, by: str = "actor", campaigns: pd.DataFrame | None = None,
                  incidents: pd.DataFrame | None = None, tz: str = "UTC", height: int = 300) -> alt.LayerChart:
    """Stacked requests/s by ``by``, campaign starts as labelled rules, incidents as shaded bands."""
    data = df.copy()
    data["time"] = data["time"].dt.tz_convert(tz)
    color = alt.Color(f"{by}:N", title=by.replace("_", " "))
    if by == "actor":
        color = alt.Color("actor:N", title="who", scale=alt.Scale(domain=list(ACTOR_COLORS),
                                                                  range=list(ACTOR_COLORS.values())))
    area = alt.Chart(data).mark_area(interpolate="monotone", opacity=0.85).encode(
        x=alt.X("time:T", title=None),
        y=alt.Y("sum(rps):Q", title="requests / s", stack="zero"),
        color=color,
        tooltip=[alt.Tooltip("time:T", format="%H:%M:%S"), f"{by}:N", alt.Tooltip("sum(rps):Q", format=".1f")],
    )
    layers: list[alt.Chart] = []
    if incidents is not None and not incidents.empty:
        inc = incidents.copy()
        inc["end"] = inc["end"].fillna(data["time"].max() if not data.empty else inc["start"])
        inc["start"] = pd.to_datetime(inc["start"], utc=True).dt.tz_convert(tz)
        inc["end"] = pd.to_datetime(inc["end"], utc=True).dt.tz_convert(tz)
        layers.append(alt.Chart(inc).mark_rect(opacity=0.15).encode(
            x="start:T", x2="end:T",
            color=alt.Color("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLORS),
                                                         range=list(VERDICT_COLORS.values())), legend=None),
            tooltip=["verdict:N", alt.Tooltip("confidence:Q", format=".0%"), "campaign:N"],
        ))
    layers.append(area)
    if campaigns is not None and not campaigns.empty:
        camp = campaigns.copy()
        camp["start"] = camp["start"].dt.tz_convert(tz)
        if not data.empty:
            camp = camp[(camp["start"] >= data["time"].min()) & (camp["start"] <= data["time"].max())]
        rule = alt.Chart(camp).mark_rule(strokeDash=[4, 3], color="#333").encode(
            x="start:T", tooltip=["name:N", "channel:N", "regions:N"])
        text = alt.Chart(camp).mark_text(align="left", dx=4, dy=-6, fontSize=11, color="#333").encode(
            x="start:T", y=alt.value(10), text="name:N")
        layers += [rule, text]
    return (alt.layer(*layers).resolve_scale(color="independent").properties(height=height)
            .interactive(bind_y=False))


def calendar_chart(campaigns: pd.DataFrame, *, tz: str = "UTC", height: int | None = None) -> alt.Chart:
    """The campaign calendar as a timeline: one bar per campaign, coloured by channel."""
    data = campaigns.copy()
    for col in ("start", "end"):
        data[col] = pd.to_datetime(data[col], utc=True).dt.tz_convert(tz)
    return alt.Chart(data).mark_bar(cornerRadius=3, height=18).encode(
        x=alt.X("start:T", title=None), x2="end:T",
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("start")),
        color=alt.Color("channel:N", legend=alt.Legend(orient="bottom")),
        tooltip=["name:N", "channel:N", alt.Tooltip("start:T", format="%a %d %b %H:%M"), "regions:N",
                 alt.Tooltip("audience:Q", format=","), "owner:N", "status:N"],
    ).properties(height=height or max(60, 28 * len(data)))


def share_bars(df: pd.DataFrame, dim: str, *, title: str | None = None) -> alt.Chart:
    """Horizontal bars of the share of requests per value of ``dim``."""
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title=None),
        y=alt.Y(f"{dim}:N", sort="-x", title=title or dim.replace("_", " ")),
        tooltip=[f"{dim}:N", alt.Tooltip("requests:Q", format=","), alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=max(60, 22 * len(df)))
