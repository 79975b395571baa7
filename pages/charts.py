"""Chart builders: a data frame in, an Altair chart out (testable without Streamlit)."""

from __future__ import annotations

import altair as alt
import pandas as pd

VERDICT_COLORS = {"campaign": "#2e7d32", "organic": "#1565c0", "bot": "#c62828", "mixed": "#ef6c00",
                  "errors": "#ad1457", "drop": "#7b1fa2", "unknown": "#757575"}
ACTOR_COLORS = {"human": "#4e79a7", "scanner": "#b07aa1", "crawler": "#9c9c9c", "automated": "#e15759",
                "other": "#bab0ac"}
# Failing answers first: stacked at the bottom, where an errors incident's baseline rule reads against them.
STATUS_COLORS = {"5xx": "#c62828", "4xx": "#f28e2b", "3xx": "#bab0ac", "2xx": "#59a14f", "1xx": "#d4d4d4"}
BREAKDOWNS = {"actor": ("who", ACTOR_COLORS), "status": ("answer", STATUS_COLORS)}


def traffic_chart(df: pd.DataFrame, *, by: str = "actor", campaigns: pd.DataFrame | None = None,
                  incidents: pd.DataFrame | None = None, tz: str = "UTC", height: int = 300) -> alt.LayerChart:
    """Stacked requests/s by ``by``, campaign starts as labelled rules, incidents as shaded bands."""
    data = _zero_filled(df, by)
    width = _bucket_width(data["time"])  # a campaign sent inside the last bucket drawn is still marked
    latest = data["time"].max() if not data.empty else None
    data["time"] = _wall_clock(data["time"], tz)
    color = alt.Color(f"{by}:N", title=by.replace("_", " "))
    if by == "actor":
        color = alt.Color("actor:N", title="who", scale=alt.Scale(domain=list(ACTOR_COLORS),
                                                                  range=list(ACTOR_COLORS.values())))
    area = alt.Chart(data).mark_area(interpolate="monotone", opacity=0.85).encode(
        x=alt.X("time:T", title=f"time ({tz})", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M")),
        y=alt.Y("sum(rps):Q", title="requests / s", stack="zero"),
        color=color,
        tooltip=[alt.Tooltip("time:T", format="%H:%M:%S", formatType="utc"), f"{by}:N",
                 alt.Tooltip("sum(rps):Q", format=".1f")],
    )
    layers: list[alt.Chart] = []
    if incidents is not None and not incidents.empty:
        inc = incidents.copy()
        inc["end"] = inc["end"].fillna(latest if latest is not None else inc["start"])
        inc["start"] = _wall_clock(inc["start"], tz)
        inc["end"] = _wall_clock(inc["end"], tz)
        layers.append(alt.Chart(inc).mark_rect(opacity=0.15).encode(
            x="start:T", x2="end:T",
            color=alt.Color("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLORS),
                                                         range=list(VERDICT_COLORS.values())), legend=None),
            tooltip=["verdict:N", alt.Tooltip("confidence:Q", format=".0%"), "campaign:N"],
        ))
    layers.append(area)
    if campaigns is not None and not campaigns.empty:
        camp = campaigns.copy()
        camp["start"] = _wall_clock(camp["start"], tz)
        if not data.empty:
            camp = camp[(camp["start"] >= data["time"].min()) & (camp["start"] <= data["time"].max() + width)]
        rule = alt.Chart(camp).mark_rule(strokeDash=[4, 3], color="#333").encode(
            x="start:T", tooltip=["name:N", "channel:N", "regions:N"])
        layers.append(rule)
        # A name reads right of its rule, or left of it in the chart's last third, where it would be cut off.
        t0, t1 = (data["time"].min(), data["time"].max()) if not data.empty else (camp["start"].min(),
                                                                                   camp["start"].max())
        late = camp["start"] > t0 + (t1 - t0) * 2 / 3 if t1 > t0 else pd.Series(False, index=camp.index)
        for part, align, dx in ((camp[~late], "left", 4), (camp[late], "right", -4)):
            if not part.empty:
                layers.append(alt.Chart(part).mark_text(align=align, dx=dx, dy=-6, fontSize=11, color="#333")
                              .encode(x="start:T", y=alt.value(10), text="name:N"))
    return (alt.layer(*layers).resolve_scale(color="independent").properties(height=height)
            .interactive(bind_y=False))


