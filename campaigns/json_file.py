"""Campaigns as a JSON list: read (one row per item) and written back in the same form."""

from __future__ import annotations

import json

from campaigns.model import Campaign, CampaignError, Row, check_rows, check_size, row_of


def rows_from_json(text: str, *, name: str = "campaigns JSON") -> list[Row]:
    """Each item of a JSON campaign list; raises CampaignError when the whole file is unreadable."""
    check_size(text, name)
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise CampaignError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise CampaignError(f"{name} is nested too deeply to be a campaign list") from None
    if isinstance(data, dict):
        data = data.get("campaigns", [data])
    if not isinstance(data, list):
        raise CampaignError(f"{name} must hold a JSON list of campaign objects")
    check_rows(data, name)
    return [row_of(item, f"{name}, item {i}") if isinstance(item, dict)
            else CampaignError(f"{name}, item {i}: expected an object with name, channel and start")
            for i, item in enumerate(data, start=1)]


def campaigns_to_json(campaigns: list[Campaign]) -> str:
    """Export campaigns as a JSON list (the form JSON import reads back)."""
    return json.dumps([c.to_json_dict() for c in campaigns], indent=2) + "\n"
