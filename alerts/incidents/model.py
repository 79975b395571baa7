"""The incident record: one distinct surge of one site, its verdict, evidence and feedback.

Live detection upserts incidents through an ``IncidentSink`` (the state DB implements
it), keyed by a stable id (site + surge start), so a growing surge updates its incident
instead of opening a new one. On-call feedback (verdict marked wrong, the surge linked
to a campaign) is data on the incident, kept across updates and used as labelled history.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

VERDICTS = ("campaign", "organic", "bot", "mixed")


def iso(epoch: float) -> str:
    """ISO 8601 UTC with Z, whole seconds."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(epoch: float) -> str:
    """A time as evidence sentences say it: ``08:16:20 UTC`` (the incident gives the day)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%H:%M:%S UTC")


@dataclass
class Feedback:
    """A correction by on-call: the right verdict and/or the campaign behind the surge."""

    verdict: str | None = None
    campaign: str | None = None
    note: str = ""
    by: str = ""
    at: float = 0.0

    def __post_init__(self) -> None:
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")


@dataclass
class Incident:
    id: str
    site: str
    start: int                 # epoch seconds, start of the first bucket of the surge
    end: int                   # end of the last bucket above baseline
    peak_rps: float
    baseline_rps: float
    verdict: str
    confidence: float
    campaign: str | None
    evidence: list[str]
    block: dict[str, Any] | None = None   # BlockSuggestion.to_dict() for bot / mixed
    updated_at: float = 0.0
    status: str = "open"                  # open while the surge goes on, then closed
    detected_at: int = 0
    bot_share: float = 0.0
    looks_like: str | None = None
    peak_time: int = 0
    trigger: str = "total"
    feedback: Feedback | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def make_id(site: str, start: int) -> str:
        return f"{site}-{iso(start).replace(':', '').replace('-', '')}"

    @property
    def final_verdict(self) -> str:
        """The verdict on-call confirmed or corrected, else the detector's."""
        return self.feedback.verdict if self.feedback and self.feedback.verdict else self.verdict

    @property
    def final_campaign(self) -> str | None:
        return self.feedback.campaign if self.feedback and self.feedback.campaign else self.campaign

    def with_feedback(self, verdict: str | None = None, campaign: str | None = None, note: str = "",
                      by: str = "") -> Incident:
        """Record a correction; the detector's own verdict stays for comparison."""
        self.feedback = Feedback(verdict, campaign, note, by, time.time())
        self.updated_at = time.time()
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["feedback"] = asdict(self.feedback) if self.feedback else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Incident:
        d = dict(d)
        fb = d.pop("feedback", None)
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        inc = cls(**known)
        inc.feedback = Feedback(**fb) if fb else None
        inc.evidence = list(inc.evidence)
        return inc

    def to_report(self) -> dict[str, Any]:
        """The ``analyze --format json`` entry (contract keys first, extras after)."""
        return {
            "start": iso(self.start), "end": iso(self.end), "peak_rps": round(self.peak_rps, 2),
            "baseline_rps": round(self.baseline_rps, 2), "verdict": self.verdict,
            "confidence": round(self.confidence, 2), "campaign": self.campaign, "evidence": self.evidence,
            "bot_share": round(self.bot_share, 3), "looks_like": self.looks_like, "block": self.block,
            "detected_at": iso(self.detected_at), "trigger": self.trigger,
        }


def feedback_from_rows(rows: list[dict[str, Any]]) -> Feedback | None:
    """Fold the state DB's feedback rows (kind verdict / campaign, oldest first) into one Feedback."""
    fb: Feedback | None = None
    for row in rows:
        kind, value = row.get("kind"), row.get("value")
        if kind not in ("verdict", "campaign") or not value:
            continue
        fb = fb or Feedback()
        if kind == "verdict" and value in VERDICTS:
            fb.verdict = value
        elif kind == "campaign":
            fb.campaign = value
        fb.note = row.get("comment") or fb.note
        fb.by = row.get("user") or fb.by
        at = row.get("at")
        fb.at = at.timestamp() if isinstance(at, datetime) else float(at or 0.0)
    return fb


def labelled_history(incidents: list[dict[str, Any]]) -> list[tuple[Incident, str]]:
    """Past incidents with the verdict to learn from: on-call's correction where there is one."""
    out = []
    for d in incidents:
        inc = Incident.from_dict(d)
        out.append((inc, inc.final_verdict))
    return out


class IncidentSink(Protocol):
    """Where live incidents go; ``store.state.StateDB`` implements it.

    Incidents cross it as ``Incident.to_dict()`` dicts, so the sink needs no alerts import.
    """

    def upsert(self, incident: dict[str, Any]) -> None:
        """Insert, or replace the incident with the same id."""

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        """The stored incident with this id, or None."""


class MemoryIncidentSink:
    """Incidents kept in a dict: for offline runs and tests of the upsert contract."""

    def __init__(self) -> None:
        self.incidents: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def upsert(self, incident: dict[str, Any]) -> None:
        self.incidents[incident["id"]] = dict(incident)
        self.writes += 1

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        inc = self.incidents.get(incident_id)
        return dict(inc) if inc else None
