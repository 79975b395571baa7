"""The chart of a campaign's results: its visits and leads per 10 minutes against the site's usual conversions.

Plain functions (data in, Altair chart or PNG bytes out), so tests call them without Streamlit.
The PNG is rendered by vl-convert (Altair's ``save``), with no browser.
"""

from __future__ import annotations

import io

import altair as alt
import pandas as pd

SERIES = {"visits": "visits from its link", "leads": "leads from its link",
          "site_conversions": "all conversions on the site", "usual_conversions": "usual conversions at these hours"}


def results_long(series: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The results series (epoch index) in long form, times on the dashboard's clock."""
    frame = series[list(SERIES)].copy()
    frame.index = pd.to_datetime(frame.index, unit="s", utc=True).tz_convert(tz).tz_localize(None)
    frame.index.name = "time"
    out = frame.reset_index().melt("time", var_name="series", value_name="count").dropna()
    out["series"] = out["series"].map(SERIES)
    return out


def results_chart(series: pd.DataFrame, tz: str, title: str = "") -> alt.Chart:
    """Visits and leads of the campaign's link per 10 minutes, with the site's conversions and their usual."""
    data = results_long(series, tz)
    return alt.Chart(data, title=title or alt.Undefined).mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("time:T", title=f"time ({tz})"),
        y=alt.Y("count:Q", title="per 10 minutes"),
        color=alt.Color("series:N", sort=list(SERIES.values()), legend=alt.Legend(orient="bottom", title=None)),
        strokeDash=alt.condition(alt.datum.series == SERIES["usual_conversions"], alt.value([4, 3]), alt.value([1, 0])),
        tooltip=["time:T", "series:N", alt.Tooltip("count:Q", format=".1f")],
    ).properties(height=280)


def results_png(chart: alt.Chart) -> bytes:
    """The chart as a PNG image (vl-convert)."""
    buf = io.BytesIO()
    chart.properties(width=720).save(buf, format="png")
    return buf.getvalue()
