"""Campaign files: imports JSON, CSV and ICS campaign lists into the state DB, and lists or exports them.

Validation is ``store.campaigns``'s; this module applies it row by row so that one bad row
is reported (file, row or item, field, what is allowed) and rejected while every good row
is still imported. Re-importing a file updates campaigns with the same id and leaves
identical ones alone, so importing twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from store.campaigns import (
    FIELDS,
    Campaign,
    CampaignError,
    campaigns_from_ics,
    campaigns_to_ics,
    parse_campaign,
)
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


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CampaignError(f"cannot read campaign file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CampaignError(f"campaign file {path} is not UTF-8 text; save it as UTF-8 and try again") from None


def _json_rows(text: str, name: str) -> list[Campaign | CampaignError]:
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise CampaignError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("campaigns", [data])
    if not isinstance(data, list):
        raise CampaignError(f"{name} must hold a JSON list of campaign objects")
    out: list[Campaign | CampaignError] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            out.append(CampaignError(f"{name}, item {i}: expected an object with name, channel and start"))
            continue
        out.append(_parse(item, f"{name}, item {i}"))
    return out


def _csv_rows(text: str, name: str) -> list[Campaign | CampaignError]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in reader.fieldnames or "start" not in reader.fieldnames:
        raise CampaignError(f"{name}: the header must name at least the columns name and start "
                            f"(allowed columns: {', '.join(FIELDS)})")
    out: list[Campaign | CampaignError] = []
    for row_no, row in enumerate(reader, start=2):
        if None in row:
            out.append(CampaignError(f"{name}, row {row_no}: more values than header columns"))
            continue
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if values:
            out.append(_parse(values, f"{name}, row {row_no}"))
    return out


def _ics_rows(text: str, name: str) -> list[Campaign | CampaignError]:
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise CampaignError(f"{name} is not a valid iCalendar file: {exc}") from None
    out: list[Campaign | CampaignError] = []
    for i, event in enumerate(cal.walk("VEVENT"), start=1):
        single = icalendar.Calendar()
        single.add_component(event)
        try:
            out.extend(campaigns_from_ics(single.to_ical().decode(), name=name))
        except CampaignError as exc:  # the loader numbers events in the one-event calendar: put the real number
            out.append(CampaignError(str(exc).replace(f"{name}, event 1 ", f"{name}, event {i} ", 1)))
        except (ValueError, KeyError, TypeError) as exc:
            out.append(CampaignError(f"{name}, event {i}: unreadable event ({exc})"))
    return out


def _parse(data: dict, where: str) -> Campaign | CampaignError:
    try:
        return parse_campaign(data, where=where)
    except CampaignError as exc:
        return exc


READERS = {".json": _json_rows, ".csv": _csv_rows, ".ics": _ics_rows}


def read_rows(path: str | Path) -> list[Campaign | CampaignError]:
    """Each row, item or event of a campaign file: its campaign, or the error saying why it was rejected.

    Raises CampaignError when the file as a whole cannot be read (missing, not UTF-8, bad JSON/ICS, no header).
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise CampaignError(f"{path}: unknown campaign file type {path.suffix or '(none)'}; use .json, .csv or .ics")
    return reader(_text(path), str(path))


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

    state = StateDB(state_path)
    code = 0
    for path in files:
        try:
            result = import_file(state, path, site=site, user="cli")
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
