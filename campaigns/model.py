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


Row = Campaign | CampaignError  # one row, item or event: its campaign, or why it was rejected


def _row(data: dict[str, Any], where: str) -> Row:
    try:
        return parse_campaign(data, where=where)
    except CampaignError as exc:
        return exc
