"""Campaigns as iCalendar: one VEVENT each (SUMMARY, DTSTART/DTEND, CATEGORIES, X-SURGEWATCH-<FIELD>)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from slugify import slugify

from campaigns.model import (
    Campaign,
    CampaignError,
    Row,
    check_rows,
    check_size,
    nonexistent_local_time,
    row_of,
)


def _when(event: Any, key: str) -> datetime:
    """DTSTART or DTEND as an aware time; a ValueError says what is wrong with it in plain words."""
    value = event.decoded(key)
    tzid = event[key].params.get("TZID") if hasattr(event[key], "params") else None
    if isinstance(value, datetime):
        if value.tzinfo is None and tzid:
            raise ValueError(f"{key} has the unknown time zone TZID={str(tzid)[:60]!r}; use an IANA name such as "
                             "Europe/Paris or America/New_York, or write the time in UTC with Z")
        problem = nonexistent_local_time(value)
        if problem:
            raise ValueError(f"{key} {problem}")
        return value
    if isinstance(value, date):  # an all-day date: midnight UTC
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"{key} {str(value)[:40]!r} is not a date-time; write it as 20260301T090000Z")


def _event_data(event: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": str(event.get("SUMMARY", ""))}
    for key, target in (("DTSTART", "start"), ("DTEND", "end")):
        if key in event:
            data[target] = _when(event, key)
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

    check_size(text, name)
    try:
        cal = icalendar.Calendar.from_ical(text)
        events = cal.walk("VEVENT")
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise CampaignError(f"{name} is not a valid iCalendar file: {str(exc)[:200]}") from None
    check_rows(events, name)
    out: list[Row] = []
    for i, event in enumerate(events, start=1):
        summary = str(event.get("SUMMARY", ""))[:60] or "no SUMMARY"
        try:
            data = _event_data(event)
        except ValueError as exc:
            out.append(CampaignError(f"{name}, event {i} ({summary}): {exc}"))
            continue
        except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            out.append(CampaignError(f"{name}, event {i} ({summary}): unreadable event ({type(exc).__name__})"))
            continue
        out.append(row_of(data, f"{name}, event {i} ({summary})"))
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
