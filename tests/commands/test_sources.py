"""``surgewatch sources``: what the worker recorded of a real tail, and whether the store is reachable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collectors.accesslog import AccessLogSettings, AccessLogTail
from collectors.status import StatusRecorder
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.collectors.logsamples import combined
from tests.services import Service, free_port

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ('85.181.35.98 - - [07/Dec/2016:11:05:07 +0100 "GET /cart HTTP/1.1" 200 571 "-" '
          '"ShopApp/5.2.1 (iPhone; iOS 17.1; Scale/3.00) device=9F1C2B77A0"')


def _record(tmp_path: Path) -> Path:
    """The worker's view of one tail of 40 lines (one of them broken), in the state DB of ``tmp_path``."""
    log = tmp_path / "access.log"
    now = int(time.time())
    log.write_text("".join(combined(now, ip=f"81.2.69.{i + 1}") + "\n" for i in range(39)) + BROKEN + "\n")
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    tail = AccessLogTail(AccessLogSettings(files=[log], format="combined", source="web1"), store=store, state=state,
                         site="shop")
    rec = StatusRecorder(state)
    rec.observe(tail, tail.poll(), time.time())
    rec.observe_store(store, time.time())
    store.close()
    state.close()
    return log


def _sources(tmp_path: Path, store_toml: str, *args: str) -> subprocess.CompletedProcess:
    state = tmp_path / "state.db"
    (tmp_path / "surgewatch.toml").write_text(f'site = "shop"\n{store_toml}\n[state]\npath = "{state}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "sources", *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)


def test_json_lists_the_tail_with_its_file_offset_counts_and_redacted_sample(tmp_path: Path) -> None:
    log = _record(tmp_path)
    r = _sources(tmp_path, f'[store]\npath = "{tmp_path / "ts.db"}"', "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    (c,) = out["collectors"]
    assert c["name"] == "accesslog:web1" and c["lines"] == 40 and c["parsed"] == 39
    assert sum(c["malformed"].values()) == 1 and c["late"] == 0
    assert c["files"][0]["path"] == str(log) and c["files"][0]["offset"] == log.stat().st_size
    assert c["last_data_at"].endswith("Z") and c["lag_seconds"] is not None and c["lag_seconds"] < 120
    assert out["store"]["backend"] == "embedded" and out["store"]["reachable"] is True
    assert out["store"]["spool_points"] == 0
    assert "85.181.35.98" not in r.stdout and "ShopApp" not in r.stdout and "9F1C2B77A0" not in r.stdout


def test_table_names_the_collector_the_file_and_the_malformed_reason(tmp_path: Path) -> None:
    log = _record(tmp_path)
    r = _sources(tmp_path, f'[store]\npath = "{tmp_path / "ts.db"}"')
    assert r.returncode == 0, r.stderr
    flat = " ".join(r.stdout.split())
    assert "accesslog:web1" in flat and log.name in flat and "malformed" in flat and "reachable" in flat
    assert "85.181.35.98" not in r.stdout and "ShopApp" not in r.stdout


def test_influxdb_reachable_or_not_is_reported_without_failing(tmp_path: Path, influxd_service: Service) -> None:
    _record(tmp_path)
    up = _sources(tmp_path, f'[store]\nbackend = "influxdb"\ninflux_url = "{influxd_service.url}"', "--format", "json")
    assert up.returncode == 0, up.stderr
    store = json.loads(up.stdout)["store"]
    assert store["backend"] == "influxdb" and store["reachable"] is True
    down = _sources(tmp_path, f'[store]\nbackend = "influxdb"\ninflux_url = "http://127.0.0.1:{free_port()}"',
                    "--format", "json")
    assert down.returncode == 0, down.stderr
    store = json.loads(down.stdout)["store"]
    assert store["reachable"] is False and "unreachable" in store["error"]
    assert json.loads(down.stdout)["collectors"][0]["name"] == "accesslog:web1"  # still listed


def test_before_any_worker_ran_it_says_so(tmp_path: Path) -> None:
    r = _sources(tmp_path, f'[store]\npath = "{tmp_path / "ts.db"}"')
    assert r.returncode == 0 and "No collector has reported yet" in " ".join(r.stdout.split()), r.stdout + r.stderr


@pytest.mark.parametrize("fmt", ["yaml", ""])
def test_an_unknown_format_is_a_clear_error(tmp_path: Path, fmt: str) -> None:
    r = _sources(tmp_path, f'[store]\npath = "{tmp_path / "ts.db"}"', "--format", fmt)
    assert r.returncode == 2 and "--format" in r.stderr and "Traceback" not in r.stderr
