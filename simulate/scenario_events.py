"""What each scenario injects on top of the baseline: its events, built at the surge time t0.

One function per family of scenarios, all driven by the parameters ``scenario_params`` drew (or
the overrides set). ``time_scale`` < 1 compresses every duration, for fast live demos.
"""

from __future__ import annotations

import random

from simulate.events import (
    Injection,
    bot_attack,
    email_campaign,
    press_wave,
    push_campaign,
    scalper_attack,
    social_wave,
)
from simulate.humans import World

EMAIL_SCENARIOS = ("campaign_surge", "unannounced_campaign", "broken_landing", "slipped_send", "campaign_via_relays")


def _email(scenario: str, world: World, p: dict, rng: random.Random, t0: float, base_rps: float,
           time_scale: float) -> list[Injection]:
    q = dict(p, broken_landing=True) if scenario == "broken_landing" else p  # the rest is in the parameters
    return [email_campaign(world, q, rng, t0, base_rps, p["surge_factor"], scenario != "unannounced_campaign",
                           time_scale)]


def _overlapping(world: World, p: dict, rng: random.Random, t0: float, base_rps: float,
                 time_scale: float) -> list[Injection]:
    """Two sends: the second, to other regions with its own name and landing, 15-45 minutes into the first."""
    second = dict(p)
    slug = f"{p['utm_campaign']}-b"
    regions = [r for r in ("US", "GB", "FR", "JP", "DE", "ES") if r not in p["regions"]][:2]
    second.update(regions=regions, utm_campaign=slug, campaign_id=slug, landing=f"{p['landing']}-more",
                  campaign_name=f"{p['campaign_name']} (second wave)")
    delay = rng.uniform(15, 45) * 60 * time_scale
    return [email_campaign(world, p, rng, t0, base_rps, p["surge_factor"], True, time_scale),
            email_campaign(world, second, rng, t0 + delay, base_rps, p["surge_factor"] * rng.uniform(0.5, 1.2), True,
                           time_scale)]


def scenario_injections(scenario: str, world: World, p: dict, rng: random.Random, t0: float, base_rps: float,
                        time_scale: float = 1.0) -> list[Injection]:
    """The events of a scenario starting at t0 (an empty list for quiet_day and daily_rhythm)."""
    f = p["surge_factor"]
    if scenario in EMAIL_SCENARIOS:
        return _email(scenario, world, p, rng, t0, base_rps, time_scale)
    if scenario == "campaign_flop":
        return [email_campaign(world, p, rng, t0, base_rps, p["flop_factor"], True, time_scale, nominal_factor=f)]
    if scenario == "overlapping_campaigns":
        return _overlapping(world, p, rng, t0, base_rps, time_scale)
    if scenario == "app_push_campaign":
        return [push_campaign(world, p, rng, t0, base_rps, f, time_scale)]
    if scenario == "viral_social":
        return [social_wave(world, p, rng, t0, base_rps, f, time_scale)]
    if scenario == "press_flash_crowd":
        return [press_wave(world, p, rng, t0, base_rps, f, time_scale)]
    if scenario in ("credential_stuffing", "l7_botnet", "scraper"):
        return [bot_attack(world, scenario, rng, t0, base_rps, p["bot_factor"], p["bot_minutes"], time_scale)]
    if scenario == "origin_down_flood":
        return [bot_attack(world, "l7_botnet", rng, t0, base_rps, p["bot_factor"], p["bot_minutes"], time_scale)]
    if scenario == "scalper_bots":
        return [scalper_attack(world, p, rng, t0, base_rps, p["bot_factor"], p["bot_minutes"], time_scale)]
    if scenario == "bot_during_campaign":
        delay = p["bot_delay_minutes"] * 60 * time_scale
        return [email_campaign(world, p, rng, t0, base_rps, f, True, time_scale),
                bot_attack(world, p["bot_kind"], rng, t0 + delay, base_rps, p["bot_factor"], p["bot_minutes"],
                           time_scale)]
    if scenario == "campaign_plus_scraper":
        delay = rng.uniform(0, 30) * 60 * time_scale
        return [email_campaign(world, p, rng, t0, base_rps, f, True, time_scale),
                bot_attack(world, "scraper", rng, t0 + delay, base_rps, p["bot_factor"], p["bot_minutes"],
                           time_scale)]
    if scenario in ("quiet_day", "daily_rhythm"):
        return []
    raise ValueError(f"unknown scenario {scenario!r}")
