"""The one campaign schema, shared by the state DB, the JSON/CSV/ICS files, the form and the CLIs.

A campaign is what marketing announces so that IT can tell its surge from an attack:
when it goes out (``start``), through which channel, to whom (``audience``, ``regions``)
and where it lands (``landing``, ``utm_campaign``). Times are stored in UTC.
Validation errors name the row and field and say which values are allowed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from slugify import slugify

from campaigns import bounds

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
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, use_enum_values=False, allow_inf_nan=True)

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
        if not 1 < v.year < 9999:  # converting year 1 or 9999 to UTC overflows
            raise ValueError(f"{v.year} is outside {bounds.EARLIEST:%Y}-{bounds.LATEST.year - 1}; check the year")
        return bounds.moment("time", v.astimezone(UTC))

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
            if len(path) > bounds.PATH_MAX or any(ch.isspace() or ord(ch) < 32 for ch in path):
                raise ValueError(f"landing path {path[:40]!r}… must be a URL path of at most {bounds.PATH_MAX} "
                                 "characters without spaces")
        return v

    @field_validator("regions", "landing", mode="after")
    @classmethod
    def _list_size(cls, v: list[str], info: Any) -> list[str]:
        most = bounds.LIST_MAX[info.field_name]
        if len(v) > most:
            raise ValueError(f"{len(v)} entries; at most {most} are allowed")
        return v

    @field_validator("name", "owner", "utm_campaign", "site", mode="after")
    @classmethod
    def _text(cls, v: str | None, info: Any) -> str | None:
        return bounds.text(info.field_name, v)

    @field_validator("id", mode="after")
    @classmethod
    def _id(cls, v: str) -> str:
        if v and not bounds.ID_PATTERN.match(v):
            raise ValueError(f"id {v[:70]!r} is not a safe id: use {bounds.ID_RULE} (or leave it out to derive "
                             "one from the name)")
        return v

    @field_validator("audience", mode="after")
    @classmethod
    def _audience(cls, v: int | None) -> int | None:
        return bounds.check("audience", v)

    @field_validator("spend", mode="after")
    @classmethod
    def _spend(cls, v: float | None) -> float | None:
        return bounds.check("spend", v)

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
            self.id = slugify(self.name, max_length=bounds.TEXT_MAX["id"], word_boundary=False) or "campaign"
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        if self.end is not None and self.end - self.start > bounds.LONGEST:
            raise ValueError(f"runs {(self.end - self.start).days} days; a campaign may run at most "
                             f"{bounds.LONGEST.days} days (split a longer one)")
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
    unknown = sorted(str(k)[:40] for k in set(data) - set(FIELDS))
    if unknown:
        log.warning("%s: ignoring unknown field(s) %s", where, ", ".join(map(repr, unknown[:10])))
    try:
        return Campaign.model_validate(data)
    except ValidationError as exc:
        raise CampaignError(f"{where}: {_describe(exc)}") from None
    except (ArithmeticError, RecursionError, TypeError, ValueError) as exc:  # a value pydantic could not even hold
        raise CampaignError(f"{where}: a value cannot be read ({type(exc).__name__}); check the row") from None


Row = Campaign | CampaignError  # one row, item or event: its campaign, or why it was rejected


def row_of(data: dict[str, Any], where: str) -> Row:
    """One row's campaign, or the CampaignError that says why it was rejected (never raises)."""
    try:
        return parse_campaign(data, where=where)
    except CampaignError as exc:
        return exc


def check_size(text: str, name: str) -> None:
    """Refuse a whole file beyond the bounds (its size), before any row is read."""
    if len(text) > bounds.FILE_MAX_BYTES:
        raise CampaignError(f"{name} is {len(text) / 1e6:.1f} MB; a campaign file may be at most "
                            f"{bounds.FILE_MAX_BYTES // (1024 * 1024)} MB (split it)")


def check_rows(rows: list[Any], name: str) -> None:
    """Refuse a whole file with more campaigns than one import takes."""
    if len(rows) > bounds.ROWS_MAX:
        raise CampaignError(f"{name} holds {len(rows)} campaigns; one file may hold at most {bounds.ROWS_MAX} "
                            "(split it)")


def nonexistent_local_time(value: datetime) -> str | None:
    """Why a wall-clock time in its zone does not exist (skipped by a DST change), or None when it does."""
    if value.tzinfo is None:
        return None
    back = value.astimezone(UTC).astimezone(value.tzinfo)
    if back.replace(tzinfo=None) != value.replace(tzinfo=None):
        return (f"{value:%Y-%m-%d %H:%M} does not exist in {value.tzinfo} (the clocks skip it for daylight "
                f"saving); pick a time before or after the change")
    return None


DEFAULT_WINDOW_HOURS = 12  # a campaign without an end is followed this long after its start


def window_of(c: Campaign) -> tuple[int, int]:
    """The campaign's window in epoch seconds: its start to its end, or 12 hours after the start."""
    start = int(c.start.timestamp())
    end = int(c.end.timestamp()) if c.end is not None else start + DEFAULT_WINDOW_HOURS * 3600
    return start, max(end, start + 1)
