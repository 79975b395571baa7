"""Backfill straight from a binary stream (plain or gzip file): blocks of raw bytes, never one str per line.

``ingest_lines`` takes text lines, so every line is decoded into a Python string, joined
and encoded again before the block path splits it. For a file the block path can read the
bytes as they are (``blocks.feed_binary``): cut at the last newline of each read, a line
that is not UTF-8 counted ``bad_encoding`` as the text path counts it. Formats the block path
does not read go through the per-line path via ``linereader.bounded_lines`` (lines in bounded
memory), so every format works. With ``fmt="auto"`` the format is sniffed from the first lines
and followed line by line if it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import BinaryIO

from collectors.weblog.formats import SNIFF_LINES, AutoParser, sniff
from collectors.weblog.linereader import bounded_lines
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import COLUMNAR_FORMATS, IngestStats, WeblogPipeline, counted, finish
from store.base import TimeSeriesStore


class _Prefixed:
    """``head`` (bytes already read to sniff the format) followed by the rest of ``f``."""

    def __init__(self, head: bytes, f: BinaryIO) -> None:
        self._head, self._f = head, f

    def readline(self, size: int = -1) -> bytes:
        """One line (at most ``size`` bytes), as ``readline`` of the whole stream would give it.

        The head holds many lines (``read_head``): each is handed on alone, so a reader that
        keys every line (``ordering``) never takes several head lines for one; a last head line
        cut before its newline is completed from ``f``.
        """
        if not self._head:
            return self._f.readline(size)
        nl = self._head.find(b"\n")
        end = len(self._head) if nl < 0 else nl + 1
        if 0 <= size < end:
            end = size
        out, self._head = self._head[:end], self._head[end:]
        if not self._head and not out.endswith(b"\n") and (size < 0 or len(out) < size):
            out += self._f.readline(size - len(out) if size >= 0 else -1)
        return out

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out = self._head if size < 0 or size >= len(self._head) else self._head[:size]
            self._head = self._head[len(out):]
            return out
        return self._f.read(size)


def read_head(f: BinaryIO, lines: int = SNIFF_LINES) -> bytes:
    """The first ``lines`` lines of ``f`` (each read at most 64 KiB at a time), to sniff the format from."""
    head = b""
    for _ in range(lines):
        line = f.readline(1 << 16)
        if not line:
            break
        head += line
    return head


def ingest_stream(f: BinaryIO, store: TimeSeriesStore, *, site: str, source: str, fmt: str = "combined",
                  salt: bytes | None = None, state=None,  # noqa: ANN001
                  options: WeblogOptions | None = None, part: str = "", ordered: bool = False,
                  on_progress: Callable[[int], None] | None = None) -> IngestStats:
    """Aggregate the lines of a binary stream into 10 s buckets and write them, as ``ingest_lines`` does.

    ``ordered``: read the whole stream first and hand its lines on in time order
    (``collectors.weblog.ordering``), so none is late whatever the order in the file;
    raises ``NotOrderable`` (before writing anything) for a file that cannot be sorted.
    ``on_progress`` is called with the number of lines read, as they are read.
    ``part`` tags what this stream writes (one part per file, see ``store.parts``).
    """
    pipe = WeblogPipeline(store, site=site, source=source, fmt=fmt, options=options, salt=salt, state=state,
                          part=part)
    name = fmt.strip().lower()
    head = b""
    if name == "auto":
        head = read_head(f)
        name = sniff(head.decode("utf-8", "replace").splitlines()) or "combined"
        pipe._parser = AutoParser(name)  # follows the file if it changes format part-way
    if ordered:
        from collectors.weblog.ordering import ordered_stream

        auto = fmt.strip().lower() == "auto"  # sniffed: the keys follow a change of format as the parser does
        f, _ = ordered_stream(_Prefixed(head, f), name if auto else fmt, follow=auto)  # type: ignore[arg-type]
        head = b""
        f.peek(1)  # sorts now: a NotOrderable file is known before any line is aggregated
    if name not in COLUMNAR_FORMATS:
        lines: Iterable[str] = bounded_lines(f, head)
        pipe.feed(counted(lines, on_progress) if on_progress else lines)
        return finish(pipe)
    from collectors.weblog.blocks import feed_binary

    feed_binary(pipe, _Prefixed(head, f), on_block=on_progress)
    return finish(pipe)
