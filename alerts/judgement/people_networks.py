"""Networks on-call said carry people: never suggested for blocking again.

When on-call marks a ``bot`` or ``mixed`` verdict wrong (the surge was a campaign's or
organic), the networks its block suggestion named are people's: the correction stores them
(``alerts.feedback.oncall.correct``). Later block suggestions, on every site, leave them out and say
so, so a labelled mistake protects the same customers the next time. Marking the verdict
``bot`` again takes them back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

HUMAN_VERDICTS = ("campaign", "organic")
NETWORKS = "networks"  # the feedback kind holding them


@dataclass
class PeopleNetworks:
    """Networks (v4/v6 CIDRs) with the incident whose correction taught each."""

    taught: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.taught)

    def covering(self, prefix: str) -> str | None:
        """The incident that taught a network holding ``prefix`` (a /24 or /48), or None."""
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            return None
        for known, incident in self.taught.items():
            if known.version == net.version and net.subnet_of(known):  # type: ignore[arg-type]
                return incident
        return None

    @classmethod
    def from_feedback(cls, rows: list[dict[str, Any]]) -> PeopleNetworks:
        """From the state DB's feedback rows (oldest first): per incident, its latest networks row counts
        while its latest verdict row is a people's verdict."""
        latest: dict[str, dict[str, str]] = {}
        for row in rows:
            if row.get("kind") in ("verdict", NETWORKS) and row.get("value"):
                latest.setdefault(str(row["incident_id"]), {})[str(row["kind"])] = str(row["value"])
        out = cls()
        for incident, said in latest.items():
            if said.get("verdict") not in HUMAN_VERDICTS:
                continue
            for cidr in said.get(NETWORKS, "").split():
                try:
                    out.taught[ipaddress.ip_network(cidr, strict=False)] = incident
                except ValueError:
                    continue
        return out


def people_networks(state: Any) -> PeopleNetworks:
    """What the state DB's corrections taught (empty for a sink without feedback)."""
    rows = getattr(state, "feedback", None)
    return PeopleNetworks.from_feedback(rows()) if callable(rows) else PeopleNetworks()
