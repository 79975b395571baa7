"""Which log-file contents are already stored: one row per content identity and reader.

A file is known by what it holds, not by its name: the digest of its first decompressed
bytes after its header lines (``collectors.weblog.identity``), so a renamed, rotated or
gzipped copy is the same content. ``ingest`` records each file it stored (reader
``ingest``); the live tail records each file it read, with how far (reader ``tail``).
``ingest`` of content either reader already stored is a no-op unless ``--force``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from store.state import StateDB

INGEST = "ingest"
TAIL = "tail"


@dataclass(frozen=True)
class StoredContent:
    digest: str
    reader: str    # INGEST or TAIL
    path: str      # where it was read last
    bytes: int     # decompressed bytes read from its start
    lines: int
    at: str        # ISO 8601, UTC


class FileRegistry:
    """The ``file_contents`` table of the state DB."""

    def __init__(self, state: StateDB) -> None:
        self._state = state

    def get(self, digest: str) -> list[StoredContent]:
        rows = self._state._all(
            "SELECT digest, reader, path, bytes, lines, at FROM file_contents WHERE digest = ? ORDER BY reader",
            (digest,))
        return [StoredContent(d, r, p, int(b), int(n), datetime.fromtimestamp(at, UTC).isoformat())
                for d, r, p, b, n, at in rows]

    def record(self, digest: str, reader: str, path: str, nbytes: int, lines: int) -> None:
        """Content ``digest`` read by ``reader`` up to ``nbytes`` (kept at the furthest seen)."""
        now = int(datetime.now(UTC).timestamp())
        with self._state._tx() as db:
            db.execute(
                "INSERT INTO file_contents(digest, reader, path, bytes, lines, at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(digest, reader) DO UPDATE SET path = excluded.path,"
                " bytes = MAX(bytes, excluded.bytes), lines = MAX(lines, excluded.lines), at = excluded.at",
                (digest, reader, path, nbytes, lines, now))
