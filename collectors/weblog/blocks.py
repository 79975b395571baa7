"""Feeding the block engine: text lines or a binary stream, cut into blocks of whole lines.

``feed_lines`` (the live tail's lines, ``ingest_lines``) and ``feed_binary`` (a file read as
raw bytes, a block at a time, cut at the last newline; a line past the bound kept only as far
as needed to count it ``too_long``) both hand whole-line blocks to the pipeline's
``ColumnarFeeder``; ``on_block`` reports the lines of each block as it is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, BinaryIO

import pyarrow as pa

from collectors.weblog.columnar import ColumnarFeeder
from collectors.weblog.linereader import CUT_BYTES, cut_line

if TYPE_CHECKING:
    from collectors.weblog.pipeline import WeblogPipeline

BLOCK_LINES = 8_192
BLOCK_BYTES = 2 << 20


def feeder_of(pipe: WeblogPipeline) -> ColumnarFeeder:
    """The pipeline's block feeder (its tag codes kept from block to block)."""
    if pipe.feeder is None:
        pipe.feeder = ColumnarFeeder(pipe)
    return pipe.feeder


def feed_lines(pipe: WeblogPipeline, lines: Iterable[str], block_lines: int = BLOCK_LINES) -> int:
    """Feed text lines (newline-terminated or not) a block at a time; returns lines read."""
    feeder = feeder_of(pipe)
    batch: list[str] = []
    n = 0
    for line in lines:
        batch.append(line if line[-1:] == "\n" else line + "\n")
        if len(batch) >= block_lines:
            n += _timed(pipe, feeder, _encode("".join(batch)))
            batch = []
    if batch:
        n += _timed(pipe, feeder, _encode("".join(batch)))
    return n


def _encode(text: str) -> bytes:
    """Text lines back to bytes: undecodable bytes as they were read, any other lone surrogate as invalid UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def feed_binary(pipe: WeblogPipeline, f: BinaryIO, block_bytes: int = BLOCK_BYTES,
                on_block: Callable[[int], None] | None = None) -> int:
    """Feed a binary stream (plain or gzip) in blocks cut at line ends; returns lines read."""
    feeder = feeder_of(pipe)
    rest = b""
    n = 0
    skipping = False  # inside a line too long to keep: its start was kept, the rest is dropped
    while True:
        data = f.read(block_bytes)
        if not data:
            break
        if skipping:
            nl = data.find(b"\n")
            if nl < 0:
                continue
            rest, data, skipping = rest + b"\n", data[nl + 1:], False
        data = rest + data if rest else data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            if len(rest) > CUT_BYTES:  # bounded memory: keep enough to count it too_long and show its start
                rest, skipping = cut_line(rest), True
            continue
        rest = data[cut:]
        if len(rest) > CUT_BYTES:
            rest, skipping = cut_line(rest), True
        k = _timed(pipe, feeder, data[:cut] if cut < len(data) else data)
        n += k
        if on_block is not None:
            on_block(k)
    if rest:
        k = _timed(pipe, feeder, rest)
        n += k
        if on_block is not None:
            on_block(k)
    return n


def _timed(pipe: WeblogPipeline, feeder: ColumnarFeeder, data: bytes) -> int:
    t0 = time.perf_counter()
    n = feeder.feed_block(data)
    _POOL.release_unused()  # Arrow's allocator would otherwise keep every block's buffers mapped
    pipe.stats.seconds += time.perf_counter() - t0
    return n


_POOL = pa.default_memory_pool()
