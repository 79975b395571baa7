"""The one campaign schema, shared by the state DB, JSON/CSV/ICS import, the form and the CLIs.

A campaign is what marketing announces so that IT can tell its surge from an attack:
when it goes out (``start``), through which channel, to whom (``audience``, ``regions``)
and where it lands (``landing``, ``utm_campaign``). Times are stored in UTC.
Validation errors name the row and field and say which values are allowed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from slugify import slugify

log = logging.getLogger(__name__)


class Channel(StrEnum):
    EMAIL = "email"
    SOCIAL = "social"
    PUSH = "push"
    SMS = "sms"
    ADS = "ads"
    PRESS = "press"
    OTHER = "other"


class Status(StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    CANCELLED = "cancelled"


# ISO 3166-1 alpha-2 codes people commonly get wrong, with the right one.
_REGION_FIXES = {"UK": "GB", "EL": "GR"}
FIELDS = (
    "id", "name", "channel", "start", "end", "audience", "regions", "landing", "utm_campaign",
    "spend", "currency", "owner", "site", "status",
)


class CampaignError(ValueError):
    """A campaign file or row could not be read; the message names the input, row and field."""


class Campaign(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, use_enum_values=False)

    id: str = ""
    name: str
    channel: Channel = Channel.OTHER
    start: datetime
    end: datetime | None = None
    audience: int | None = None
    regions: list[str] = []
    landing: list[str] = []
    utm_campaign: str | None = None
    spend: float | None = None
    currency: str | None = None
    owner: str = ""
    site: str = "default"
    status: Status = Status.PLANNED

    @field_validator("start", "end", mode="after")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None:
            raise ValueError("needs a time zone: write it as ISO 8601 with an offset or Z, e.g. 2026-03-01T09:00:00Z")
        return v.astimezone(UTC)

    @field_validator("regions", "landing", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            return [part.strip() for part in v.replace(",", ";").split(";") if part.strip()]
        return v

    @field_validator("regions", mode="after")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        out = []
        for code in v:
            code = _REGION_FIXES.get(code.upper(), code.upper())
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (two letters, e.g. GB, JP)")
            out.append(code)
        return out

    @field_validator("landing", mode="after")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for path in v:
            if not path.startswith("/"):
                raise ValueError(f"landing path {path!r} must start with '/', e.g. /spring-sale")
        return v

    @field_validator("audience", "spend", mode="before")
    @classmethod
    def _blank_number(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("end", "utm_campaign", "currency", mode="before")
    @classmethod
    def _blank(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("currency", mode="after")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        if v is not None and (len(v) != 3 or not v.isalpha()):
            raise ValueError(f"{v!r} is not an ISO 4217 currency code (three letters, e.g. EUR)")
        return v.upper() if v else v

    @model_validator(mode="after")
    def _derive(self) -> Campaign:
        if not self.id:
            self.id = slugify(self.name) or "campaign"
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        if self.audience is not None and self.audience < 0:
            raise ValueError("audience cannot be negative")
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """The campaign in the JSON import/export form (times ISO 8601 UTC with Z)."""
        d = self.model_dump(mode="json")
        for key in ("start", "end"):
            value = getattr(self, key)
            d[key] = value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
        return d


def field_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """Each validation error as (field, message in plain words); the field is "campaign" for whole-row checks."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "campaign"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "enum":
            msg += f" (got {err['input']!r})"
        parts.append((where, msg))
    return parts


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{where}: {msg}" for where, msg in field_problems(exc))


def parse_campaign(data: dict[str, Any], *, where: str = "campaign") -> Campaign:
    """Validate one campaign; unknown fields are ignored with a warning."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        log.warning("%s: ignoring unknown field(s) %s", where, ", ".join(unknown))
    try:
        return Campaign.model_validate(data)
    except ValidationError as exc:
        raise CampaignError(f"{where}: {_describe(exc)}") from None


def _read(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CampaignError(f"cannot read campaign file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CampaignError(f"campaign file {path} is not UTF-8 text; save it as UTF-8 and try again") from None


Row = Campaign | CampaignError  # one row, item or event: its campaign, or why it was rejected


def _row(data: dict[str, Any], where: str) -> Row:
    try:
        return parse_campaign(data, where=where)
    except CampaignError as exc:
        return exc


def rows_from_json(text: str, *, name: str = "campaigns JSON") -> list[Row]:
    """Each item of a JSON campaign list; raises CampaignError when the whole file is unreadable."""
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise CampaignError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("campaigns", [data])
    if not isinstance(data, list):
        raise CampaignError(f"{name} must hold a JSON list of campaign objects")
    return [_row(item, f"{name}, item {i}") if isinstance(item, dict)
            else CampaignError(f"{name}, item {i}: expected an object with name, channel and start")
            for i, item in enumerate(data, start=1)]


def rows_from_csv(text: str, *, name: str = "campaigns CSV") -> list[Row]:
    """Each row of a CSV campaign list (lists separated by ``;``)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in reader.fieldnames or "start" not in reader.fieldnames:
        raise CampaignError(f"{name}: the header must name at least the columns name and start "
                            f"(allowed columns: {', '.join(FIELDS)})")
    out: list[Row] = []
    for row_no, row in enumerate(reader, start=2):
        if None in row:
            out.append(CampaignError(f"{name}, row {row_no}: more values than header columns"))
            continue
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if values:
            out.append(_row(values, f"{name}, row {row_no}"))
    return out


