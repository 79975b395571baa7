"""What the worker records of each collector: a real tail's lines, files and redacted samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.status import StatusRecorder, scrub
from store import collector_status as cs
from tests.collectors import tailing
from tests.collectors.tailing import append, new_tail

# A line an app wrote, cut short (no closing bracket): malformed, with a full address and an app's user agent
# carrying a device id, neither of which may be shown.
APP_AGENT = "ShopApp/5.2.1 (iPhone; iOS 17.1; Scale/3.00) device=9F1C2B77A0"
BROKEN = f'85.181.35.98 - - [07/Dec/2016:11:05:07 +0100 "GET /cart HTTP/1.1" 200 571 "-" "{APP_AGENT}"'

parts = tailing.parts  # the fixture: a fresh store and state DB


def test_a_real_tail_is_recorded_with_counts_file_offset_and_a_redacted_sample(tmp_path: Path, parts) -> None:
    store, state = parts
    tail, log = new_tail(tmp_path, store, state)
    append(log, 50, BROKEN)
    rec = StatusRecorder(state)
    rec.observe(tail, tail.poll(), 1000.0)
    row = cs.get_status(state, "accesslog:web1")
    assert row["lines"] == 51 and row["parsed"] == 50 and sum(row["malformed"].values()) == 1
    assert row["files"] == [{"path": str(log), "offset": log.stat().st_size, "size": log.stat().st_size,
                             "problem": None}]
    assert row["last_data_at"] == 1000.0 and row["site"] == "shop" and row["unit"] == "lines"
    (sample,) = [s for v in row["samples"].values() for s in v]
    assert "85.181.35.98" not in sample and "ShopApp" not in sample and "9F1C2B77A0" not in sample, sample
    assert "/cart" in sample  # still says what the line was
    v = cs.view(row, 1061.0)
    assert v["per_second"] == pytest.approx(51 / 60) and v["state"] == "learning"


@pytest.mark.parametrize("hostile", [
    '2001:db8:85a3:8d3:1319:8a2e:370:7348 - - [x] "GET / HTTP/1.1" 200 1 "-" "okhttp/4.9.0"',
    '{"remote_addr":"203.0.113.77","http_user_agent":"Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7)","ts":"oops"}',
    "2024-01-01 00:00:00 W3SVC1 10.1.2.3 GET /a - 80 - 198.51.100.9 "
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36 - 200",
])
def test_samples_never_carry_a_full_address_or_user_agent(hostile: str) -> None:
    shown = scrub(hostile)
    for secret in ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "okhttp/4.9.0", "203.0.113.77", "Dalvik", "Pixel 7",
                   "198.51.100.9", "Windows+NT", "AppleWebKit"):
        assert secret not in shown, shown


def test_a_sample_the_pipeline_already_redacted_reads_the_same_after_scrub() -> None:
    from collectors.weblog.privacy import redact

    once = redact('garbage from 1.2.3.4 and 2001:db8:85a3:8d3:1319:8a2e:370:7348 GET /a?x=1&utm_campaign=z')
    assert scrub(once) == "garbage from 1.2.3.0/24 and 2001:db8:85a3::/48 GET /a?utm_campaign=z"
