"""The worker as a process: tails a log into the store, serves /metrics, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]


def _line(ts: datetime, i: int) -> str:
    stamp = ts.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (f'203.0.113.{i % 200 + 1} - - [{stamp}] "GET /products/{i} HTTP/1.1" 200 512 "-" '
            f'"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"\n')


def _wait_for(predicate, timeout: float = 30) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _metrics(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


def test_worker_tails_serves_metrics_and_flushes_everything_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    now = datetime.now(UTC)
    log.write_text("".join(_line(now, i) for i in range(300)) + "this is not a log line\n")
    port = free_port()
    (tmp_path / "surgewatch.toml").write_text(
        f'site = "shop"\n[store]\npath = "{tmp_path / "ts.db"}"\n[state]\npath = "{tmp_path / "state.db"}"\n'
        f'[worker]\nmetrics_port = {port}\npoll_every = 0.5\n'
        f'[collectors.accesslog]\nfiles = ["{log}"]\nformat = "combined"\nsource = "web1"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "worker"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert _wait_for(lambda: 'outcome="parsed"} 300.0' in _metrics(port)), proc.stdout and proc.poll()
        text = _metrics(port)
        assert 'surgewatch_lines_total{collector="accesslog:web1",outcome="malformed:' in text
        assert "surgewatch_job_duration_seconds_count{job=\"poll\"}" in text
        with log.open("a") as f:  # more lines just before the stop must not be lost
            f.write("".join(_line(now, i) for i in range(300, 350)))
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "worker stopped" in out
    store = EmbeddedStore(tmp_path / "ts.db")
    total = store.query("http", int(now.timestamp()) - 600, int(now.timestamp()) + 600, fields=["requests"])
    assert total["requests"].sum() == 350
    assert StateDB(tmp_path / "state.db").get_checkpoint("accesslog:shop:web1") is not None


def test_worker_refuses_a_bad_collector_section_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "surgewatch.toml").write_text(
        f'[store]\npath = "{tmp_path / "ts.db"}"\n[state]\npath = "{tmp_path / "state.db"}"\n'
        "[collectors.accesslog]\nformat = \"combined\"\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "worker"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "[collectors.accesslog] entry 1: files" in result.stderr
