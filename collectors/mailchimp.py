"""Mailchimp e-mail campaigns: reads the Marketing API v3, writes campaigns and the ``sends`` measurement.

Campaigns (``GET /3.0/campaigns``, count/offset pages) become campaign records in the state DB
(channel email, start = send_time, audience = emails sent, utm_campaign from the Google
Analytics tracking setting), merged with what people added by hand (regions, landing pages).
For each campaign sent within ``track_days``, the report totals (``/3.0/reports/{id}``) tell
whether anything changed; if so, the e-mail activity (``/3.0/reports/{id}/email-activity``,
only action and timestamp are requested: no addresses leave Mailchimp) is counted into
sent/opens/clicks per minute, points stamped at the minute's start, ``campaign`` tag = the
campaign record's id. The checkpoint keeps, per campaign, the first minute not yet final;
every poll recounts from there and overwrites, so restarts neither lose nor double-count.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr

from campaigns.model import Campaign, Channel, Status
from collectors.http_api import send
from collectors.polling import PolledCollector, SourceError, builder
from store.base import Point, TimeSeriesStore
from store.state import StateDB

CAMPAIGN_FIELDS = ",".join(
    ["total_items"] + [f"campaigns.{f}" for f in (
        "id", "type", "status", "send_time", "emails_sent", "settings.title", "settings.subject_line",
        "recipients.list_id", "recipients.segment_text", "recipients.recipient_count", "tracking")]
)
SENT_STATUSES = {"sent": Status.SENT, "sending": Status.SENT, "canceled": Status.CANCELLED,
                 "canceling": Status.CANCELLED}
SETTLE_MINUTES = 2  # activity of the last minutes may still arrive; they are recounted next poll


class MailchimpSettings(BaseModel):
    """``[collectors.mailchimp]``; the key comes from SURGEWATCH_COLLECTORS__MAILCHIMP__API_KEY."""

    enabled: bool = Field(False, description="Poll the Mailchimp Marketing API.")
    api_key: SecretStr | None = Field(None, description="API key, ending in its data center, e.g. ...-us6 (secret).")
    base_url: str | None = Field(None, description="API base URL; default https://<dc>.api.mailchimp.com.")
    source: str = Field("mailchimp", description="Name of this collector instance (tag source, checkpoint key).")
    every_seconds: float = Field(300, ge=10, description="Seconds between polls.")
    lookback_days: int = Field(30, ge=1, le=3650, description="Campaigns created this many days back are read.")
    track_days: int = Field(7, ge=0, le=90, description="Opens and clicks are followed this long after sending.")
    page_size: int = Field(500, ge=1, le=1000, description="Items per page (the API's count, at most 1000).")
    timeout_seconds: float = Field(30, gt=0, description="HTTP timeout.")
    max_retry_wait: float = Field(30, ge=0, description="Longest Retry-After waited for inside one poll.")


def data_center(api_key: str) -> str:
    """The data center a key belongs to: the part after its last dash (``...-us6`` → ``us6``)."""
    _, dash, dc = api_key.rpartition("-")
    if not dash or not dc.isalnum():
        raise ValueError("collectors.mailchimp.api_key does not end in a data center such as -us6; "
                         "copy the whole key from Mailchimp (Account > Extras > API keys)")
    return dc


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"Mailchimp returned an unreadable time {value!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def campaign_from_mailchimp(item: dict[str, Any], *, site: str) -> Campaign | None:
    """The campaign record for one Mailchimp campaign (None for drafts that have no send time)."""
    start = _time(item.get("send_time"))
    if start is None:
        return None
    settings = item.get("settings") or {}
    recipients = item.get("recipients") or {}
    tracking = item.get("tracking") or {}
    audience = item.get("emails_sent") or recipients.get("recipient_count") or None
    return Campaign(
        id=f"mailchimp-{item['id']}",
        name=settings.get("title") or settings.get("subject_line") or f"Mailchimp campaign {item['id']}",
        channel=Channel.EMAIL,
        start=start,
        audience=audience,
        utm_campaign=tracking.get("google_analytics") or None,
        owner="mailchimp",
        site=site,
        status=SENT_STATUSES.get(item.get("status", ""), Status.PLANNED),
    )


class MailchimpCollector(PolledCollector):
    """Polls one Mailchimp account's campaigns and their opens and clicks."""

    def __init__(self, settings: MailchimpSettings, store: TimeSeriesStore, state: StateDB, *,
                 site: str = "default", client: httpx.Client | None = None) -> None:
        super().__init__(settings, store, state, site=site, measurement="sends")
        if settings.api_key is None:
            raise ValueError("collectors.mailchimp.api_key is not set; set SURGEWATCH_COLLECTORS__MAILCHIMP__API_KEY")
        key = settings.api_key.get_secret_value()
        base = settings.base_url or f"https://{data_center(key)}.api.mailchimp.com"
        self.base_url = base.rstrip("/") + "/3.0"
        self.client = client or httpx.Client(timeout=settings.timeout_seconds, auth=("surgewatch", key))
        self.campaigns_changed = 0

    # -- HTTP -------------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, Any]) -> dict:
        response = send(self.client, "GET", self.base_url + path, what="Mailchimp API", params=params,
                        max_retry_wait=self.settings.max_retry_wait)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise SourceError(f"Mailchimp API {path}: {_problem(response, body)}")
        return body

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> list[dict]:
        items: list[dict] = []
        offset = 0
        while True:
            body = self._get(path, params | {"count": self.settings.page_size, "offset": offset})
            page = body.get(key) or []
            items.extend(page)
            offset += len(page)
            if not page or offset >= int(body.get("total_items") or 0):
                return items

    # -- polling ----------------------------------------------------------------------------
    def _poll(self, now: datetime) -> int:
        since = now - timedelta(days=self.settings.lookback_days)
        items = self._pages("/campaigns", "campaigns", {
            "fields": CAMPAIGN_FIELDS, "since_create_time": since.strftime("%Y-%m-%dT%H:%M:%SZ")})
        checkpoint = self.state.get_checkpoint(self.checkpoint_key) or {"campaigns": {}}
        tracked: dict[str, dict] = checkpoint.get("campaigns", {})
        written = 0
        for item in items:
            campaign = campaign_from_mailchimp(item, site=self.site)
            if campaign is None:
                continue
            self._upsert(campaign)
            if campaign.status != Status.SENT or campaign.start < now - timedelta(days=self.settings.track_days):
                tracked.pop(item["id"], None)
                continue
            written += self._track(item["id"], campaign, int(item.get("emails_sent") or 0), tracked, now)
            self.state.put_checkpoint(self.checkpoint_key, {"campaigns": tracked})
        self.state.put_checkpoint(self.checkpoint_key, {"campaigns": tracked})
        return written

    def _upsert(self, campaign: Campaign) -> None:
        """Write Mailchimp's fields, keeping what people added (regions, landing pages, spend...)."""
        old = self.state.get_campaign(campaign.id)
        if old is not None:
            mine = {"name", "channel", "start", "audience", "status", "site"}
            mine |= {"utm_campaign"} if campaign.utm_campaign else set()
            campaign = old.model_copy(update={k: getattr(campaign, k) for k in mine})
            if campaign == old:
                return
        self.state.upsert_campaign(campaign, user="mailchimp")
        self.campaigns_changed += 1

    def _track(self, mc_id: str, campaign: Campaign, emails_sent: int, tracked: dict[str, dict],
               now: datetime) -> int:
        report = self._get(f"/reports/{mc_id}", {"fields": "id,emails_sent,opens.opens_total,clicks.clicks_total"})
        opens = (report.get("opens") or {}).get("opens_total") or 0
        clicks = (report.get("clicks") or {}).get("clicks_total") or 0
        totals = [int(report.get("emails_sent") or emails_sent), int(opens), int(clicks)]
        state = tracked.get(mc_id)
        if state and state.get("totals") == totals:
            return 0
        send_minute = int(campaign.start.timestamp()) // 60 * 60
        first = int(state["from"]) if state else send_minute
        counts: dict[int, dict[str, int]] = defaultdict(lambda: {"sent": 0, "opens": 0, "clicks": 0})
        if send_minute >= first:
            counts[send_minute]["sent"] = totals[0]
        params = {"fields": "total_items,emails.activity.action,emails.activity.timestamp"}
        if state:
            params["since"] = datetime.fromtimestamp(first - 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for email in self._pages(f"/reports/{mc_id}/email-activity", "emails", params):
            for event in email.get("activity") or []:
                field = {"open": "opens", "click": "clicks"}.get(event.get("action", ""))
                at = _time(event.get("timestamp"))
                if field and at is not None and at.timestamp() >= first:
                    counts[int(at.timestamp()) // 60 * 60][field] += 1
        tags = {"site": self.site, "source": self.source, "campaign": campaign.id, "channel": "email"}
        written = self.store.write(Point("sends", tags, fields, minute) for minute, fields in sorted(counts.items()))
        settled = int(now.timestamp()) // 60 * 60 - SETTLE_MINUTES * 60
        tracked[mc_id] = {"from": max(first, settled), "totals": totals}
        return written


def _problem(response: httpx.Response, body: object) -> str:
    """Mailchimp's error (application/problem+json: type, title, status, detail, instance) in one line."""
    if isinstance(body, dict) and ("title" in body or "detail" in body):
        text = f"HTTP {body.get('status', response.status_code)} {body.get('title', '')}: {body.get('detail', '')}"
        if response.status_code in (401, 403):
            text += "; check collectors.mailchimp.api_key (and that the key's data center suffix is right)"
        if body.get("instance"):
            text += f" (instance {body['instance']})"
        return text
    return f"HTTP {response.status_code}: {response.text[:200]!r}"


SETTINGS = MailchimpSettings  # the section's keys, checked at start-up
build = builder(MailchimpSettings, MailchimpCollector)  # the registry hook
