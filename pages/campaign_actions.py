"""What the Campaigns page changes: announce or edit a campaign, cancel one, import an uploaded file.

Every change first checks the signed-in identity's role (``auth.roles``: marketing or admin), then
goes through the one campaign schema (``campaigns.model``) and the state DB, which audits it with
that identity (never a typed name); the worker reads the calendar at each detection run, so IT sees
a change at its next run. Bad input comes back as messages naming the field (or the file's row),
never as an exception from deep inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from auth.roles import Identity, Permission, require
from campaigns.files import ROW_READERS
from campaigns.model import Campaign, CampaignError, Row, field_problems
from store.state import StateDB

LABELS = {"name": "Name", "channel": "Channel", "start": "Start", "end": "End", "audience": "Audience size",
          "regions": "Regions", "landing": "Landing paths", "utm_campaign": "utm_campaign", "spend": "Spend",
          "currency": "Currency", "owner": "Owner", "site": "Site", "status": "Status", "campaign": "Campaign"}


class FormError(ValueError):
    """The form cannot be saved; ``problems`` are plain sentences, each naming its field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class CampaignForm:
    """What the announce form holds: local dates and times in the dashboard's time zone, lists as text."""

    name: str
    start_date: date | None
    start_time: time | None
    owner: str
    channel: str = "other"
    end_date: date | None = None
    end_time: time | None = None
    audience: int | None = None
    regions: list[str] = field(default_factory=list)
    landing: str = ""
    utm_campaign: str = ""
    spend: float | None = None
    currency: str | None = None
    status: str = "planned"
    site: str = "default"
    id: str = ""  # set when editing: the campaign keeps its id even when renamed


def _utc(day: date | None, at: time | None, tz: str) -> datetime | None:
    if day is None or at is None:
        return None
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=ZoneInfo(tz))


def to_campaign(form: CampaignForm, tz: str) -> Campaign:
    """Validate the form through the campaign schema, converting its local times in ``tz`` to UTC."""
    problems = []
    if not form.name.strip():
        problems.append("Name: give the campaign a name, e.g. Spring Sale APAC.")
    if not form.owner.strip():
        problems.append("Owner: the campaign needs an owner.")
    if form.start_date is None or form.start_time is None:
        problems.append("Start: choose the date and the time the campaign goes out.")
    if (form.end_date is None) != (form.end_time is None):
        problems.append("End: choose both a date and a time, or neither for a campaign without a set end.")
    if problems:
        raise FormError(problems)
    start, end = _utc(form.start_date, form.start_time, tz), _utc(form.end_date, form.end_time, tz)
    data = {"id": form.id, "name": form.name, "channel": form.channel, "start": start, "end": end,
            "audience": form.audience, "regions": form.regions,
            "landing": form.landing, "utm_campaign": form.utm_campaign, "spend": form.spend,
            "currency": form.currency or "", "owner": form.owner, "site": form.site, "status": form.status}
    try:
        return Campaign.model_validate(data)
    except ValidationError as exc:
        raise FormError([f"{LABELS.get(where.split('.')[0], where)}: {msg}"
                         for where, msg in field_problems(exc)]) from None


def save(state: StateDB, form: CampaignForm, tz: str, *, user: Identity) -> tuple[Campaign, bool]:
    """Store the announced or edited campaign (audited as ``user``); returns it and whether it is new.

    A new campaign whose name another one already has gets the start's date and time in its id,
    so announcing this week's "Newsletter" never overwrites last week's.
    """
    require(user, Permission.CAMPAIGNS)
    campaign = to_campaign(form, tz)
    created = not form.id
    if created and state.get_campaign(campaign.id) is not None:
        unique = f"{campaign.id}-{campaign.start:%Y%m%d-%H%M}"
        if state.get_campaign(unique) is not None:
            raise FormError([f"Name: a campaign {campaign.name!r} starting at that time is already announced; "
                             "pick it under 'Campaign' above to edit it."])
        campaign = campaign.model_copy(update={"id": unique})
    if not created and state.get_campaign(form.id) is None:
        raise FormError([f"Campaign: {form.id!r} is no longer in the calendar; announce it as a new campaign."])
    state.upsert_campaign(campaign, user=user.audit_name)
    return campaign, created


def cancel(state: StateDB, campaign_id: str, *, user: Identity) -> Campaign:
    """Mark a campaign cancelled, audited as ``user``; detection stops expecting its surge."""
    require(user, Permission.CAMPAIGNS)
    found = state.cancel_campaign(campaign_id, user=user.audit_name)
    if found is None:
        raise FormError([f"Campaign: {campaign_id!r} is no longer in the calendar."])
    return found


def read_upload(filename: str, data: bytes) -> list[Row]:
    """The rows of an uploaded campaign file (JSON, CSV or ICS by extension): each a campaign or why not.

    Raises CampaignError when the whole file is unreadable (wrong type, not UTF-8, broken JSON/ICS/header).
    """
    suffix = PurePath(filename).suffix.lower()
    reader = ROW_READERS.get(suffix)
    if reader is None:
        raise CampaignError(f"{filename}: unknown campaign file type {suffix or '(none)'}; upload .json, .csv or "
                            ".ics (the CSV template shows the columns)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CampaignError(f"{filename} is not UTF-8 text; save it as UTF-8 and upload it again") from None
    return reader(text, name=filename)


@dataclass
class Imported:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} imported, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def import_rows(state: StateDB, rows: list[Row], *, user: Identity) -> Imported:
    """Store the good rows (audited as ``user``, who becomes the owner of rows naming none); bad rows are skipped.

    Importing the same file twice changes nothing: identical campaigns are left alone.
    """
    require(user, Permission.CAMPAIGNS)
    done = Imported()
    for row in rows:
        if isinstance(row, CampaignError):
            continue
        campaign = row if row.owner else row.model_copy(update={"owner": user.name})
        old = state.get_campaign(campaign.id)
        if old == campaign:
            done.unchanged.append(campaign.id)
            continue
        state.upsert_campaign(campaign, user=user.audit_name)
        (done.created if old is None else done.updated).append(campaign.id)
    return done
