"""``cli.py plan``: a campaign's forecast and scaling plan as a table, one JSON object or an autoscaler export.

Exit 0 with the plan; 1 for an unknown campaign (with the closest names); 2 when the plan
cannot be made (no audience, no capacity per instance, no target name for an export), with what
to set, nothing on stdout. ``--all`` plans every upcoming planned campaign, skipping (on stderr)
those without an audience; its exports are one combined schedule (``capacity.export``).
"""

from __future__ import annotations

import difflib
import json
import sys
from datetime import UTC, datetime

from campaigns.model import Campaign, Status
from capacity.actuals import track
from capacity.export import FORMATS, ExportError, render, schedule_for
from capacity.forecast import ForecastError
from capacity.live import advise
from capacity.plan import Plan, PlanError, advice, build_plan, money
from store.base import StoreError
from store.state import StateDB


class UnknownCampaign(LookupError):
    """No campaign has this id or name; the message lists the closest ones."""


def find_campaign(state: StateDB, ref: str) -> Campaign:
    """The campaign with this id, or this name (case-insensitive)."""
    found = state.get_campaign(ref)
    if found is not None:
        return found
    every = state.list_campaigns()
    by_name = [c for c in every if c.name.casefold() == ref.casefold()]
    if by_name:
        return by_name[-1]
    labels = {c.id: c for c in every} | {c.name: c for c in every}
    close = difflib.get_close_matches(ref, list(labels), n=5, cutoff=0.4)
    hint = (f"; did you mean {', '.join(repr(x) for x in close)}?" if close
            else "; `./surgewatch campaigns list` shows them" if every else
            "; the state DB has no campaigns: import them with `./surgewatch campaigns import FILE`")
    raise UnknownCampaign(f"no campaign with id or name {ref!r}{hint}")


def upcoming(state: StateDB, now: datetime) -> list[Campaign]:
    return [c for c in state.list_campaigns(since=now) if c.status is Status.PLANNED]


def _count(n: int) -> str:
    return f"{n} instance{'s' if n != 1 else ''}"


