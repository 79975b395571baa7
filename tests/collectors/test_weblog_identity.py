"""A log file's identity is its content: rotation suffixes, gzip and header lines do not change it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from collectors.weblog.backfill import IngestRequest, ingest_file
from collectors.weblog.identity import default_source, file_id, rotation_order
from store.base import TimeSeriesStore
from store.state import StateDB
from tests.collectors.realsample import real_lines

# A header in the shape CloudFront writes at the top of every standard log file (its field list shortened here):
# identical in every file, so it must not be part of a file's identity.
CLOUDFRONT_HEADER = ("#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "
                     "sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type\n")


@pytest.mark.parametrize(("name", "source"), [
    ("access.log", "file:access.log"), ("access.log.1", "file:access.log"), ("access.log.2.gz", "file:access.log"),
    ("access.log-20240101", "file:access.log"), ("access.log-2024010112.gz", "file:access.log"),
    ("shop.access.log.gz", "file:shop.access.log"), ("v1.2.log", "file:v1.2.log"),
])
def test_the_default_source_drops_rotation_suffixes(name: str, source: str) -> None:
    assert default_source(Path("/var/log/nginx") / name) == source


def test_rotated_pieces_sort_oldest_first() -> None:
    names = ["access.log.1", "access.log.10.gz", "access.log.2.gz", "access.log.bak", "other.log.1"]
    ranked = sorted(n for n in names if rotation_order(n, "access.log") is not None)
    assert sorted(ranked, key=lambda n: rotation_order(n, "access.log")) == \
        ["access.log.10.gz", "access.log.2.gz", "access.log.1"]


def test_identity_is_the_content_after_the_header_whatever_the_name_or_compression(tmp_path: Path) -> None:
    body = "".join(real_lines())
    plain = tmp_path / "E2EXAMPLE.2019-12-04-21.abcd"
    plain.write_text(CLOUDFRONT_HEADER + body)
    packed = tmp_path / "E2EXAMPLE.2019-12-04-21.abcd.gz"
    with gzip.open(packed, "wt") as f:
        f.write(CLOUDFRONT_HEADER + body)
    bare = tmp_path / "renamed"
    bare.write_text(body)
    other = tmp_path / "next-hour"
    other.write_text(CLOUDFRONT_HEADER + "".join(real_lines()[1:]))
    assert file_id(plain).key == file_id(packed).key == file_id(bare).key != file_id(other).key
    assert file_id(plain).header == len(CLOUDFRONT_HEADER)


def test_a_file_grown_since_it_was_ingested_is_read_again_and_replaces_its_part(
        tmp_path: Path, any_store: TimeSeriesStore) -> None:
    lines = real_lines() * 3
    log = tmp_path / "access.log"
    log.write_text("".join(lines[:40]))
    state = StateDB(tmp_path / "state.db")
    req = IngestRequest(site="shop", salt=b"g" * 16)
    assert ingest_file(log, any_store, state, req).stats.parsed == 40
    log.write_text("".join(lines))                           # the same file, grown
    out = ingest_file(log, any_store, state, req)
    assert out.stats is not None and out.stats.parsed == len(lines) and out.source == "file:access.log"
    assert ingest_file(log, any_store, state, req).stats is None  # nothing new now
    state.close()
    df = any_store.query("http", 0, 2_000_000_000, fields=["requests"])
    assert int(df["requests"].sum()) == len(lines)           # not 40 + len(lines)
