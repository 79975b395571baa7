"""The `alerts` commands: list and show incidents, correct verdicts and campaigns, review, silences."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.feedback.oncall import FeedbackError, _incident, correct, rows
from alerts.feedback.review import VERDICTS, Review, review
from alerts.feedback.silences import SilenceError, add
from auth.roles import Identity
from store.state import StateDB


def run_list(state: StateDB, *, status: str | None, fmt: str) -> int:
    import typer

    found = rows(state, status=status)
    if fmt == "json":
        typer.echo(json.dumps(found, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "start (UTC)", "verdict", "conf.", "campaign", "on-call says", "peak req/s", "status")
    for r in found:
        said = " / ".join(x for x in (r["on_call"], r["on_call_campaign"]) if x)
        table.add_row(r["id"], r["start"], r["verdict"], f"{r['confidence']:.0%}", r["campaign"] or "", said,
                      f"{r['peak_rps']:.1f}", r["status"])
    Console(width=160).print(table)
    return 0


def run_show(state: StateDB, incident_id: str) -> int:
    import typer

    try:
        data = _incident(state, incident_id)
    except FeedbackError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    history = [{"at": at.isoformat(), "verdict": h.get("verdict"), "confidence": h.get("confidence")}
               for at, h in state.incident_history(incident_id)]
    feedback = [{**f, "at": f["at"].isoformat()} for f in state.feedback(incident_id)]
    typer.echo(json.dumps({"incident": data, "history": history, "feedback": feedback}, indent=2, default=str))
    return 0


def run_correct(state: StateDB, incident_id: str, *, user: Identity, verdict: str | None, campaign: str | None,
                comment: str) -> int:
    import typer

    try:
        inc = correct(state, incident_id, user=user, verdict=verdict, campaign=campaign, comment=comment)
    except FeedbackError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    typer.echo(f"{inc.id}: detector said {inc.verdict}; on-call says {inc.final_verdict}"
               + (f", campaign {inc.final_campaign}" if inc.final_campaign else "")
               + f" (recorded {datetime.now(UTC):%H:%M:%S} UTC by {user.audit_name})")
    return 0


def run_review(state: Any, *, days: float, fmt: str) -> int:
    import typer

    if fmt not in ("table", "json", "csv"):
        typer.echo(f"error: --format {fmt!r} is not one of table, json, csv", err=True)
        return 2
    since = datetime.now(UTC) - timedelta(days=days)
    found = review(state.list_incidents(since=since, limit=100_000))
    if fmt == "json":
        typer.echo(json.dumps(found.to_dict() | {"incidents_labelled": found.rows}, indent=2, default=str))
        return 0
    if fmt == "csv":
        buf = io.StringIO()
        if found.rows:
            writer = csv.DictWriter(buf, fieldnames=list(found.rows[0]))
            writer.writeheader()
            writer.writerows(found.rows)
        typer.echo(buf.getvalue(), nl=False)
        return 0
    _print_table(found, days)
    return 0


def _print_table(found: Review, days: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    if not found.incidents:
        console.print(f"No surge incidents in the last {days:g} days.")
        return
    table = Table("detector said \u2193 / on-call's label \u2192", *VERDICTS, title=f"Last {days:g} days")
    for v in VERDICTS:
        counts = found.table.get(v, {})
        table.add_row(v, *(str(counts.get(label, 0) or "") for label in VERDICTS))
    console.print(table)
    console.print(f"{found.incidents} surge incidents, {found.corrected} corrected by on-call; "
                  f"the label is the detector's verdict for {found.agreement:.0%}.")
    console.print(f"People's surges called bot: {len(found.people_called_bot)}"
                  + (f" ({', '.join(found.people_called_bot[:5])})" if found.people_called_bot else ""))
    console.print(f"Attacks called people's: {len(found.attacks_called_people)}"
                  + (f" ({', '.join(found.attacks_called_people[:5])})" if found.attacks_called_people else ""))


def run_add(state: StateDB, matchers: list[str], duration: str, *, user: Identity, comment: str) -> int:
    import typer

    try:
        sid, labels, ends = add(state, matchers, duration, user=user, comment=comment)
    except SilenceError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    said = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    typer.echo(f"silence {sid}: {said} until {ends:%Y-%m-%d %H:%M} UTC (by {user.audit_name})")
    return 0


def run_silences(state: StateDB, *, fmt: str) -> int:
    import typer

    found = state.active_silences()
    if fmt == "json":
        typer.echo(json.dumps(found, indent=2, default=str))
        return 0
    if not found:
        typer.echo("no silences in force")
        return 0
    for s in found:
        said = ", ".join(f"{k}={v}" for k, v in sorted(s["matchers"].items()))
        typer.echo(f"{s['id']}: {said} until {s['ends']:%Y-%m-%d %H:%M} UTC by {s['created_by']}"
                   + (f" ({s['comment']})" if s["comment"] else ""))
    return 0
