"""On-call's silences: hold back notifications of matching incidents (and campaign reminders) for a while.

A silence is a set of label matchers (``site``, ``verdict``, ``severity``, ``incident``,
``alertname``, and ``campaign`` for the reminders ahead of a campaign, as the notifications
carry them) and a time span, stored and audited in the state DB; ``alerts.notify.dispatch`` consults
it before sending. ``alerts silence`` adds one, ``alerts silences`` lists those in force.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from auth.roles import Identity, Permission, require
from store.state import StateDB

LABELS = ("site", "verdict", "severity", "incident", "alertname", "campaign")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


class SilenceError(ValueError):
    """The silence cannot be added; the message says why and what is allowed."""


def parse_matchers(items: list[str]) -> dict[str, str]:
    """``["site=shop.example.com", "verdict=campaign"]`` as a dict; unknown labels are refused."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise SilenceError(f"matcher {item!r} is not label=value (e.g. site=shop.example.com)")
        if key not in LABELS:
            raise SilenceError(f"unknown label {key!r} in {item!r}; use one of {', '.join(LABELS)}")
        out[key] = value
    if not out:
        raise SilenceError("give at least one --match label=value; a silence of everything is refused")
    return out


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1.5d`` as a timedelta (at most 30 days)."""
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise SilenceError(f"duration {text!r} is not a number with m, h or d (e.g. 30m, 2h, 1d)")
    span = timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    if not timedelta(0) < span <= timedelta(days=30):
        raise SilenceError(f"duration {text!r} must be more than 0 and at most 30d")
    return span


def add(state: StateDB, matchers: list[str], duration: str, *, user: Identity, comment: str = "",
        now: datetime | None = None) -> tuple[int, dict[str, str], datetime]:
    """Store a silence from now for ``duration`` (oncall or admin role; audited as ``user``); returns its id,
    matchers and end. Raises ``auth.roles.Forbidden`` for another role."""
    require(user, Permission.SILENCES)
    labels = parse_matchers(matchers)
    starts = now or datetime.now(UTC)
    ends = starts + parse_duration(duration)
    return state.add_silence(labels, starts, ends, user=user.audit_name, comment=comment), labels, ends
