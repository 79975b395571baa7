"""Access logs, live: tails one or more nginx/Apache/varnishncsa/JSON log files into the store.

Reads what was appended since the last ``poll()`` (surviving rotation by rename, rename +
gzip or copytruncate, files that appear later, truncation and restarts: see
``collectors.weblog.follow``), runs the lines through ``collectors.weblog.pipeline`` and
writes closed 10 s buckets. After the writes it checkpoints, in the state DB, each file's
identity and offset together with the state of the still-open buckets, so a crash never
loses or double-counts a line, and records the contents it read (``store.files``) so
that ``ingest`` of a rotated copy of them is a no-op. While catching up (a backlog after
a restart, more than ``max_read_bytes`` waiting) buckets close by the lines' own time,
not the wall clock, so no line read late is counted late. Open buckets are
also written as they fill (``live_updates``), so a new line is visible within a poll;
each later write of the same bucket replaces it. Settings: ``[collectors.accesslog]``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from pydantic import Field

from collectors.polling import settings_from_section
from collectors.weblog.follow import FollowedFile
from collectors.weblog.options import WeblogOptions
from collectors.weblog.source import WeblogSource
from store.base import StoreError, TimeSeriesStore
from store.files import INGEST, TAIL, FileRegistry

log = logging.getLogger(__name__)


class AccessLogSettings(WeblogOptions):
    """One live access-log source: its files and how to read them."""

    files: list[Path] = Field(..., min_length=1, description="log files to follow (may not exist yet)")
    format: str = Field("auto", description="auto (detected from the first lines), a format name (README) or an "
                                            "nginx log_format string")
    source: str = Field("accesslog", description="name of this source (the 'source' tag and checkpoint key)")
    site: str | None = Field(None, description="site tag; the global site when unset")
    start_at_end: bool = Field(False, description="on first start, skip what the files already hold")
    live_updates: bool = Field(True, description="also write open buckets as they fill (lower latency)")
    max_read_bytes: int = Field(8 << 20, ge=4096, description="bytes read per file per poll")


class AccessLogTail(WeblogSource):
    """Called by the worker: ``poll()`` every 1-2 s, ``flush()`` at shutdown."""

    kind = "accesslog"

    def __init__(self, settings: AccessLogSettings, *, store: TimeSeriesStore, state, site: str = "default",
                 salt: bytes | None = None) -> None:  # noqa: ANN001
        super().__init__(settings, store=store, state=state, site=site, fmt=settings.format, salt=salt)
        self._registry = FileRegistry(state) if state is not None else None
        self.files = {str(p): FollowedFile(Path(p), max_bytes=settings.max_read_bytes, from_end=settings.start_at_end,
                                           stored=self._ingested) for p in settings.files}
        self._restore()

    def _ingested(self, key: str) -> int:
        """Bytes of a content ``ingest`` stored (the tail starts new content after them)."""
        if self._registry is None:
            return 0
        return max((r.bytes for r in self._registry.get(key) if r.reader == INGEST), default=0)

    def _restore(self) -> None:
        data = self.state.get_checkpoint(self.key) if self.state is not None else None
        if not data:
            return
        try:
            self.pipeline.load(data.get("pipeline", {}))
            for path, fstate in data.get("files", {}).items():
                if path in self.files:
                    self.files[path].restore(fstate)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("%s: checkpoint unreadable (%s); starting from the files' current state", self.name, exc)

    def poll(self, now: float | None = None) -> int:
        """Read what is new, write closed (and, with live_updates, open) buckets, checkpoint. Returns lines read.

        ``now`` (epoch seconds) is the wall clock, given by tests that compress time.
        """
        lines: list[str] = []
        for f in self.files.values():
            try:
                lines.extend(f.poll())
            except (OSError, EOFError) as exc:
                f.problem = f"cannot read {f.path}: {exc}"
                log.error("%s: %s", self.name, f.problem)
        caught_up = all(f.caught_up for f in self.files.values())
        return self._ingest(lines, time.time() if now is None else now, caught_up=caught_up)

    def _checkpoint(self) -> None:
        if self.state is None:
            return
        if self._registry is not None:  # the contents read count as stored: ``ingest`` of a copy is a no-op
            for f in self.files.values():
                for rec in f.read.values():
                    self._registry.record(rec.key, TAIL, rec.path, rec.offset, rec.lines)
                f.read.clear()
        data = {"files": {p: f.state() for p, f in self.files.items()}, "pipeline": self.pipeline.state()}
        self.state.put_checkpoint(self.key, data)

    def flush(self, now: float | None = None) -> None:
        """Shutdown: read the rest, write closed buckets and the open ones as they stand, checkpoint.

        Open buckets stay open in the checkpoint, so lines of the same seconds read after
        a restart still land in them instead of being late.
        """
        self.poll(now)
        self.pipeline.write_open()
        for f in self.files.values():
            f.close()
        if self.pipeline.pending:
            raise StoreError(f"{self.name}: {len(self.pipeline.pending)} bucket(s) not written at shutdown; "
                             "they stay in the checkpoint and are written on the next start")

    def problems(self) -> list[str]:
        return [f.problem for f in self.files.values() if f.problem]


SETTINGS = AccessLogSettings  # the section's keys, checked at start-up


def build(section: dict, *, store: TimeSeriesStore, state, site: str) -> AccessLogTail:  # noqa: ANN001
    """The registry hook: ``[collectors.accesslog]`` → a running tail."""
    return AccessLogTail(settings_from_section(AccessLogSettings, section), store=store, state=state, site=site)
