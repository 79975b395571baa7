"""Ground truth as each scenario declares it: what a careful analyst would say of its surge.

A scenario states its label from what it is (an announced send is a ``campaign``, a scalper fleet
in residential proxies is a ``bot`` attack, three ordinary days are no surge at all), never from
the traffic it happened to produce by a rule like the detector's verdict rule. Where one scenario
covers several cases, its own parameters decide: a bot wave set at a quarter of the campaign's size
or more makes the surge ``mixed``, a smaller one leaves it the campaign's; a wave over a campaign
that barely moved the traffic is the ``bot`` surge. Times are the scenario's own too: the event's
start, and its end when its shape has died down.
"""

from __future__ import annotations

MIXED_BOT_RATIO = 0.25  # bots set at this share of the campaign's size or more: the analyst says "mixed"

# scenario -> (label, looks_like); None: nothing an analyst would call a surge
LABELS: dict[str, tuple[str | None, str | None]] = {
    "campaign_surge": ("campaign", None),
    "unannounced_campaign": ("organic", "unannounced_campaign"),
    "viral_social": ("organic", "viral_social"),
    "press_flash_crowd": ("organic", "press"),
    "credential_stuffing": ("bot", None),
    "l7_botnet": ("bot", None),
    "scraper": ("bot", None),
    "quiet_day": (None, None),
    "campaign_flop": (None, None),
    "app_push_campaign": ("campaign", None),        # the shop's own app, opened from a push
    "scalper_bots": ("bot", None),                  # browsers driven by bots through residential proxies
    "daily_rhythm": (None, None),                   # nights and peaks of ordinary days
    "broken_landing": ("campaign", None),           # a campaign, whose landing page fails (an errors item)
    "origin_down_flood": ("bot", None),             # a flood that takes the site down for everyone
    "overlapping_campaigns": ("campaign", None),    # two sends on top of each other
    "slipped_send": ("campaign", None),             # the send went out later than the calendar says
    "campaign_via_relays": ("campaign", None),      # recipients on Private Relay, corporate VPNs, CGNAT
}


def declared(scenario: str, params: dict) -> tuple[str | None, str | None]:
    """(label, looks_like) the scenario declares, given its parameters."""
    if scenario == "bot_during_campaign":
        if params["small_campaign"]:
            return "bot", None
        return ("mixed" if params["bot_factor"] >= MIXED_BOT_RATIO * params["surge_factor"] else "campaign"), None
    if scenario == "campaign_plus_scraper":
        return ("mixed" if params["bot_factor"] >= MIXED_BOT_RATIO * params["surge_factor"] else "campaign"), None
    return LABELS[scenario]
