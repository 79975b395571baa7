"""``cli.py report``: how a campaign went, as a table, one JSON object or the 10-minute series as CSV.

Exit 0 with the report; 1 for an unknown campaign (with the closest names); 2 when the store or
state DB cannot be read or the format is unknown, with what to do, nothing on stdout. The numbers
are ``capacity.results.report``'s, the very ones the Campaigns page shows.
"""

from __future__ import annotations

import json
import sys

from capacity.results import Results, report
from capacity.results_rows import rows
from commands.plan import UnknownCampaign, find_campaign
from store.base import StoreError
from store.state import StateDB

FORMATS = ("table", "json", "csv")


def run(settings, campaign_ref: str, fmt: str) -> int:  # noqa: ANN001 - config.Settings
    if fmt not in FORMATS:
        print(f"surgewatch report: --format {fmt!r}: use {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    from store.settings import open_store

    try:
        store = open_store(settings.store, readonly=True)
        state = StateDB(settings.state.path)
    except StoreError as exc:
        print(f"surgewatch report: {exc}", file=sys.stderr)
        return 2
    try:
        results = report(store, state, find_campaign(state, campaign_ref), settings.capacity)
    except UnknownCampaign as exc:
        print(f"surgewatch report: {exc}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"surgewatch report: {exc}", file=sys.stderr)
        return 2
    finally:
        state.close()
    if fmt == "json":
        print(json.dumps(results.as_dict(), indent=2))
    elif fmt == "csv":
        print(results.csv(), end="")
    else:
        print_table(results)
    return 0


def print_table(r: Results) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(soft_wrap=True)
    table = Table(title=escape(f"{r.campaign.name} ({r.campaign.id})"), show_header=False)
    table.add_column("what")
    table.add_column("value")
    for what, value in rows(r):
        table.add_row(escape(what), escape(value))
    console.print(table)
    for note in [*r.notes, *r.costs.notes]:
        console.print(escape(f"note: {note}"))