def calendar_chart(campaigns: pd.DataFrame, *, tz: str = "UTC", height: int | None = None,
                   now: pd.Timestamp | None = None) -> alt.Chart | alt.LayerChart:
    """The campaign calendar as a timeline: one bar per campaign, coloured by channel, cancelled ones faded.

    With ``now``, a labelled rule marks the present so upcoming and past campaigns read apart.
    """
    data = campaigns.copy()
    for col in ("start", "end"):
        data[col] = _wall_clock(data[col], tz)
    bars = alt.Chart(data).mark_bar(cornerRadius=3, height=18).encode(
        x=alt.X("start:T", title=f"time ({tz})", scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%a %d %b %H:%M")), x2="end:T",
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("start"), axis=alt.Axis(labelLimit=240)),
        color=alt.Color("channel:N", legend=alt.Legend(orient="bottom")),
        opacity=alt.condition(alt.datum.status == "cancelled", alt.value(0.25), alt.value(0.9)),
        tooltip=["name:N", "channel:N", alt.Tooltip("start:T", format="%a %d %b %H:%M", formatType="utc"), "regions:N",
                 alt.Tooltip("audience:Q", format=","), "owner:N", "status:N"],
    ).properties(height=height or alt.Step(30))  # a row per campaign (a fixed height squeezes rows in Streamlit)
    if now is None:
        return bars
    mark = pd.DataFrame({"time": _wall_clock(pd.Series([pd.Timestamp(now)]), tz), "label": ["now"]})
    rule = alt.Chart(mark).mark_rule(color="#c62828", strokeDash=[4, 3]).encode(x="time:T", tooltip=["label:N"])
    text = alt.Chart(mark).mark_text(align="left", dx=4, dy=-6, fontSize=11, color="#c62828").encode(
        x="time:T", y=alt.value(0), text="label:N")
    return alt.layer(bars, rule, text)


def share_bars(df: pd.DataFrame, dim: str, *, title: str | None = None) -> alt.LayerChart:
    """Horizontal bars of the share of requests per value of ``dim``, each labelled with its share.

    One row per value (a fixed height lets Streamlit squeeze rows until every other label is hidden);
    ``title=""`` leaves the axis untitled (the page names the chart), ``None`` names it after ``dim``.
    """
    data = df.assign(label=[f"{x:.0%}" if x >= 0.005 else "<1%" for x in df["share"]])
    base = alt.Chart(data).encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title=None, scale=alt.Scale(domainMax=1.12 * data["share"].max()
                                                                                  if len(data) else 1)),
        y=alt.Y(f"{dim}:N", sort="-x", title=dim.replace("_", " ") if title is None else title or None,
                axis=alt.Axis(labelExpr="replace(datum.label, regexp('_', 'g'), ' ')", labelLimit=140)),
        tooltip=[f"{dim}:N", alt.Tooltip("requests:Q", format=","), alt.Tooltip("share:Q", format=".1%")],
    )
    bars = base.mark_bar()
    text = base.mark_text(align="left", dx=3, fontSize=11, color="#444").encode(text="label:N")
    return alt.layer(bars, text).properties(height=alt.Step(22))


def _bucket_width(times: pd.Series) -> pd.Timedelta:
    """The width of a series' time buckets (the smallest gap between two of them; 0 with fewer than two)."""
    distinct = pd.Series(pd.unique(times)).sort_values()
    return distinct.diff().min() if len(distinct) > 1 else pd.Timedelta(0)


def _zero_filled(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Requests/s for every (time, ``by``) pair, 0 where a series sent nothing in a bucket.

    A stacked area interpolates across a series' missing buckets, so a burst of one (mail scanners
    at a send) would otherwise pull the others' outline through the chart.
    """
    if df.empty:
        return df.copy()
    grid = pd.MultiIndex.from_product([pd.unique(df["time"]), pd.unique(df[by])], names=["time", by])
    return df.groupby(["time", by])["rps"].sum().reindex(grid, fill_value=0.0).reset_index()


def _wall_clock(times: pd.Series, tz: str) -> pd.Series:
    """Times as the dashboard's wall clock, tagged UTC so a chart on a ``utc`` scale shows them as-is in any browser."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(tz).dt.tz_localize(None).dt.tz_localize("UTC")


