"""The wording of notifications: titles per verdict, feedback, long block lists, the dashboard link."""

from __future__ import annotations

from alerts.incidents.model import Incident
from alerts.notify.message import MAX_DENY_LINES, NotifyEvent, body, incident_link, title


def make(verdict: str, **kw) -> Incident:  # noqa: ANN003
    base = {"id": "shop-20260302T134000Z", "site": "shop", "start": 1_772_458_800, "end": 1_772_460_000,
            "peak_rps": 50.0, "baseline_rps": 10.0, "verdict": verdict, "confidence": 0.8, "campaign": None,
            "evidence": ["Total 50.0 req/s against a baseline of 10.0 req/s (5.0x)"]}
    return Incident(**(base | kw))


def test_titles_say_verdict_site_size_and_what_drives_the_surge() -> None:
    assert title(NotifyEvent("new", make("campaign", campaign="Spring sale"))) == \
        "[CAMPAIGN] shop: 5.0x traffic, campaign Spring sale"
    assert title(NotifyEvent("new", make("organic", looks_like="viral_social"))) == \
        "[ORGANIC] shop: 5.0x traffic, viral social"
    assert title(NotifyEvent("new", make("drop", peak_rps=0.2))) == \
        "[DROP] shop: traffic down to 0.2 req/s (expected 10.0), site silent or logs lost"
    assert title(NotifyEvent("new", make("errors", extra={"what": "utm_campaign=spring"}))) == \
        "[ERRORS] shop: 5.0x traffic, errors on utm_campaign=spring"
    mixed = make("mixed", campaign="Spring sale", block={"cidrs": ["198.51.100.0/24"], "asns": [], "nginx": ""})
    assert title(NotifyEvent("changed", mixed, {"verdict": "campaign", "campaign": "Spring sale"})) == \
        "[MIXED] shop: 5.0x traffic, campaign Spring sale with automated clients from 1 network (was campaign)"


def test_body_shows_on_call_correction_and_cuts_a_long_nginx_snippet() -> None:
    cidrs = [f"10.{i // 256}.{i % 256}.0/24" for i in range(300)]
    nginx = "\n".join(["# Surgewatch block suggestion: review before applying", *(f"deny {c};" for c in cidrs)])
    inc = make("bot", block={"cidrs": cidrs, "asns": ["AS64496", "AS64497"], "nginx": nginx})
    inc.with_feedback(verdict="campaign", campaign="Spring sale", note="the send went out early", by="alice")
    text = body(NotifyEvent("new", inc), "https://sw.example.com/")
    assert "Block suggestion (review before applying): 300 CIDRs, ASNs AS64496, AS64497" in text
    assert sum(ln.startswith("deny ") for ln in text.splitlines()) == MAX_DENY_LINES
    assert "# ... and 260 more deny lines (whole list on the dashboard)" in text
    assert "On-call says: verdict campaign, campaign Spring sale (alice): the send went out early" in text
    assert text.endswith("Open in Surgewatch: https://sw.example.com/incidents?incident=shop-20260302T134000Z")


def test_campaign_incident_has_no_block_and_link_is_left_out_without_a_dashboard() -> None:
    text = body(NotifyEvent("new", make("campaign", campaign="Spring sale",
                                        block={"cidrs": ["198.51.100.0/24"], "nginx": "deny 198.51.100.0/24;"})))
    assert "deny" not in text and "Open in Surgewatch" not in text
    assert "Campaign: Spring sale" in text
    assert incident_link(None, "x") is None
    assert incident_link("https://sw.example.com", "a b/c") == "https://sw.example.com/incidents?incident=a%20b%2Fc"


def test_body_of_programs_on_home_networks_carries_the_rate_limit_snippet() -> None:
    from alerts.judgement.block import BlockSuggestion

    inc = make("bot", block=BlockSuggestion(paths=["checkout"]).to_dict())
    text = body(NotifyEvent("new", inc))
    assert "Rate-limit suggestion (review before applying): the checkout paths" in text
    assert "limit_req zone=surgewatch_checkout burst=5 nodelay;" in text and "deny " not in text
