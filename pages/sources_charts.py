"""Charts of the Sources page: a data frame in, an Altair chart out (testable without Streamlit)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pages.charts import _wall_clock


def rate_sparkline(df: pd.DataFrame, *, unit: str = "lines", tz: str = "UTC", height: int = 70) -> alt.Chart:
    """Lines (or points) per second over the last 15 minutes: a small area, flat at zero when silent."""
    data = df.copy()
    data["time"] = _wall_clock(data["time"], tz)
    return alt.Chart(data).mark_area(line=True, opacity=0.35, interpolate="step-after").encode(
        x=alt.X("time:T", title=None, scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M", labelFontSize=9)),
        y=alt.Y("per_second:Q", title=f"{unit}/s", axis=alt.Axis(tickCount=2, format="~g", labelFontSize=9)),
        tooltip=[alt.Tooltip("time:T", format="%H:%M:%S", formatType="utc"),
                 alt.Tooltip("per_second:Q", format=".1f", title=f"{unit}/s")],
    ).properties(height=height)
