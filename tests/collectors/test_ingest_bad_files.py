"""``ingest`` on files that are not (all) access logs: refused or stored up to the damage, never half-recorded.

A binary file or a log in no known format stops before anything is stored, with the file, its
first line (redacted) and ``--format`` named; a truncated ``.gz`` has the lines before the damage
stored, is recorded as partial and exits 1; printed samples carry no full address or user agent.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zlib
from pathlib import Path

from collectors.weblog.clf import parse_clf
from collectors.weblog.record import LogRecord
from store.embedded import EmbeddedStore
from tests.collectors.logsamples import T0, combined

ROOT = Path(__file__).resolve().parents[2]
APP_UA = "ShopApp/7.3.1 (iPhone14,2; iOS 17.2; device=5F3A9C2E-1B7D-4E8A-9C6F-2D4B8E1A7C3F)"


def _ingest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def _requests(db: Path) -> int:
    if not db.exists():
        return 0
    return sum(int(p.fields["requests"]) for p in EmbeddedStore(db).points("http", 0, 4_000_000_000))


def test_a_binary_file_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    blob = tmp_path / "access.log"
    blob.write_bytes(os.urandom(1 << 20))
    db = tmp_path / "ts.db"
    out = _ingest(str(blob), "--store-path", str(db))
    assert out.returncode == 1
    assert "access.log is not a text access log" in out.stderr and "binary data" in out.stderr
    assert len(out.stdout + out.stderr) < 2_000  # its bytes are not echoed
    assert _requests(db) == 0


def test_a_file_in_no_known_format_names_the_file_its_redacted_first_line_and_format(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(f"2024-05-01 12:00:{i:02d} INFO user 81.2.69.142 logged in with {APP_UA}\n"
                           for i in range(30)))
    db = tmp_path / "ts.db"
    out = _ingest(str(log), "--store-path", str(db))
    assert out.returncode == 1
    assert "app.log" in out.stderr and "--format" in out.stderr and "no known access-log format" in out.stderr
    assert "81.2.69.0/24" in out.stderr and "81.2.69.142" not in out.stderr and "5F3A9C2E" not in out.stderr
    assert _requests(db) == 0


def test_a_truncated_gz_stores_the_lines_before_the_damage_and_is_recorded_partial(tmp_path: Path) -> None:
    text = "".join(combined(T0 + i, ip=f"81.2.69.{i % 200 + 1}", target=f"/p/{i}") + "\n" for i in range(20_000))
    packed = gzip.compress(text.encode())
    cut = packed[: len(packed) // 2]
    log = tmp_path / "access.log.1.gz"
    log.write_bytes(cut)
    readable = zlib.decompressobj(wbits=31).decompress(cut)  # what any reader gets out of the damaged file
    pieces = readable.decode().split("\n")
    complete, partial = pieces[:-1], pieces[-1]
    expected = len(complete) + (1 if partial and isinstance(parse_clf(partial), LogRecord) else 0)
    db = tmp_path / "ts.db"
    out = _ingest(str(log), "--store-path", str(db), "--site", "shop")
    assert out.returncode == 1
    assert "damaged after" in out.stderr and "recorded as partial" in out.stderr
    assert 0 < expected < 20_000 and _requests(db) == expected
    again = _ingest(str(log), "--store-path", str(db), "--site", "shop")  # the same damaged copy: nothing twice
    assert "already ingested" in again.stderr and "partial" in again.stderr
    assert _requests(db) == expected
    log.write_bytes(packed)  # the intact copy arrives: it completes the file, the first part is not counted twice
    whole = _ingest(str(log), "--store-path", str(db), "--site", "shop")
    assert whole.returncode == 0, whole.stderr
    assert _requests(db) == 20_000


def test_a_gz_damaged_within_its_first_kilobytes_is_still_stored_up_to_the_damage(tmp_path: Path) -> None:
    """The damage comes before the 64 KiB the file's identity is read from: what precedes it is stored once."""
    text = "".join(combined(T0 + i, ip=f"81.2.69.{i % 200 + 1}", target=f"/p/{i}") + "\n" for i in range(300))
    packed = gzip.compress(text.encode())
    log = tmp_path / "access.log.2.gz"
    log.write_bytes(packed[: len(packed) // 2])
    readable = zlib.decompressobj(wbits=31).decompress(packed[: len(packed) // 2])
    assert 1024 < len(readable) < 64 * 1024
    expected = readable.count(b"\n")  # the cut last line is no_match (its status is cut off or absent)
    db = tmp_path / "ts.db"
    out = _ingest(str(log), "--store-path", str(db))
    assert out.returncode == 1 and "damaged after" in out.stderr, out.stderr
    assert _requests(db) == expected
    again = _ingest(str(log), "--store-path", str(db))
    assert "already ingested" in again.stderr and _requests(db) == expected


def test_a_gz_grown_by_an_appended_member_is_read_again(tmp_path: Path) -> None:
    """A gzip's trailer gives only its last member's size: a file grown by a member is known by its content."""
    lines = [combined(T0 + i, ip=f"81.2.69.{i % 200 + 1}", target=f"/p/{i}") + "\n" for i in range(3_000)]
    log = tmp_path / "access.log.1.gz"
    log.write_bytes(gzip.compress("".join(lines[:2_000]).encode()))
    db = tmp_path / "ts.db"
    assert _ingest(str(log), "--store-path", str(db)).returncode == 0
    assert _requests(db) == 2_000
    log.write_bytes(log.read_bytes() + gzip.compress("".join(lines[2_000:]).encode()))  # as `cat a.gz b.gz`
    grown = _ingest(str(log), "--store-path", str(db))
    assert grown.returncode == 0 and "already ingested" not in grown.stderr, grown.stderr
    assert _requests(db) == 3_000  # its part replaced, not added to
    again = _ingest(str(log), "--store-path", str(db))
    assert "already ingested" in again.stderr and _requests(db) == 3_000


def test_printed_samples_are_redacted_like_stored_data(tmp_path: Path) -> None:
    bad = [combined(T0, ip="81.2.69.142", ua=APP_UA, target="/a?email=jo@example.com").replace(" 200 ", " 2x0 "),
           combined(T0, ip="2001:db8:1234:5678::9", ua=APP_UA).replace("14/Nov/2023", "14/Xyz/2023")]
    log = tmp_path / "access.log"
    log.write_text("\n".join([combined(T0), *bad, combined(T0 + 1)]) + "\n")
    out = _ingest(str(log), "--store-path", str(tmp_path / "ts.db"))
    assert out.returncode == 0, out.stderr
    assert "bad_status e.g." in out.stderr and "bad_timestamp e.g." in out.stderr
    for secret in ("81.2.69.142", "2001:db8:1234:5678::9", "5F3A9C2E", "iPhone14,2", "jo@example.com"):
        assert secret not in out.stderr, secret


def test_a_format_given_that_no_line_is_in_is_refused_naming_the_one_it_looks_like(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("".join(combined(T0 + i, ua=APP_UA) + "\n" for i in range(10)))
    db = tmp_path / "ts.db"
    out = _ingest(str(log), "--store-path", str(db), "--format", "iis")
    assert out.returncode == 1
    assert "access.log" in out.stderr and "--format 'iis'" in out.stderr and "looks like 'combined'" in out.stderr
    assert "81.2.69.142" not in out.stderr and "5F3A9C2E" not in out.stderr
    assert _requests(db) == 0
    assert _ingest(str(log), "--store-path", str(db), "--format", "combined").returncode == 0
    assert _requests(db) == 10
