"""Campaigns as iCalendar: one VEVENT each (SUMMARY, DTSTART/DTEND, CATEGORIES, X-SURGEWATCH-<FIELD>)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slugify import slugify

from campaigns.model import Campaign, CampaignError, Row, _row


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
