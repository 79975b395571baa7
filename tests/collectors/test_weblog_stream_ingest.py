"""Backfill from raw bytes writes exactly what the text-line backfill writes."""

from __future__ import annotations

import gzip
import io

import pytest

from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from collectors.weblog.stream_ingest import ingest_stream
from simulate.scenarios import build
from store.embedded import EmbeddedStore
from tests.collectors.test_weblog_columnar import MEASUREMENTS, SALT, _messy, _points

OPTS = WeblogOptions(rate_limit_per_minute=20, campaign_min_requests=5, max_campaigns=3)


def _raw(seed: int) -> bytes:
    sim = build("campaign_plus_scraper", seed, history_hours=0.2, surge_hours=0.2, scale=0.3)
    lines = _messy(list(sim.lines()), seed)
    data = "\n".join(lines).encode("utf-8")                  # the last line has no newline
    data = data.replace(b"/static/", b"/st\xffatic/", 3)      # invalid UTF-8
    cut = len(data) // 3
    return data[:cut] + data[cut:].replace(b"\n", b"\r\n", 50)


def _compare(data: bytes, fmt: str, block_bytes: int | None = None) -> None:
    a, b = EmbeddedStore(":memory:"), EmbeddedStore(":memory:")
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape", newline="\n")
    sa = ingest_lines(text, a, site="shop", source="t", salt=SALT, fmt=fmt, options=OPTS)
    if block_bytes is not None:
        import collectors.weblog.blocks as columnar

        default = columnar.feed_binary.__defaults__
        columnar.feed_binary.__defaults__ = (block_bytes, None)
    try:
        sb = ingest_stream(io.BytesIO(data), b, site="shop", source="t", salt=SALT, fmt=fmt, options=OPTS)
    finally:
        if block_bytes is not None:
            columnar.feed_binary.__defaults__ = default
    pa, pb = _points(a), _points(b)
    for m in MEASUREMENTS:
        assert pa[m] == pb[m], m
    assert (sa.lines, sa.parsed, sa.late, sa.malformed, sa.samples) == (sb.lines, sb.parsed, sb.late, sb.malformed,
                                                                       sb.samples)
    assert sa.parsed > 1000 and sa.malformed
    assert sa.malformed.get("bad_encoding") == data.count(b"/st\xffatic/")  # each invalid line counted, not mended


@pytest.mark.parametrize("fmt", ["combined", "auto"])
def test_bytes_backfill_writes_what_the_text_backfill_writes(fmt: str) -> None:
    _compare(_raw(11), fmt)


def test_bytes_backfill_is_the_same_whatever_the_read_size() -> None:
    _compare(_raw(12), "combined", block_bytes=7_777)


def test_bytes_backfill_reads_gzip_and_formats_the_block_path_does_not() -> None:
    lines = [f'{{"time": {1_741_586_400 + i}, "remote_addr": "81.2.69.{i % 200 + 1}", "request": "GET /p/{i} HTTP/1.1",'
             f' "status": 200, "body_bytes_sent": 10, "http_user_agent": "Mozilla/5.0", "http_referer": ""}}'
             for i in range(500)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    a, b = EmbeddedStore(":memory:"), EmbeddedStore(":memory:")
    sa = ingest_lines(lines, a, site="shop", source="t", salt=SALT, fmt="auto")
    sb = ingest_stream(gzip.GzipFile(fileobj=io.BytesIO(data)), b, site="shop", source="t", salt=SALT, fmt="auto")
    assert sa.parsed == sb.parsed == 500
    assert _points(a) == _points(b)
