"""A bounded on-disk queue of line-protocol batches kept while InfluxDB is unreachable.

Batches are rows of one SQLite file (WAL mode, so a crash loses nothing committed) and are
replayed oldest first. The spool is bounded by bytes: when a new batch would overflow it,
the oldest batches are dropped, counted and warned about. Replays are safe to repeat
because a point is identified by measurement, tag set and time, so a resend overwrites.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class Spool:
    """Append batches, peek the oldest, remove it once delivered."""

    def __init__(self, directory: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError(f"spool max_bytes={max_bytes!r}: give a positive number of bytes")
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ValueError(f"spool directory {self.directory}: cannot create it ({e}); "
                             "point spool_dir at a writable directory") from e
        self.path = self.directory / "influx-spool.sqlite"
        self.max_bytes = max_bytes
        self.dropped_points = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " body BLOB NOT NULL, points INTEGER NOT NULL)"
        )

    def append(self, body: bytes, points: int) -> None:
        """Queue one batch; drops the oldest batches (counted, warned) to stay under max_bytes."""
        with self._lock:
            self._db.execute("INSERT INTO batches (body, points) VALUES (?, ?)", (body, points))
            self._enforce_bound()

    def _enforce_bound(self) -> None:
        size, count = self._db.execute("SELECT COALESCE(SUM(LENGTH(body)), 0), COUNT(*) FROM batches").fetchone()
        dropped = 0
        while size > self.max_bytes and count > 1:
            row_id, length, points = self._db.execute(
                "SELECT id, LENGTH(body), points FROM batches ORDER BY id LIMIT 1").fetchone()
            self._db.execute("DELETE FROM batches WHERE id = ?", (row_id,))
            size, count, dropped = size - length, count - 1, dropped + points
        if dropped:
            self.dropped_points += dropped
            log.warning("InfluxDB spool %s is over its %d-byte bound: dropped the %d oldest points "
                        "(%d dropped in all); bring InfluxDB back or raise the spool size",
                        self.path, self.max_bytes, dropped, self.dropped_points)

    def depth(self) -> int:
        """Points waiting in the spool."""
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(SUM(points), 0) FROM batches").fetchone()[0])

    def size_bytes(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM batches").fetchone()[0])

    def replay(self, send: Callable[[bytes, int], bool]) -> int:
        """Send batches oldest first until ``send`` returns False (not delivered, keep it).

        ``send`` returns True once the batch needs no resending (delivered, or rejected
        for good and reported). Returns the number of points taken off the spool.
        """
        done = 0
        while True:
            with self._lock:
                row = self._db.execute("SELECT id, body, points FROM batches ORDER BY id LIMIT 1").fetchone()
            if row is None:
                return done
            row_id, body, points = row
            if not send(bytes(body), int(points)):
                return done
            with self._lock:
                self._db.execute("DELETE FROM batches WHERE id = ?", (row_id,))
            done += int(points)

    def close(self) -> None:
        with self._lock:
            self._db.close()
