"""What the worker records of each collector after every poll, for the Sources page and ``sources``.

``StatusRecorder.observe`` takes a collector right after its ``poll()`` and what the poll
returned (lines read, or points written by the polled collectors) and keeps, in the
state DB (``store.collector_status``): when data last came and its newest time (lag),
lines or points per 10 s over the last 15 minutes, lines parsed, late and malformed by
reason with redacted samples, the files followed with their offsets, the collector's
problems and error counts, and the gaps between arrivals that tell a usual silence from
an unusual one. Rows are written at most every few seconds per collector. A collector's
state here is read through its public attributes only; a missing one is simply absent.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from collectors.weblog.privacy import redact
from store import collector_status as cs
from store.base import TimeSeriesStore
from store.health import store_health
from store.state import StateDB

log = logging.getLogger(__name__)

WRITE_EVERY = 5.0        # seconds between writes of one collector's row
STORE_EVERY = 15.0       # seconds between store checks (a ping to InfluxDB)
SAMPLE_LIMIT = 200       # characters of a sample kept
# A product token with a version (``Dalvik/2.1.0``, ``MyApp/5.2 (iPhone; ...)``) opening a quoted field, or
# followed by its comment anywhere: a user agent, which a sample never shows.
_QUOTED_AGENT = re.compile(r'"[A-Za-z][\w.!-]*/\d[^"]*"')
_BARE_AGENT = re.compile(r"\b[A-Za-z][\w.!-]*/\d[\w.]*[+ ]?\([^)]*\)\S*")
_MASKED_TWICE = re.compile(r"(/(?:24|48))(?:/(?:24|48))+")  # a network masked again by a second redact


def scrub(sample: str) -> str:
    """A malformed-line sample (already redacted by the pipeline) made safe again whatever wrote it:
    addresses masked to their network, no query but utm_*, every user agent replaced."""
    text = _MASKED_TWICE.sub(r"\1", redact(sample, limit=SAMPLE_LIMIT))
    text = _QUOTED_AGENT.sub('"<user-agent>"', text)
    return _BARE_AGENT.sub("<user-agent>", text)


def _files(c: Any) -> list[dict[str, Any]]:
    out = []
    for key, f in (getattr(c, "files", None) or {}).items():
        path = str(getattr(f, "path", key))
        try:
            size: int | None = os.stat(path).st_size
        except OSError:
            size = None
        where = getattr(f, "pos", f)  # a followed access log keeps its offset in its position (content, inode)
        out.append({"path": path, "offset": int(getattr(where, "offset", 0) or 0), "size": size,
                    "problem": getattr(f, "problem", None)})
    return out


def _problems(c: Any) -> list[str]:
    problems = getattr(c, "problems", None)
    found = list(problems()) if callable(problems) else []
    last = getattr(c, "last_error", None)
    if last and last not in found and not callable(problems):
        found.append(str(last))
    return [str(p) for p in found if p]


def _counts(c: Any) -> dict[str, Any]:
    """Lines by outcome and redacted samples (access-log sources), or points written (polled ones)."""
    stats = getattr(c, "stats", None)
    if stats is None:
        return {"unit": "points", "points_written": int(getattr(c, "points_written", 0) or 0)}
    samples = {str(r): [scrub(s) for s in v] for r, v in (getattr(stats, "samples", None) or {}).items()}
    return {"unit": "lines", "lines": stats.lines, "parsed": stats.parsed, "late": stats.late,
            "malformed": {str(r): n for r, n in stats.malformed.items()}, "samples": samples,
            "points_written": stats.points_written}


class StatusRecorder:
    """Keeps each collector's status row up to date; never raises into the worker."""

    def __init__(self, state: StateDB, *, poll_every: float = 2.0) -> None:
        self.state = state
        self.poll_every = poll_every
        self._rows: dict[str, dict[str, Any]] = {}
        self._last_data: dict[str, float] = {}   # this run's last arrival per collector (gaps never span a restart)
        self._written: dict[str, float] = {}

    def _row(self, name: str) -> dict[str, Any]:
        row = self._rows.get(name)
        if row is None:
            old = cs.get_status(self.state, name) or {}
            keep = ("gaps", "last_data_at", "newest_data", "rate")  # what outlives a restart
            row = self._rows[name] = {k: old[k] for k in keep if k in old}
        return row

    def observe(self, c: Any, n: int, now: float, failure: str | None = None) -> None:
        """Record one poll of ``c`` that read ``n`` lines (or wrote ``n`` points) at ``now``; ``failure``: why the
        poll raised, shown among the collector's problems until a poll succeeds."""
        try:
            self._observe(c, n, now, failure)
        except Exception as exc:  # noqa: BLE001 - the status is a view; the worker goes on without it
            log.warning("status of collector %s not recorded: %s", getattr(c, "name", "?"), exc)

    def _observe(self, c: Any, n: int, now: float, failure: str | None) -> None:
        name = str(c.name)
        row = self._row(name)
        if n > 0:
            prev = self._last_data.get(name)
            if prev is not None:
                row["gaps"] = cs.record_gap(row.get("gaps"), now - prev, now)
            self._last_data[name] = now
            row["last_data_at"] = now
        row["rate"] = cs.add_rate(row.get("rate"), now, max(n, 0))
        newest = getattr(c, "newest", None)
        if newest:
            row["newest_data"] = float(newest)
        row.update(_counts(c))
        row.update({"kind": str(getattr(c, "kind", "") or name.split(":", 1)[0]), "site": getattr(c, "site", ""),
                    "source": getattr(c, "source", None) or name.split(":")[-1],
                    "poll_every": float(getattr(c, "every_seconds", self.poll_every)), "files": _files(c),
                    "problems": _problems(c) + ([failure] if failure else []),
                    "errors": dict(getattr(c, "errors", None) or {}), "updated_at": now})
        if name not in self._written or now - self._written[name] >= WRITE_EVERY:
            self.write(name, now)

    def write(self, name: str, now: float) -> None:
        row = self._rows[name]
        cs.put_status(self.state, name, row.get("kind", ""), row, now)
        self._written[name] = now

    def flush(self, now: float) -> None:
        """Write every row as it stands (at shutdown)."""
        for name in list(self._rows):
            try:
                self.write(name, now)
            except Exception as exc:  # noqa: BLE001
                log.warning("status of collector %s not recorded: %s", name, exc)

    def observe_store(self, store: TimeSeriesStore, now: float) -> None:
        """The store's reachability and spool backlog (checked every ``STORE_EVERY`` seconds)."""
        if now - self._written.get(cs.STORE_ROW, -STORE_EVERY) < STORE_EVERY:
            return
        try:
            health = store_health(store, now)
            cs.put_status(self.state, cs.STORE_ROW, "store", health, now)
            self._written[cs.STORE_ROW] = now
        except Exception as exc:  # noqa: BLE001
            log.warning("store status not recorded: %s", exc)