def print_table(plan: Plan, tz: str, progress: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(soft_wrap=True)
    f, s = plan.forecast, plan.summary()
    c = f.campaign
    console.print(f"[bold]{escape(c.name)}[/bold] ({escape(c.id)}) · {c.channel.value} · {f.audience:,} recipients · "
                  f"starts {c.start.astimezone(UTC):%Y-%m-%d %H:%M} UTC · site {c.site}")
    console.print(advice(plan, tz), markup=False, highlight=False)
    for line in s["warnings"]:
        console.print(f"warning: {line}", markup=False, highlight=False, style="yellow")
    if progress:
        console.print(progress, markup=False, highlight=False)
    sched = Table(title=f"Schedule (times in {tz})")
    for col in ("when", "what"):
        sched.add_column(col)
    rows: list[tuple] = []
    for i, (t, n) in enumerate(plan.steps):
        what = (f"back to {_count(n)}" if n == plan.current else
                f"start scaling up: {_count(n)}" if i == 0 else _count(n))
        rows.append((t, 1, what))
    rows.append((f.peak_time, 2, f"peak {s['peak']['rps']:,.1f} req/s expected (p10 {s['peak']['rps_p10']:,.1f}, "
                                 f"p90 {s['peak']['rps_p90']:,.1f})"))
    for t, _, what in sorted(rows, key=lambda r: (r[0], r[1])):
        sched.add_row(t.tz_convert(tz).strftime("%Y-%m-%d %H:%M"), what)
    console.print(sched)
    cost = Table(title="Traffic and cost")
    cost.add_column("item")
    cost.add_column("value", justify="right")
    r, v, leads = s["extra_requests"], s["extra_visits"], s["extra_leads"]
    cost.add_row("extra requests (p10 / p50 / p90)", f"{r['p10']:,} / {r['p50']:,} / {r['p90']:,}")
    cost.add_row("extra visits (p50)", f"{v['p50']:,}")
    cost.add_row("extra leads (p10 / p50 / p90)", f"{leads['p10']:,.1f} / {leads['p50']:,.1f} / {leads['p90']:,.1f}")
    cost.add_row("peak instances", f"{plan.peak_instances} (today {plan.current})")
    cost.add_row("extra instance-hours", f"{plan.extra_instance_hours:,.1f}")
    cost.add_row("extra infrastructure cost", money(plan.extra_cost, plan.settings.currency))
    cost.add_row("infrastructure cost per lead", money(plan.cost_per_lead, plan.settings.currency, digits=3))
    cost.add_row("campaign spend per lead", money(plan.spend_per_lead, c.currency))
    console.print(cost)
    if s["past_campaigns"]:
        past = Table(title="Past campaigns of the channel")
        for col in ("campaign", "audience", "requests per recipient", "used"):
            past.add_column(col)
        for p in s["past_campaigns"]:
            past.add_row(escape(p["name"]), f"{p['audience']:,}", f"{p['requests_per_recipient']:.3f}",
                         escape(p["reason"]))
        console.print(past)
    console.print("[bold]Where the numbers come from[/bold]")
    for line in [*f.evidence, *plan.capacity.evidence, *plan.notes]:
        console.print(f"  • {line}", markup=False, highlight=False)


def run(settings, campaign_ref: str | None, fmt: str, *, every: bool = False,  # noqa: ANN001 - config.Settings
        audience: int | None = None) -> int:
    if fmt not in ("table", *FORMATS):
        print(f"surgewatch plan: --format {fmt!r}: use table, {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    if not every and not campaign_ref:
        print("surgewatch plan: name a campaign (id or name, see `campaigns list`) or use --all", file=sys.stderr)
        return 2
    from store.settings import open_store

    now = datetime.now(UTC)
    try:
        store = open_store(settings.store, readonly=True)
        state = StateDB(settings.state.path)
    except StoreError as exc:
        print(f"surgewatch plan: {exc}", file=sys.stderr)
        return 2
    plans: list[Plan] = []
    try:
        targets = upcoming(state, now) if every else [find_campaign(state, campaign_ref or "")]
        for c in targets:
            try:
                plans.append(build_plan(store, state, c, settings.capacity, audience=audience, now=now))
            except ForecastError as exc:  # with --all, one campaign without an audience does not stop the others
                if not every:
                    raise
                print(f"surgewatch plan: skipped: {exc}", file=sys.stderr)
    except UnknownCampaign as exc:
        print(f"surgewatch plan: {exc}", file=sys.stderr)
        return 1
    except (ForecastError, PlanError, StoreError) as exc:
        print(f"surgewatch plan: {exc}", file=sys.stderr)
        return 2
    finally:
        state.close()
    # A campaign under way or over: how its measured traffic compares with the forecast so far.
    tracked = [track(store, p.forecast, now) if p.forecast.campaign.start <= now else None for p in plans]
    live = [advise(p, t, now) if t else None for p, t in zip(plans, tracked, strict=True)]
    if fmt not in ("table", "json"):
        try:
            print(render(fmt, schedule_for(plans), settings.capacity, max((p.cap for p in plans), default=1)), end="")
        except ExportError as exc:
            print(f"surgewatch plan: {exc}", file=sys.stderr)
            return 2
        return 0
    if fmt == "json":
        out = [p.summary() | ({"tracking": t.as_dict() | ({"advice": a.message, "advice_kind": a.kind,
                                                           "advice_instances": a.instances} if a else {})}
                              if t else {}) for p, t, a in zip(plans, tracked, live, strict=True)]
        doc = {"plans": out} | ({"combined_floors": json.loads(render("json", schedule_for(plans), settings.capacity,
                                                                      1))} if len(plans) > 1 else {})
        print(json.dumps(doc if every else out[0], indent=2))
        return 0
    if every and not plans:
        print("no planned campaign starts after now; `./surgewatch campaigns list` shows them all")
    for p, t, a in zip(plans, tracked, live, strict=True):
        said = "\n".join(x for x in (t.summary(p.forecast.campaign.name) if t else None, a.message if a else None)
                         if x)
        print_table(p, settings.dashboard.timezone, said or None)
    return 0
