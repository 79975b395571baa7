"""``surgewatch traffic``: the requests stored in a range, as one JSON object or a table.

Thin: checks the options, asks ``store.traffic_totals`` and prints. Exit 2 on a bad option
(the message names it), 1 when the store cannot be read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer

from store.base import StoreError
from store.settings import open_store
from store.traffic_totals import RangeError, parse_instant, traffic_totals


def run(settings: Callable[[], Any], start: str, end: str, *, site: str | None, by: str | None, fmt: str) -> int:
    try:
        if fmt not in ("json", "table"):
            raise RangeError(f"--format {fmt!r} is not json or table")
        t0, t1 = parse_instant(start, "--from"), parse_instant(end, "--to")
        store = open_store(settings().store, readonly=True)
        try:
            out = traffic_totals(store, t0, t1, site=site, by=by)
        finally:
            store.close()
    except RangeError as exc:
        typer.echo(f"surgewatch traffic: {exc}", err=True)
        return 2
    except (StoreError, ValueError) as exc:
        typer.echo(f"surgewatch traffic: cannot read the store: {exc}", err=True)
        return 1
    if fmt == "json":
        typer.echo(json.dumps(out))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(by or "range", "requests", title=f"{out['from']} to {out['to']} (end excluded)")
    for g in out["groups"]:
        table.add_row(g["key"], f"{g['requests']:,}")
    table.add_row("total", f"{out['requests']:,}", style="bold")
    Console(width=120).print(table)
    return 0
