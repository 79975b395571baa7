"""``surgewatch sources``: is data flowing? Every collector's status and the store's, as JSON or tables.

Reads what the worker recorded in the state DB (``store.collector_status``) and checks the
store's reachability now; the spool backlog is the worker's (the command keeps no spool).
Samples of malformed lines are shown as stored: redacted, never a full address or agent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import typer

from store.base import StoreError
from store.collector_status import report, say_duration
from store.health import store_health
from store.settings import open_store
from store.state import StateDB


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else ""


def collect(settings: Any, now: float) -> dict[str, Any]:
    """The report: collectors' views and the store (reachable now, spool as the worker last saw it)."""
    state = StateDB(settings.state.path)
    try:
        out = report(state, now)
    finally:
        state.close()
    worker_row = out["store"] or {}
    try:
        store = open_store(settings.store, readonly=True)
    except (StoreError, ValueError) as exc:
        health = {"backend": settings.store.backend, "reachable": False, "error": str(exc)}
    else:
        try:
            health = store_health(store, now)
        finally:
            store.close()
    out["store"] = {**health, "spool_points": int(worker_row.get("spool_points", 0)),
                    "spool_checked_at": _when(worker_row.get("checked_at")) or None}
    for v in out["collectors"]:
        v["last_data_at"] = _when(v["last_data_at"]) or None
        v["newest_data"] = _when(v["newest_data"]) or None
        v["updated_at"] = _when(v["updated_at"]) or None
    return out


def run(settings: Callable[[], Any], fmt: str) -> int:
    if fmt not in ("json", "table"):
        typer.echo(f"surgewatch sources: --format {fmt!r} is not json or table", err=True)
        return 2
    try:
        out = collect(settings(), time.time())
    except (StoreError, ValueError) as exc:
        typer.echo(f"surgewatch sources: {exc}", err=True)
        return 1
    if fmt == "json":
        typer.echo(json.dumps(out, default=str))
    else:
        print_report(out)
    return 0


def print_report(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(width=160)
    table = Table("collector", "state", "last data (UTC)", "lag", "per s", "parsed", "late", "malformed",
                  title="Collectors")
    for v in out["collectors"]:
        table.add_row(Text(v["name"]), v["state"], v["last_data_at"] or "never", say_duration(v["lag_seconds"]),
                      f"{v['per_second']:.1f} {v['unit']}", f"{v['parsed']:,}", f"{v['late']:,}",
                      f"{sum(v['malformed'].values()):,}")
    if out["collectors"]:
        console.print(table)
    else:
        console.print(Text("No collector has reported yet: is the worker running with a [collectors.*] section?"))
    details = Table("collector", "what", "detail", title="Files, malformed lines and problems")
    for v in out["collectors"]:
        for f in v["files"]:
            size = "missing" if f["size"] is None else f"{f['size']:,}"
            details.add_row(Text(v["name"]), "file", Text(f"{f['path']} at {f['offset']:,} of {size} bytes"))
        for reason, n in sorted(v["malformed"].items()):
            details.add_row(Text(v["name"]), f"malformed {reason}", f"{n:,} line{'s' if n != 1 else ''}")
            for sample in v["samples"].get(reason, []):
                details.add_row("", "", Text(sample))
        for p in v["problems"]:
            details.add_row(Text(v["name"]), "problem", Text(p))
    if details.row_count:
        console.print(details)
    s = out["store"]
    reach = "reachable" if s["reachable"] else "UNREACHABLE"
    console.print(Text(f"Store {s['backend']}: {reach}; spool backlog {s['spool_points']:,} points"
                       + (f" ({s['error']})" if s.get("error") else "")))
