"""What every live access-log source shares: its pipeline, names, checkpoint key, stats and lag.

A source (a tailed file, a varnishncsa stream) feeds lines to one ``WeblogPipeline``;
the worker reads ``stats`` and ``newest`` for /metrics.
"""

from __future__ import annotations

import time
from typing import Any

from collectors.weblog.pipeline import IngestStats, WeblogPipeline
from store.base import BUCKET_SECONDS, TimeSeriesStore

CAMPAIGNS_EVERY = 15.0  # seconds between looks at the campaign calendar


class WeblogSource:
    """Base of the live access-log collectors; ``kind`` names the checkpoint and metrics."""

    kind = "weblog"

    def __init__(self, settings: Any, *, store: TimeSeriesStore, state: Any, site: str, fmt: str,
                 salt: bytes | None = None) -> None:
        self.settings = settings
        self.store = store
        self.state = state
        self.site = settings.site or site
        self.name = f"{self.kind}:{settings.source}"
        self.key = f"{self.kind}:{self.site}:{settings.source}"
        self.pipeline = WeblogPipeline(store, site=self.site, source=settings.source, fmt=fmt,
                                       options=settings, salt=salt, state=state)
        self._campaigns_read = time.time()

    def _ingest(self, lines: list[str], now: float, *, caught_up: bool = True) -> int:
        """Feed lines, close buckets past the open window, write them (and the open ones), checkpoint.

        By the wall clock only once the source is ``caught_up`` (read to the end): lines
        still waiting (a backlog after a restart) are older than ``now`` and must not be late.
        """
        if now - self._campaigns_read >= CAMPAIGNS_EVERY:  # campaigns announced since start count at once
            self.pipeline.refresh_campaigns()
            self._campaigns_read = now
        n = self.pipeline.feed(lines)
        if caught_up:
            self.pipeline.close_until(int(now) - self.settings.open_window_seconds)
        self.pipeline.write_closed()
        if self.settings.live_updates:
            self.pipeline.write_open(now)
        self._checkpoint()
        return n

    def _checkpoint(self) -> None:
        raise NotImplementedError

    @property
    def stats(self) -> IngestStats:
        return self.pipeline.stats

    @property
    def newest(self) -> float | None:
        """Epoch second of the newest data read (for the lag metric), None before any."""
        return self.pipeline.newest + BUCKET_SECONDS if self.pipeline.newest >= 0 else None
