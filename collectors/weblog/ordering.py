"""Backfill in any order: a file's lines handed to the aggregation in time order.

The live tail reads lines as they are written, a few seconds out of order at most, and
counts as ``late`` a line whose bucket it already closed. A backfill has no such excuse:
an export may be newest-first, several days may be concatenated in any order, a file
may be shuffled. So ``ingest`` first reads the whole file and sorts its lines by
(timestamp, line): in memory up to ``CHUNK_BYTES``, beyond that in sorted runs on disk
merged back (an external merge sort, bounded memory). The aggregation then meets the
lines oldest first, so none is late, and as the order is a function of the lines alone,
any permutation of the same lines stores exactly the same points.

Header lines (``#Version``, ``#Fields``...) come first, in their order. A file whose
``#Fields`` header changes mid-way (W3C logs after a configuration change) cannot be
sorted without losing which header a line belongs to: ``NotOrderable`` is raised before
any line is handed on, and the caller reads that file as it is.
"""

from __future__ import annotations

import heapq
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, BinaryIO

from collectors.weblog.formats import MAX_LINE, AutoParser, parser_for
from collectors.weblog.record import LogRecord
from collectors.weblog.timestamps import parse_time_local

CHUNK_BYTES = 64 << 20
READ_LIMIT = 4 * MAX_LINE  # a longer line is cut here (it is ``too_long`` whatever follows)
_KEY = b"%020d"
_KEY_WIDTH = 20
_BRACKETED = re.compile(rb"\[(\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]")
_BRACKET_FORMATS = ("combined", "varnishncsa", "combined_request_time", "common", "vhost_combined")


class NotOrderable(ValueError):
    """The file's header changes mid-way; its lines must be read in file order."""


def line_time(fmt: str, *, follow: bool = False) -> Callable[[bytes], int]:
    """Epoch second of a line for ordering (-1 when the line has none: it goes first).

    ``follow`` (a format sniffed, not given): lines are read as the pipeline reads them, by an
    ``AutoParser`` that starts from ``fmt`` and follows the file where it changes format, so a
    log that turns to JSON lines part-way has those lines sorted by their time too. The key is
    called on every line in file order, headers included (a W3C ``#Fields`` names the columns).
    """
    parser = AutoParser(fmt) if follow else parser_for(fmt)

    def parsed(line: bytes) -> int:
        rec = parser(line.decode("utf-8", "replace"))
        return rec.ts if type(rec) is LogRecord else -1

    if fmt.strip().lower() not in _BRACKET_FORMATS:
        return parsed

    def bracketed(line: bytes) -> int:
        m = _BRACKETED.search(line, 0, 512)
        ts = parse_time_local(m.group(1).decode("ascii")) if m else None
        return ts if ts is not None else parsed(line)

    return bracketed


def bounded_lines(f: BinaryIO) -> Iterator[bytes]:
    """Lines of ``f``, each ending in a newline; one longer than ``READ_LIMIT`` is cut there, read in bounded memory."""
    while True:
        line = f.readline(READ_LIMIT)
        if not line:
            return
        if not line.endswith(b"\n"):
            if len(line) >= READ_LIMIT:  # skip the rest of an overlong line
                rest = line
                while rest and not rest.endswith(b"\n"):
                    rest = f.readline(READ_LIMIT)
            line += b"\n"
        yield line


class OrderedLines:
    """The lines of a binary stream, headers first, then in (time, line) order; ``bytes_read`` counts the input."""

    def __init__(self, f: BinaryIO, key: Callable[[bytes], int], *, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._f, self._key, self._chunk = f, key, chunk_bytes
        self.bytes_read = 0
        self.lines = 0
        self._runs: list[IO[bytes]] = []

    def __iter__(self) -> Iterator[bytes]:
        headers, records = self._read_all()
        yield from headers
        try:
            if not self._runs:
                yield from (r[_KEY_WIDTH:] for r in records)
                return
            self._spill(records)
            for r in heapq.merge(*(iter(run.readline, b"") for run in self._runs)):
                yield r[_KEY_WIDTH:]
        finally:
            for run in self._runs:
                run.close()

    def _read_all(self) -> tuple[list[bytes], list[bytes]]:
        headers: list[bytes] = []
        fields: set[bytes] = set()
        records: list[bytes] = []
        size = 0
        key = self._key
        for line in bounded_lines(self._f):
            self.bytes_read += len(line)
            self.lines += 1
            if line.startswith(b"#"):
                headers.append(line)
                key(line)  # a parser that reads columns from the header learns them
                if line.startswith(b"#Fields:"):
                    fields.add(line.strip())
                    if len(fields) > 1:
                        raise NotOrderable("its #Fields header changes mid-way")
                continue
            records.append(_KEY % (key(line) + 1) + line)
            size += len(line) + _KEY_WIDTH + 40
            if size >= self._chunk:
                self._spill(records)
                records, size = [], 0
        records.sort()
        return headers, records

    def _spill(self, records: list[bytes]) -> None:
        records.sort()
        run = tempfile.TemporaryFile(prefix="surgewatch-ingest-")  # noqa: SIM115 - closed after the merge
        run.writelines(records)
        run.seek(0)
        self._runs.append(run)


class LineStream(io.RawIOBase):
    """An iterator of byte lines as a readable binary stream (for the block and text readers)."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = iter(lines)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001 - a writable buffer
        want = len(b)
        parts, have = [self._buf], len(self._buf)
        while have < want:
            line = next(self._lines, None)
            if line is None:
                break
            parts.append(line)
            have += len(line)
        self._buf = b"".join(parts)
        n = min(want, len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def ordered_stream(f: BinaryIO, fmt: str, *, follow: bool = False) -> tuple[BinaryIO, OrderedLines]:
    """``f``'s lines in time order as a binary stream, and the reader that counts them (``follow``: ``line_time``)."""
    lines = OrderedLines(f, line_time(fmt, follow=follow))
    return io.BufferedReader(LineStream(iter(lines)), buffer_size=1 << 20), lines  # type: ignore[arg-type]
