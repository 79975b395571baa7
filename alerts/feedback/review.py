"""How the detector did by on-call's word: its verdicts against their corrections (the labelled history).

``alerts review`` reads the incidents of the last days with their labels (on-call's verdict
where they corrected one, the detector's own where they let it stand) and prints a confusion
table, the agreement, and the two mistakes that matter most: people's surges the detector
called ``bot`` (customers blocked) and attacks it called people's. ``--format csv`` exports
the labelled incidents with the numbers behind each verdict, to tune thresholds on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerts.incidents.model import VERDICTS, Incident, iso, labelled_history
from alerts.judgement.people_networks import HUMAN_VERDICTS

ATTACK_VERDICTS = ("bot", "mixed")
EXPORT_NUMBERS = ("confidence", "bot_share", "peak_rps", "baseline_rps")
EXPORT_EXTRA = ("human_ratio", "automated_ratio", "automated_rate", "excess")


@dataclass
class Review:
    incidents: int = 0
    corrected: int = 0
    table: dict[str, dict[str, int]] = field(default_factory=dict)  # detector verdict -> label -> count
    people_called_bot: list[str] = field(default_factory=list)
    attacks_called_people: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        """Share of the incidents whose label (corrected or not) is the detector's verdict."""
        if not self.incidents:
            return None
        same = sum(self.table.get(v, {}).get(v, 0) for v in VERDICTS)
        return same / self.incidents

    def to_dict(self) -> dict[str, Any]:
        return {"incidents": self.incidents, "corrected": self.corrected, "agreement": self.agreement,
                "table": self.table, "people_called_bot": self.people_called_bot,
                "attacks_called_people": self.attacks_called_people}


def review(incidents: list[dict[str, Any]]) -> Review:
    """The review of these incidents (surges only; drops and error bursts have no verdict to judge)."""
    out = Review()
    for inc, label in labelled_history([d for d in incidents if d.get("verdict") in VERDICTS]):
        corrected = bool(inc.feedback and inc.feedback.verdict and inc.feedback.verdict != inc.verdict)
        out.incidents += 1
        out.corrected += corrected
        out.table.setdefault(inc.verdict, {}).setdefault(label, 0)
        out.table[inc.verdict][label] += 1
        if inc.verdict == "bot" and label in HUMAN_VERDICTS:
            out.people_called_bot.append(inc.id)
        if inc.verdict in HUMAN_VERDICTS and label in ATTACK_VERDICTS:
            out.attacks_called_people.append(inc.id)
        out.rows.append(_row(inc, label, corrected))
    return out


def _row(inc: Incident, label: str, corrected: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"id": inc.id, "site": inc.site, "start": iso(inc.start), "verdict": inc.verdict,
                           "label": label, "corrected": corrected, "campaign": inc.campaign,
                           "label_campaign": inc.final_campaign, "looks_like": inc.looks_like}
    row |= {k: round(float(getattr(inc, k)), 3) for k in EXPORT_NUMBERS}
    row |= {k: inc.extra.get(k) for k in EXPORT_EXTRA}
    return row
