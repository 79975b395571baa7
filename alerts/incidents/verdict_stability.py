"""The live verdict holds still: it moves to or from ``bot`` only on sustained evidence.

The worker re-judges a growing surge every 10 s, and the numbers of a young surge waver: an
email send's first minute is link scanners, a login attack starts small. On-call acts on the
verdict shown (a ``bot`` verdict gets networks blocked), so the shown verdict changes only when
the new reading has lasted (``NEEDS`` evaluations in a row), and a reading that is only just
past a threshold keeps the verdict it had (hysteresis on the verdict, not just on the spike).
A ``bot`` reading is never shown while an announced email send explains the automated part,
and a new incident opens as ``bot`` only when automated clients clearly carry it; otherwise
it opens on the people's reading (campaign / organic) with the lean said in its evidence.
"""

from __future__ import annotations

from typing import Any

from alerts.incidents.model import Incident
from alerts.judgement.classify import SURGE_RATIO
from alerts.judgement.verdict import BOT_SHARE, MIXED_SHARE

SIDE = {"bot": "bot", "mixed": "mixed", "campaign": "human", "organic": "human"}
# (shown side, new side) -> evaluations in a row the new reading must last before it is shown
NEEDS = {("human", "bot"): 3, ("mixed", "bot"): 3, ("bot", "human"): 3, ("bot", "mixed"): 2,
         ("human", "mixed"): 2, ("mixed", "human"): 3}
MARGIN = 0.25          # a reading within this fraction of a threshold keeps the verdict shown
STRONG_BOT_SHARE = 0.85
STRONG_AUTOMATED_RATIO = 0.3
STRONG_AUTOMATED_RATE = 1.0
HELD_FIELDS = ("verdict", "confidence", "campaign", "evidence", "looks_like")
KEPT_FIELDS = HELD_FIELDS + ("block", "bot_share")


def _to_human_side(inc: Incident, why: str) -> None:
    alt = inc.extra.get("alternative")
    if alt:
        for f in HELD_FIELDS:
            setattr(inc, f, alt[f] if f != "evidence" else list(alt[f]))
    else:
        inc.verdict = "campaign" if inc.campaign else "organic"
    inc.block = None
    inc.evidence.append(why)


def _keep_previous(inc: Incident, prev: dict[str, Any], raw: str) -> None:
    for f in KEPT_FIELDS:
        if f in prev:
            setattr(inc, f, prev[f] if f != "evidence" else [e for e in prev[f] if not e.startswith("Held:")])
    inc.evidence.append(f"Held: the latest reading says {raw} ({inc.extra.get('bot_share_now', 0):.0%} automated), "
                        f"not yet for long enough to change the verdict")


def _near_previous(side: str, inc: Incident) -> bool:
    """The new reading is within the margin of the shown side's thresholds."""
    share = inc.extra.get("bot_share_now", inc.bot_share)
    human = inc.extra.get("human_ratio", 0.0)
    if side == "bot":
        return share >= BOT_SHARE * (1 - MARGIN) and human < SURGE_RATIO * (1 + MARGIN)
    if side == "mixed":
        return share >= MIXED_SHARE * (1 - MARGIN) and human >= SURGE_RATIO * (1 - MARGIN)
    return share < MIXED_SHARE * (1 + MARGIN) and human >= SURGE_RATIO * (1 - MARGIN)


def settle(inc: Incident, prev: dict[str, Any] | None) -> Incident:
    """The verdict to show for ``inc`` (just judged) given the stored incident ``prev``; updates ``inc``."""
    raw = inc.verdict
    inc.extra["raw_verdict"] = raw
    inc.extra["bot_share_now"] = inc.bot_share
    side = SIDE.get(raw, "human")
    if raw == "bot" and inc.extra.get("send_of"):
        _to_human_side(inc, f"Automated requests come with the send of {inc.extra['send_of']}: its mail link "
                            "scanners, not an attack")
        side = "human"
    trail = (prev or {}).get("extra", {}).get("trail") or {}
    if trail.get("side") != side:
        n = 1
    elif trail.get("at") == inc.end:  # the same buckets judged again: not a new evaluation
        n = int(trail.get("n", 1))
    else:
        n = min(int(trail.get("n", 0)) + 1, max(NEEDS.values()))
    inc.extra["trail"] = {"side": side, "n": n, "at": inc.end}
    if prev is None:
        # Clearly carried by programs: most of the extra, and either a sizeable share of a 5-minute
        # surge already or, young as it is, programs alone at least doubling the traffic.
        strong = inc.bot_share >= STRONG_BOT_SHARE and (
            inc.extra.get("automated_ratio", 0.0) >= STRONG_AUTOMATED_RATIO
            or inc.extra.get("automated_rate", 0.0) >= STRONG_AUTOMATED_RATE)
        if side == "bot" and not strong:
            _to_human_side(inc, f"Automated clients lead the extra traffic so far ({inc.bot_share:.0%}); "
                                "the verdict turns bot only if that lasts")
        return inc
    shown = SIDE.get(str(prev.get("verdict")), "human")
    if shown == side:
        return inc
    if n >= NEEDS.get((shown, side), 1) and not _near_previous(shown, inc):
        return inc
    if shown == "human":
        _to_human_side(inc, f"Held: the latest reading says {raw} ({inc.bot_share:.0%} automated), "
                            "not yet for long enough to change the verdict")
    else:
        _keep_previous(inc, prev, raw)
    return inc
