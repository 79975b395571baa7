"""``reference refresh`` against a recorded download: the publishers' files served on loopback.

The server serves ``reference/data`` (copies of the published feeds, in their published formats)
and a captive-portal HTML page; the refresh writes into a scratch copy whose files are older
(truncated) versions, so what changed, what did not and what failed is visible.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference import networks
from reference.refresh import refresh

ROOT = Path(__file__).resolve().parents[2]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    shutil.copytree(networks.DATA_DIR, served)
    (served / "portal.html").write_text("<html><body>Please log in to the hotel Wi-Fi</body></html>")
    handler = functools.partial(_Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def old_copy(tmp_path: Path) -> Path:
    """The data directory as it was some weeks ago: Googlebot's list had only its first 10 ranges."""
    target = tmp_path / "data"
    shutil.copytree(networks.DATA_DIR, target)
    doc = json.loads((target / "googlebot.json").read_text())
    doc["prefixes"] = doc["prefixes"][:10]
    (target / "googlebot.json").write_text(json.dumps(doc))
    return target


def test_refresh_writes_changed_feeds_keeps_the_rest_and_records_when(feed: str, old_copy: Path) -> None:
    outcomes = {o.name: o for o in refresh(old_copy, base_url=feed)}
    assert outcomes["googlebot"].status == "updated"
    assert len(networks.ranges("googlebot", old_copy)) == len(networks.ranges("googlebot"))
    assert outcomes["bingbot"].status == "unchanged" and outcomes["aws"].status == "unchanged"
    assert outcomes["azure"].status == "unchanged"  # a mirror has it; Microsoft has no fixed URL:
    (azure,) = refresh(old_copy, only=["azure"])
    assert azure.status == "kept" and "--url azure=URL" in azure.message
    assert outcomes["mail_security"].status == "kept"
    manifest = json.loads((old_copy / "manifest.json").read_text())
    assert manifest["googlebot"]["url"] == f"{feed}/googlebot.json" and manifest["googlebot"]["ranges"] > 100
    assert manifest["googlebot"]["fetched"].endswith("Z")


def test_a_portal_page_or_a_dead_host_keeps_the_old_file(feed: str, old_copy: Path) -> None:
    before = (old_copy / "bingbot.json").read_bytes()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/gcp-cloud.json"  # bound, not listening: refused
    outcomes = {o.name: o for o in refresh(old_copy, only=["bingbot", "gcp"], timeout=5,
                                           urls={"bingbot": f"{feed}/portal.html", "gcp": dead})}
    assert outcomes["bingbot"].status == "failed" and "does not parse" in outcomes["bingbot"].message
    assert "old bingbot.json kept" in outcomes["bingbot"].message
    assert outcomes["gcp"].status == "failed" and "could not be fetched" in outcomes["gcp"].message
    assert (old_copy / "bingbot.json").read_bytes() == before
    assert networks.ranges("gcp", old_copy)


def test_unknown_source_is_refused_with_the_known_ones(old_copy: Path) -> None:
    with pytest.raises(ValueError, match="googlebot"):
        refresh(old_copy, only=["yahoo"])


def test_command_prints_one_line_per_source_and_fails_when_one_failed(feed: str, old_copy: Path) -> None:
    run = subprocess.run([sys.executable, "cli.py", "reference", "refresh", "--data-dir", str(old_copy),
                          "--base-url", feed, "--url", f"aws={feed}/portal.html"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert any(line.startswith("updated") and "googlebot" in line for line in lines)
    assert any(line.startswith("failed") and "aws" in line for line in lines)
    assert "Traceback" not in run.stdout + run.stderr
    bad = subprocess.run([sys.executable, "cli.py", "reference", "refresh", "--data-dir", str(old_copy),
                          "--url", "nonsense"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "NAME=URL" in bad.stdout
