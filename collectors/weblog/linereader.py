"""Reading log bytes safely: lines in bounded memory, damaged compressed streams, binary files.

``bounded_lines`` yields text lines (``surrogateescape``, so a line that is not UTF-8 can be
counted ``bad_encoding``) and never holds more than about ``4 × MAX_LINE`` bytes of one line:
a longer line is yielded cut (still longer than ``MAX_LINE`` characters, so it is counted
``too_long``) and the rest of it is skipped. ``GuardedStream`` turns a truncated or corrupt
``.gz`` into a clean end of input and remembers the error, so everything read before the
damage is aggregated and stored and the caller can say what happened. ``binary_problem``
tells a binary file from a log by its first bytes.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from collectors.weblog.formats import MAX_LINE

CUT_BYTES = 4 * (MAX_LINE + 1)  # at most 4 bytes per character: a cut line is still too long
_BLOCK = 1 << 20
_READ_ERRORS = (EOFError, OSError, ValueError, zlib.error)
_CONTROL = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20))


class GuardedStream:
    """A binary stream whose read errors (truncated or corrupt gzip, I/O error) end the input instead."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.error: Exception | None = None
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        try:  # read1: one decompressed piece at a time, so nothing read before the damage is dropped with it
            data = self._f.read1(size) if hasattr(self._f, "read1") else self._f.read(size)
        except _READ_ERRORS as exc:  # gzip.BadGzipFile is an OSError
            self.error = exc
            return b""
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def readline(self, size: int = -1) -> bytes:
        if self.error is not None:
            return b""
        try:
            data = self._f.readline(size)
        except _READ_ERRORS as exc:
            self.error = exc
            return b""
        self.bytes_read += len(data)
        return data


def cut_line(data: bytes) -> bytes:
    """``data`` cut to ``CUT_BYTES``, never inside a UTF-8 character."""
    end = CUT_BYTES
    while end > CUT_BYTES - 4 and 0x80 <= data[end] < 0xC0:
        end -= 1
    return data[:end]


def bounded_lines(f: BinaryIO, head: bytes = b"") -> Iterator[str]:
    """The lines of ``f`` (after ``head``, bytes already read from it) as text, each at most ~``CUT_BYTES`` bytes."""
    rest = b""
    skipping = False
    for data in itertools.chain((head,), iter(lambda: f.read(_BLOCK), b"")):
        start = 0
        if skipping:
            nl = data.find(b"\n")
            if nl < 0:
                continue
            start, skipping = nl + 1, False
        buf = rest + data[start:] if rest else data[start:]
        pos = 0
        while True:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                break
            if nl - pos > CUT_BYTES:
                yield cut_line(buf[pos:nl]).decode("utf-8", "surrogateescape")
            else:
                yield buf[pos:nl + 1].decode("utf-8", "surrogateescape")
            pos = nl + 1
        rest = buf[pos:]
        if len(rest) > CUT_BYTES:
            yield cut_line(rest).decode("utf-8", "surrogateescape")
            rest, skipping = b"", True
    if rest:
        yield rest.decode("utf-8", "surrogateescape")


def binary_problem(head: bytes) -> str | None:
    """Why ``head`` (a file's first bytes) is not a text log; None when it looks like text."""
    if not head:
        return None
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"binary data (a NUL byte at offset {nul})"
    control = sum(head.count(bytes([c])) for c in _CONTROL)
    if control * 20 > len(head):
        return f"binary data ({control} control bytes in the first {len(head)})"
    return None
