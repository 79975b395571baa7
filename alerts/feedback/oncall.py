"""On-call's side of incidents: list and show them, mark a verdict wrong, link a surge to a campaign.

A correction is stored as feedback in the state DB (with who and why, audited) and at once
on the incident itself, so pages and later detection runs show it, and it becomes the
label of that incident in the labelled history. A bot or mixed verdict corrected to a
people's one also stores the networks its block suggestion named, which later block
suggestions leave out (``alerts.judgement.people_networks``).
"""

from __future__ import annotations

from typing import Any

from alerts.incidents.model import VERDICTS, Incident, feedback_from_rows, iso
from alerts.judgement.people_networks import HUMAN_VERDICTS, NETWORKS
from auth.roles import Identity, Permission, require
from store.state import StateDB


class FeedbackError(ValueError):
    """The correction cannot be recorded; the message says why and what is allowed."""


def _incident(state: StateDB, incident_id: str) -> dict[str, Any]:
    found = state.get_incident(incident_id)
    if found is None:
        raise FeedbackError(f"no incident {incident_id!r}; `alerts list` shows the ids")
    return found


def correct(state: StateDB, incident_id: str, *, user: Identity, verdict: str | None = None,
            campaign: str | None = None, comment: str = "") -> Incident:
    """Record on-call's verdict and/or campaign for an incident (oncall or admin role; audited as ``user``);
    returns the incident as now stored. Raises ``auth.roles.Forbidden`` for another role."""
    require(user, Permission.INCIDENTS)
    who = user.audit_name
    data = _incident(state, incident_id)
    if verdict is not None and verdict not in VERDICTS:
        raise FeedbackError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    if campaign is not None:
        found = state.get_campaign(campaign) or next(
            (c for c in state.list_campaigns() if c.name.lower() == campaign.lower()), None)
        if found is None:
            known = ", ".join(c.id for c in state.list_campaigns()[-10:]) or "none announced"
            raise FeedbackError(f"no campaign {campaign!r} (recent ids: {known}); announce it first")
        campaign = found.name  # incidents name their campaign, as `analyze` does
    if verdict is not None:
        state.add_feedback(incident_id, user=who, kind="verdict", value=verdict, comment=comment)
        cidrs = (data.get("block") or {}).get("cidrs") or []
        if verdict in HUMAN_VERDICTS and data.get("verdict") in ("bot", "mixed") and cidrs:
            # The networks its block suggestion named carry people: never suggested again.
            state.add_feedback(incident_id, user=who, kind=NETWORKS, value=" ".join(cidrs),
                               comment="on-call said this surge was people's")
    if campaign is not None:
        state.add_feedback(incident_id, user=who, kind="campaign", value=campaign, comment=comment)
    inc = Incident.from_dict(data)
    inc.feedback = feedback_from_rows(state.feedback(incident_id))
    state.upsert_incident(inc.to_dict())
    return inc


def _when(value: Any) -> str:
    if isinstance(value, (int, float)):
        return iso(value)
    return str(value or "")


def rows(state: StateDB, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Incidents, newest first, as flat rows for a table or JSON."""
    out = []
    for d in state.list_incidents(status=status, limit=limit):
        inc = Incident.from_dict(d)
        out.append({"id": inc.id, "start": _when(d.get("start")), "end": _when(d.get("end")),
                    "verdict": inc.verdict, "confidence": inc.confidence, "campaign": inc.campaign,
                    "on_call": inc.final_verdict if inc.feedback and inc.feedback.verdict else None,
                    "on_call_campaign": inc.feedback.campaign if inc.feedback else None,
                    "peak_rps": inc.peak_rps, "status": inc.status})
    return out
