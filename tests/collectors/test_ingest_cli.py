"""``cli.py ingest``: backfill with a summary, gzip input, re-ingest is a no-op, unreadable input fails."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from store.embedded import EmbeddedStore
from tests.collectors.logsamples import T0, combined

ROOT = Path(__file__).resolve().parents[2]


def _ingest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_backfill_summary_and_second_run_is_a_no_op(tmp_path: Path) -> None:
    log = tmp_path / "access.log.gz"
    with gzip.open(log, "wt") as f:
        f.write("".join(combined(T0 + i, ip=f"81.2.69.{i % 200 + 1}") + "\n" for i in range(300)) + "junk\n")
    db = tmp_path / "ts.db"
    first = _ingest(str(log), "--store-path", str(db), "--site", "shop")
    assert first.returncode == 0, first.stderr
    assert "301 lines read, 300 parsed, malformed: no_match=1, late 0" in first.stderr
    second = _ingest(str(log), "--store-path", str(db), "--site", "shop")
    assert second.returncode == 0 and "already ingested" in second.stderr
    store = EmbeddedStore(db)
    assert int(store.query("http", 0, 2_000_000_000, fields=["requests"])["requests"].sum()) == 300
    forced = _ingest(str(log), "--store-path", str(db), "--site", "shop", "--force")
    assert forced.returncode == 0
    assert int(store.query("http", 0, 2_000_000_000, fields=["requests"])["requests"].sum()) == 300  # idempotent


def test_unreadable_input_exits_non_zero_with_the_path(tmp_path: Path) -> None:
    result = _ingest(str(tmp_path / "missing.log"), "--store-path", str(tmp_path / "ts.db"))
    assert result.returncode == 1 and "missing.log" in result.stderr


def test_a_rotated_gzipped_copy_is_a_no_op_and_shares_the_files_source(tmp_path: Path) -> None:
    from tests.collectors.realsample import real_lines

    lines = real_lines()
    log = tmp_path / "access.log"
    log.write_text("".join(lines))
    with gzip.open(tmp_path / "access.log.1.gz", "wt") as f:
        f.write("".join(lines))
    db = tmp_path / "ts.db"
    first = _ingest(str(log), "--store-path", str(db), "--site", "shop")
    assert first.returncode == 0 and "(source file:access.log)" in first.stderr
    again = _ingest(str(tmp_path / "access.log.1.gz"), "--store-path", str(db), "--site", "shop")
    assert again.returncode == 0 and "already ingested" in again.stderr and "--force" in again.stderr
    store = EmbeddedStore(db)
    assert int(store.query("http", 0, 2_000_000_000, fields=["requests"])["requests"].sum()) == len(lines)
    assert store.tag_values("http", "source") == ["file:access.log"]