def incident_chart(df: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp | None, baseline_rps: float | None,
                   verdict: str = "unknown", tz: str = "UTC", height: int = 320, by: str = "actor",
                   baseline_label: str | None = None) -> alt.LayerChart:
    """Requests/s by actor (or by answer, ``by="status"``) around one incident: its span shaded in the
    verdict's colour, the baseline as a rule (``baseline_label`` says what it is the baseline of)."""
    title, colors = BREAKDOWNS[by]
    data = _zero_filled(df, by)
    span_end = end if end is not None and pd.notna(end) else (data["time"].max() if not data.empty else start)
    data["time"] = _wall_clock(data["time"], tz)
    order = list(colors)
    data["stack"] = data[by].map(lambda v: order.index(v) if v in order else len(order)) if not data.empty else []
    span = pd.DataFrame({"start": _wall_clock(pd.Series([start]), tz), "end": _wall_clock(pd.Series([span_end]), tz),
                         "label": [f"incident ({verdict})"]})
    shade = alt.Chart(span).mark_rect(opacity=0.12, color=VERDICT_COLORS.get(verdict, "#c62828")).encode(
        x=alt.X("start:T", scale=alt.Scale(type="utc")), x2="end:T",
        tooltip=[alt.Tooltip("start:T", format="%H:%M:%S", formatType="utc"),
                 alt.Tooltip("end:T", format="%H:%M:%S", formatType="utc"), "label:N"])
    edge = alt.Chart(span).mark_rule(strokeDash=[2, 2], color=VERDICT_COLORS.get(verdict, "#c62828")).encode(
        x="start:T")
    area = alt.Chart(data).mark_area(interpolate="monotone", opacity=0.85).encode(
        x=alt.X("time:T", title=f"time ({tz})", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M")),
        y=alt.Y("sum(rps):Q", title="requests / s", stack="zero"),
        color=alt.Color(f"{by}:N", title=title, scale=alt.Scale(domain=order, range=list(colors.values()))),
        order=alt.Order("stack:Q", sort="ascending"),
        tooltip=[alt.Tooltip("time:T", format="%H:%M:%S", formatType="utc"), f"{by}:N",
                 alt.Tooltip("sum(rps):Q", format=".1f")],
    )
    layers: list[alt.Chart] = [shade, edge, area]
    if baseline_rps is not None and pd.notna(baseline_rps) and baseline_rps > 0:
        what = f"baseline of {baseline_label}" if baseline_label else "baseline"
        base = pd.DataFrame({"rps": [float(baseline_rps)], "label": [f"{what} {baseline_rps:.1f} req/s"]})
        layers.append(alt.Chart(base).mark_rule(strokeDash=[6, 4], color="#222", size=1.5).encode(
            y="rps:Q", tooltip=["label:N"]))
        layers += readable_label(alt.Chart(base), color="#222", x=alt.value(0), y="rps:Q", text="label:N")
    return alt.layer(*layers).properties(height=height)


def readable_label(chart: alt.Chart, *, color: str, dx: int = 4, dy: int = -7, size: int = 11,
                   **encoding: object) -> list[alt.Chart]:
    """A left-aligned text label over a white halo, readable where it crosses a filled area: two text layers."""
    mark = {"align": "left", "dx": dx, "dy": dy, "fontSize": size}
    halo = chart.mark_text(**mark, color="white", stroke="white", strokeWidth=3, strokeJoin="round")
    return [halo.encode(**encoding), chart.mark_text(**mark, color=color).encode(**encoding)]


def verdict_history_chart(history: pd.DataFrame, *, tz: str = "UTC", height: int = 200) -> alt.LayerChart:
    """How the verdict moved: confidence as a step line, each change a dot in its verdict's colour."""
    data = history.copy()
    data["time"] = _wall_clock(data["time"], tz)
    base = alt.Chart(data).encode(x=alt.X("time:T", title=f"time ({tz})", scale=alt.Scale(type="utc"),
                                          axis=alt.Axis(format="%H:%M:%S", labelOverlap=True)),
                                  y=alt.Y("confidence:Q", title="confidence", scale=alt.Scale(domain=[0, 1]),
                                          axis=alt.Axis(format="%")))
    line = base.mark_line(interpolate="step-after", color="#888")
    seen = [v for v in VERDICT_COLORS if v in set(data["verdict"])] or ["unknown"]
    dots = base.mark_circle(size=90, opacity=1).encode(
        color=alt.Color("verdict:N", scale=alt.Scale(domain=seen, range=[VERDICT_COLORS[v] for v in seen]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M:%S", formatType="utc"), "verdict:N",
                 alt.Tooltip("confidence:Q", format=".0%"), "campaign:N"])
    return alt.layer(line, dots).properties(height=height)