def _event_data(event: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": str(event.get("SUMMARY", ""))}
    for key, target in (("DTSTART", "start"), ("DTEND", "end")):
        if key in event:
            value = event.decoded(key)
            if isinstance(value, datetime):
                data[target] = value
            else:  # an all-day date: midnight UTC
                data[target] = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if "CATEGORIES" in event:
        cats = event["CATEGORIES"]
        cats = cats[0] if isinstance(cats, list) else cats
        first = cats.cats[0] if getattr(cats, "cats", None) else str(cats)
        data["channel"] = str(first).lower()
    for prop, value in event.property_items():
        if prop.startswith("X-SURGEWATCH-"):
            data[prop.removeprefix("X-SURGEWATCH-").lower().replace("-", "_")] = str(value)
    if "UID" in event and "id" not in data:
        data["id"] = slugify(str(event["UID"]).split("@")[0])
    return data


def rows_from_ics(text: str, *, name: str = "campaigns ICS") -> list[Row]:
    """Each VEVENT of an iCalendar file: SUMMARY, DTSTART/DTEND, CATEGORIES, X-SURGEWATCH-<FIELD>."""
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise CampaignError(f"{name} is not a valid iCalendar file: {exc}") from None
    out: list[Row] = []
    for i, event in enumerate(cal.walk("VEVENT"), start=1):
        try:
            data = _event_data(event)
        except (ValueError, KeyError, TypeError) as exc:
            out.append(CampaignError(f"{name}, event {i}: unreadable event ({exc})"))
            continue
        out.append(_row(data, f"{name}, event {i} ({data['name'] or 'no SUMMARY'})"))
    return out


ROW_READERS = {".json": rows_from_json, ".csv": rows_from_csv, ".ics": rows_from_ics}


def read_rows(path: str | Path) -> list[Row]:
    """Each row, item or event of a campaign file by its extension; CampaignError when the file is unreadable."""
    path = Path(path)
    reader = ROW_READERS.get(path.suffix.lower())
    if reader is None:
        raise CampaignError(f"{path}: unknown campaign file type {path.suffix or '(none)'}; use .json, .csv or .ics")
    return reader(_read(path), name=str(path))


def _strict(rows: list[Row]) -> list[Campaign]:
    for row in rows:
        if isinstance(row, CampaignError):
            raise row
    return rows  # type: ignore[return-value]


def campaigns_from_json(text: str, *, name: str = "campaigns JSON") -> list[Campaign]:
    return _strict(rows_from_json(text, name=name))


def campaigns_from_csv(text: str, *, name: str = "campaigns CSV") -> list[Campaign]:
    return _strict(rows_from_csv(text, name=name))


def campaigns_from_ics(text: str, *, name: str = "campaigns ICS") -> list[Campaign]:
    return _strict(rows_from_ics(text, name=name))


def load_campaigns_json(path: str | Path) -> list[Campaign]:
    return campaigns_from_json(_read(Path(path)), name=str(path))


def load_campaigns_csv(path: str | Path) -> list[Campaign]:
    return campaigns_from_csv(_read(Path(path)), name=str(path))


def load_campaigns_ics(path: str | Path) -> list[Campaign]:
    return campaigns_from_ics(_read(Path(path)), name=str(path))


def load_campaigns(path: str | Path) -> list[Campaign]:
    """Load a campaign file by its extension (.json, .csv, .ics); the first bad row raises CampaignError."""
    return _strict(read_rows(path))


def campaigns_to_ics(campaigns: list[Campaign]) -> str:
    """Export campaigns as an iCalendar file (the form ICS import reads back)."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Surgewatch//campaign calendar//EN")
    cal.add("version", "2.0")
    for c in campaigns:
        ev = icalendar.Event()
        ev.add("uid", f"{c.id}@surgewatch")
        ev.add("summary", c.name)
        ev.add("dtstart", c.start)
        if c.end:
            ev.add("dtend", c.end)
        ev.add("categories", [c.channel.value])
        for key in ("audience", "regions", "landing", "utm_campaign", "spend", "currency", "owner", "site", "status"):
            value = getattr(c, key)
            if value in (None, [], ""):
                continue
            if isinstance(value, list):
                value = ";".join(value)
            ev.add(f"X-SURGEWATCH-{key.upper().replace('_', '-')}", str(getattr(value, "value", value)))
        cal.add_component(ev)
    return cal.to_ical().decode()


def campaigns_to_json(campaigns: list[Campaign]) -> str:
    """Export campaigns as a JSON list (the form JSON import reads back)."""
    return json.dumps([c.to_json_dict() for c in campaigns], indent=2) + "\n"


def campaigns_to_csv(campaigns: list[Campaign]) -> str:
    """Export campaigns as CSV, one column per field, lists joined by ``;`` (the form CSV import reads back)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in campaigns:
        row = c.to_json_dict()
        writer.writerow({k: ";".join(v) if isinstance(v, list) else "" if v is None else v
                         for k, v in row.items() if k in FIELDS})
    return out.getvalue()


def now_utc() -> datetime:
    return datetime.now(UTC)
