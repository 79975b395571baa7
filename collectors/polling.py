"""What every periodically polled collector shares: its error type, pacing and error counting.

The worker's scheduler calls ``poll(now)`` on each collector every few seconds. A poll
never raises: a source that cannot be read, a store that refuses a write or a rate limit
is logged with a message saying what to do, counted in ``errors`` by kind, and the next
poll starts again from the last checkpoint, so nothing is lost or counted twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from store.base import StoreError, TimeSeriesStore
from store.settings import unknown_keys
from store.state import StateDB

log = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """A source could not be read or answered something unusable; the message says what to do."""


class RateLimited(SourceError):
    """The source asked us to come back later (HTTP 429)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PolledCollector:
    """Base of the polled collectors: subclasses implement ``_poll(now) -> points written``."""

    def __init__(self, settings: Any, store: TimeSeriesStore, state: StateDB, *, site: str, measurement: str) -> None:
        """``settings`` has ``source`` and ``every_seconds``; the checkpoint key is ``measurement:source``."""
        self.settings = settings
        self.store = store
        self.state = state
        self.site = site
        self.source: str = settings.source
        self.every_seconds: float = settings.every_seconds
        self.checkpoint_key = f"{measurement}:{settings.source}"
        self.errors: Counter[str] = Counter()
        self.last_error: str | None = None
        self.points_written = 0
        self._next_at = 0.0

    @property
    def name(self) -> str:
        return self.checkpoint_key

    def flush(self) -> None:
        """Nothing is held in memory between polls: every poll writes whole buckets and checkpoints."""

    def poll(self, now: datetime | None = None) -> int:
        """Read the source once (unless it is not yet time) and write whole buckets; never raises."""
        now = now or datetime.now(UTC)
        ts = now.timestamp()
        if ts < self._next_at:
            return 0
        self._next_at = ts + self.every_seconds
        try:
            written = self._poll(now)
        except RateLimited as exc:
            self._next_at = max(self._next_at, ts + exc.retry_after)
            return self._failed("rate_limited", str(exc))
        except SourceError as exc:
            return self._failed("source", str(exc))
        except httpx.HTTPError as exc:
            return self._failed("source", f"{self.source}: request failed: {exc}")
        except StoreError as exc:
            return self._failed("store", f"{self.source}: could not write to the store: {exc}")
        except Exception as exc:  # a bug must not stop the worker; it is logged with its traceback
            log.exception("%s: unexpected error while polling", self.source)
            return self._failed("internal", f"{self.source}: unexpected {type(exc).__name__}: {exc}")
        self.points_written += written
        return written

    def _failed(self, kind: str, message: str) -> int:
        self.errors[kind] += 1
        self.last_error = message
        log.warning("%s", message)
        return 0

    def _poll(self, now: datetime) -> int:
        raise NotImplementedError


def settings_from_section(model: type[BaseModel], section: dict[str, Any]) -> Any:
    """Validate a ``[collectors.<kind>]`` section; a ValueError names the first bad or unknown key."""
    unknown = unknown_keys(model, section, ignore=("enabled",))
    if unknown:
        raise ValueError(unknown[0].text().replace(" at the top level", ""))
    try:
        return model.model_validate(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "section"
        raise ValueError(f"{where}: {first['msg']}") from None


def builder(model: type[BaseModel], collector: type[PolledCollector]) -> Any:
    """The registry hook of a polled collector: ``build(section, *, store, state, site)``."""

    def build(section: dict[str, Any], *, store: TimeSeriesStore, state: StateDB, site: str) -> PolledCollector:
        return collector(settings_from_section(model, section), store, state, site=site)

    return build
