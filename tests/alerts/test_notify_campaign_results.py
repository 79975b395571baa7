"""A campaign surge's resolved message carries one line of how the campaign went: visits, leads, cost per lead.

The store holds the hand-written log of ``tests/collectors/test_weblog_attribution.py`` (its visitors'
stories say what counts), ingested as the access-log collector does; the worker's own notifier sends
in its background thread, as in production, to a channel that keeps what it was given.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alerts.incidents.model import Incident
from alerts.notify.message import body
from collectors.weblog.pipeline import ingest_lines
from config import load_settings
from store.embedded import EmbeddedStore
from tests.collectors.test_weblog_attribution import END, START, spring, story


class Kept:
    key, kind, name, refreshes = "kept", "test", "kept", False

    def __init__(self) -> None:
        self.events: list = []

    def send(self, event) -> None:  # noqa: ANN001 - NotifyEvent
        self.events.append(event)

    def send_note(self, note) -> None:  # noqa: ANN001 - Note
        pass


def test_the_resolved_message_of_a_campaign_surge_says_how_the_campaign_went(tmp_path: Path) -> None:
    from worker import Worker

    campaign = spring(START, site="shop", spend=100.0, currency="EUR")
    store = EmbeddedStore(tmp_path / "ts.db")
    ingest_lines(story(START), store, site="shop", source="t", salt=b"a" * 32, announced=[campaign])
    later = datetime.fromtimestamp(END + 7 * 3600, UTC)
    settings = load_settings(site="shop", state={"path": tmp_path / "state.db"}, worker={"metrics_port": 0})
    w = Worker(settings, store=store, collectors=[], clock=lambda: later)
    w.state.upsert_campaign(campaign)
    kept = Kept()
    w._notifier().channels.append(kept)
    inc = Incident("shop-1", "shop", START + 60, START + 1800, 5.0, 1.0, "campaign", 0.9, campaign.name, [],
                   detected_at=START + 60)
    for status in ("open", "closed"):
        inc.status = status
        w.notify([inc])
        w.notifier.join(30)
    new, resolved = kept.events
    assert new.kind == "new" and new.results is None
    assert resolved.kind == "resolved"
    # counted from the stories: visits A B I J, leads A I, C and E converted during it; spend 100 over 2 leads
    assert ("Campaign results so far: 4 visits from the campaign's link, 2 leads (2 more during it, not "
            "attributed); 50.00 EUR per lead all in") in body(resolved)
    w.state.close()
    store.close()
