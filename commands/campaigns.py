"""Campaign files: imports JSON, CSV and ICS campaign lists into the state DB, and lists or exports them.

Validation is ``campaigns.model``'s; this module applies it row by row so that one bad row
is reported (file, row or item, field, what is allowed) and rejected while every good row
is still imported. Re-importing a file updates campaigns with the same id and leaves
identical ones alone, so importing twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from campaigns.files import campaigns_to_ics, read_rows
from campaigns.model import CampaignError
from store.state import StateDB


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.rejected} rejected")


def import_file(state: StateDB, path: str | Path, *, site: str | None = None, user: str = "import") -> ImportResult:
    """Import the good rows of one file; count and describe the rejected ones."""
    result = ImportResult()
    for row in read_rows(path):
        if isinstance(row, CampaignError):
            result.rejected += 1
            result.errors.append(str(row))
            continue
        campaign = row.model_copy(update={"site": site}) if site else row
        old = state.get_campaign(campaign.id)
        if old == campaign:
            result.unchanged += 1
            continue
        state.upsert_campaign(campaign, user=user)
        if old is None:
            result.imported += 1
        else:
            result.updated += 1
    return result


# -- command line ---------------------------------------------------------------------------
def run_import(files: list[Path], state_path: Path, site: str | None = None) -> int:
    """``campaigns import``: 0 when every row was imported, 1 when rows were rejected, 2 when a file was unreadable."""
    import typer

    from auth.roles import os_identity

    state = StateDB(state_path)
    code = 0
    for path in files:
        try:
            result = import_file(state, path, site=site, user=os_identity().audit_name)
        except CampaignError as exc:
            typer.echo(f"error: {exc}", err=True)
            code = 2
            continue
        for message in result.errors:
            typer.echo(f"rejected: {message}", err=True)
        typer.echo(f"{path}: {result.summary()}")
        if result.rejected and code == 0:
            code = 1
    return code


def run_list(state_path: Path, site: str | None = None, fmt: str = "table") -> int:
    """``campaigns list``: the campaigns in the state DB, oldest start first."""
    import typer

    campaigns = StateDB(state_path).list_campaigns(site=site)
    if fmt == "json":
        typer.echo(json.dumps([c.to_json_dict() for c in campaigns], indent=2))
        return 0
    if fmt != "table":
        typer.echo(f"error: unknown --format {fmt!r}; use table or json", err=True)
        return 2
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "channel", "start (UTC)", "audience", "utm_campaign", "status", "site")
    for c in campaigns:
        table.add_row(c.id, c.name, c.channel.value, c.start.strftime("%Y-%m-%d %H:%M"),
                      "" if c.audience is None else str(c.audience), c.utm_campaign or "", c.status.value, c.site)
    Console(width=160).print(table)
    return 0


def run_export(state_path: Path, fmt: str, out: Path | None = None, site: str | None = None) -> int:
    """``campaigns export``: all campaigns as ICS or JSON (the forms ``campaigns import`` reads back)."""
    import typer

    campaigns = StateDB(state_path).list_campaigns(site=site)
    if fmt == "ics":
        text = campaigns_to_ics(campaigns)
    elif fmt == "json":
        text = json.dumps([c.to_json_dict() for c in campaigns], indent=2) + "\n"
    else:
        typer.echo(f"error: unknown --format {fmt!r}; use ics or json", err=True)
        return 2
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            typer.echo(f"error: cannot write {out}: {exc.strerror or exc}", err=True)
            return 2
        typer.echo(f"{len(campaigns)} campaigns written to {out}", err=True)
    return 0
