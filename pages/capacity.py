"""Capacity: a campaign's traffic forecast and the scaling plan, for planners before a launch and marketers.

Pick a campaign, adjust the assumptions (audience, requests per instance, headroom, cost per
instance-hour) without editing the configuration, and read when to scale up and back down,
what it costs per lead, and what the forecast was learned from.
"""

from __future__ import annotations

import streamlit as st

from capacity.actuals import track
from capacity.forecast import ForecastError
from capacity.live import advise
from capacity.plan import Capacity, advice
from pages import capacity_charts, capacity_queries
from pages.context import inside_app_frame, view
from pages.text import md

inside_app_frame()
v = view()
st.title("Capacity")
st.caption("Forecast of an announced campaign's traffic and when to scale for it. Times in "
           f"{v.tz}; sizing uses the forecast's upper band (p90).")

choices = capacity_queries.campaign_choices(v.state, v.end, v.tz)
if choices.empty:
    st.info("No campaign announced yet. Import one with `./surgewatch campaigns import FILE` "
            "(JSON, CSV or ICS), then plan it here.")
    st.stop()

labels = dict(zip(choices["id"], choices["label"], strict=True))
linked = st.query_params.get("campaign")  # reminders ahead of a campaign link here with ?campaign=<id>
if linked in labels and st.session_state.get("capacity_linked") != linked:
    st.session_state["capacity_campaign"] = st.session_state["capacity_linked"] = linked
chosen = st.selectbox("Campaign", list(labels), format_func=labels.get, key="capacity_campaign",
                      on_change=lambda: st.query_params.update(campaign=st.session_state["capacity_campaign"]))
row = choices.set_index("id").loc[chosen]
cfg = v.settings.capacity

st.subheader("Assumptions")
a1, a2, a3, a4, a5 = st.columns(5)
audience = a1.number_input("Audience", min_value=1, max_value=10_000_000_000, step=1000,
                           value=int(row["audience"]) if row["audience"] == row["audience"] and row["audience"]
                           else 10_000, key=f"audience_{chosen}",
                           help="Recipients, followers or readers the campaign reaches.")
try:
    f = capacity_queries.campaign_forecast(v.store, v.state, chosen, audience=int(audience), now=v.end)
except (ForecastError, LookupError) as exc:
    st.error(md(exc))
    st.stop()
known = capacity_queries.fleet(v.store, f.campaign.site, cfg, f.asof)
per = a2.number_input("Requests/s per instance", min_value=0.0, value=float(known.rps_per_instance or 0.0),
                      step=1.0, help="What one instance serves at its limit (0: unknown).")
instances = a3.number_input("Instances today", min_value=1, value=int(known.instances), step=1)
headroom = a4.slider("Headroom", min_value=0, max_value=200, value=int(round(cfg.headroom * 100)), step=5,
                     format="%d%%", help="Spare capacity kept over the forecast's upper band.")
price = a5.number_input(f"Cost per instance-hour ({md(cfg.currency)})", min_value=0.0,
                        value=float(cfg.instance_cost_per_hour or 0.0), step=0.05, format="%.2f")

settings = cfg.model_copy(update={"headroom": headroom / 100, "rps_per_instance": per or None,
                                  "instances": int(instances),
                                  "instance_cost_per_hour": price if price or cfg.instance_cost_per_hour else None})
evidence = list(known.evidence)
if per and per != known.rps_per_instance:
    evidence = [e for e in evidence if "per instance" not in e] + [f"{per:,.1f} req/s per instance (set here)"]
capacity = Capacity(per or None, int(instances), evidence)
plan = capacity_queries.campaign_plan(f, capacity, settings)

peak_rps = float(f.expected[f.peak_index])
for line in f.warnings + ([] if isinstance(plan, str) else plan.warnings):
    st.warning(md(line))
if isinstance(plan, str):
    st.warning(md(plan) + " — or type the requests/s per instance above.")
    frame = f.frame()
else:
    st.success(md(advice(plan, v.tz)))
    frame = plan.frame()
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Expected peak", f"{peak_rps:,.0f} req/s", f"p90 {float(f.high.max()):,.0f}", delta_color="off")
    m2.metric("Instances at the peak", plan.peak_instances, f"+{plan.peak_instances - plan.current} on today",
              delta_color="off")
    m3.metric("Extra infrastructure cost", md(capacity_queries.money(plan.extra_cost, settings.currency)))
    m4.metric("Infrastructure cost per lead",
              md(capacity_queries.money(plan.cost_per_lead, settings.currency, digits=3)))

# Under way or over: what the site has served against the forecast.
tracking = track(v.store, f, v.end) if f.campaign.start <= v.end else None
said = tracking.summary(f.campaign.name) if tracking else None
if tracking and said:
    frame["measured"] = tracking.rps
    (st.warning if tracking.above_p90 else st.info)(md(said))
live = advise(plan, tracking, v.end) if tracking and not isinstance(plan, str) else None
if live is not None:
    (st.info if live.kind == "on_plan" else st.warning)(md(live.message))

st.altair_chart(capacity_charts.forecast_chart(frame, start=f.campaign.start, peak_time=f.peak_time,
                                               peak_rps=peak_rps, tz=v.tz), width="stretch")
st.caption("Band: p10–p90 of the forecast; line: expected; dashed grey: baseline without the campaign"
           + ("; black: measured so far (the forecast knows only what was known before the start)"
              if tracking and said else "")
           + ("; green steps: the planned capacity; red dashes: today's capacity." if not isinstance(plan, str)
              else "."))

if not isinstance(plan, str):
    c1, c2 = st.columns([3, 2])
    c1.markdown("**Traffic and cost**")
    c1.dataframe(capacity_queries.cost_table(plan), hide_index=True, width="stretch")
    c2.markdown("**Schedule**")
    steps = capacity_queries.steps_table(plan, v.tz)
    # Every step in sight (each is a scaling action to schedule), not behind the table's own scroll bar.
    c2.dataframe(steps, hide_index=True, width="stretch", height=min(35 * (len(steps) + 1) + 3, 1200),
                 column_config={"from": st.column_config.TextColumn(f"from ({v.tz})")})

    st.markdown("**Apply the plan** — floors under the autoscaler (times in UTC); each file says when to remove it")
    ready = capacity_queries.exports(plan, settings)
    cols = st.columns(len(ready))
    for col, (fmt, got) in zip(cols, ready.items(), strict=True):
        if isinstance(got, str):
            col.caption(f"{md(fmt)}: {md(got)}")
        else:
            col.download_button(fmt, got[1], file_name=got[0], key=f"export_{fmt}", mime="text/plain")

st.subheader("Where the numbers come from")
st.text(f"{f.response.source.capitalize()}.")
past = capacity_queries.past_campaigns_table(f)
if not past.empty:
    st.dataframe(past, hide_index=True, width="stretch")
notes = [] if isinstance(plan, str) else plan.notes
for line in [*f.evidence, *capacity.evidence, *notes]:
    st.text(f"• {line}")
