"""The Capacity page's chart: a campaign's forecast band against the fleet's capacity (data frame in, Altair out)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pages.charts import _wall_clock

BAND = "#4e79a7"
MEASURED = "#222222"
CAPACITY = "#2e7d32"
TODAY = "#c62828"


def forecast_chart(df: pd.DataFrame, *, start: pd.Timestamp, peak_time: pd.Timestamp, peak_rps: float,
                   tz: str = "UTC", height: int = 340) -> alt.LayerChart:
    """Requests/s forecast: the p10-p90 band, the expected line, the baseline, and when ``df`` has them the
    planned capacity (``capacity``, a step line) and today's (``current_capacity``); the start and peak marked.

    ``df`` has columns time, baseline, expected, low, high (and optionally capacity, current_capacity, and
    ``measured``: the requests/s served so far, empty where the step is not over).
    """
    data = df.copy()
    data["time"] = _wall_clock(data["time"], tz)
    x = alt.X("time:T", title=f"{_days(data['time'])}, time ({tz})", scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%H:%M"))
    tip = [alt.Tooltip("time:T", format="%a %H:%M", formatType="utc"),
           alt.Tooltip("expected:Q", format=".1f", title="expected req/s"),
           alt.Tooltip("low:Q", format=".1f", title="p10"), alt.Tooltip("high:Q", format=".1f", title="p90"),
           alt.Tooltip("baseline:Q", format=".1f", title="baseline")]
    if "capacity" in data:
        tip += [alt.Tooltip("instances:Q", title="planned instances"),
                alt.Tooltip("capacity:Q", format=".0f", title="planned capacity req/s")]
    base = alt.Chart(data).encode(x=x)
    band = base.mark_area(opacity=0.25, color=BAND).encode(
        y=alt.Y("low:Q", title="requests / s"), y2="high:Q", tooltip=tip)
    expected = base.mark_line(color=BAND, strokeWidth=2).encode(y="expected:Q", tooltip=tip)
    baseline = base.mark_line(color="#777", strokeDash=[4, 3]).encode(y="baseline:Q")
    layers: list[alt.Chart] = [band, baseline, expected]
    if "measured" in data and data["measured"].notna().any():
        layers.append(alt.Chart(data.dropna(subset=["measured"])).mark_line(color=MEASURED, strokeWidth=1.5).encode(
            x=x, y="measured:Q", tooltip=[tip[0], alt.Tooltip("measured:Q", format=".1f", title="measured req/s")]))
    if "capacity" in data:
        layers.append(base.mark_line(interpolate="step-after", color=CAPACITY, strokeWidth=2).encode(
            y="capacity:Q", tooltip=tip))
        today = pd.DataFrame({"rps": [float(data["current_capacity"].iloc[0])],
                              "label": [f"today's capacity {float(data['current_capacity'].iloc[0]):,.0f} req/s"]})
        layers.append(alt.Chart(today).mark_rule(color=TODAY, strokeDash=[6, 4]).encode(y="rps:Q",
                                                                                         tooltip=["label:N"]))
        layers.append(alt.Chart(today).mark_text(align="left", dx=4, dy=-7, color=TODAY, fontSize=11).encode(
            x=alt.value(0), y="rps:Q", text="label:N"))
    marks = pd.DataFrame({"time": _wall_clock(pd.Series([start, peak_time]), tz), "rps": [None, peak_rps],
                          "label": ["campaign start", f"peak {peak_rps:,.1f} req/s"]})
    layers.append(alt.Chart(marks.iloc[:1]).mark_rule(color="#333", strokeDash=[2, 2]).encode(
        x="time:T", tooltip=["label:N"]))
    peak = alt.Chart(marks.iloc[1:])
    layers.append(peak.mark_point(shape="triangle-down", size=120, filled=True, color=BAND).encode(
        x="time:T", y="rps:Q", tooltip=["label:N"]))
    layers.append(peak.mark_text(align="left", dx=8, dy=-10, fontSize=12, color="#222").encode(
        x="time:T", y="rps:Q", text="label:N"))
    return alt.layer(*layers).properties(height=height)


def _days(times: pd.Series) -> str:
    """The day(s) a forecast spans, for the axis that only shows hours ("Wed 02 Dec" or "Wed 02 – Thu 03 Dec")."""
    if times.empty:
        return "–"
    first, last = times.min(), times.max()
    if first.date() == last.date():
        return f"{first:%a %d %b}"
    return f"{first:%a %d} – {last:%a %d %b}" if first.month == last.month else f"{first:%a %d %b} – {last:%a %d %b}"
