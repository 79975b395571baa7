"""``surgewatch traffic``: the requests stored in a range, checked against a real log counted line by line.

The log is real (tests/data/README.md); the expected totals are counted here from its own
timestamps and status fields, never from the parser. Both backends: the embedded store
and a real influxd.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.services import Service

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "tests" / "data" / "apache_logs_elastic_examples.log"
_STAMP = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] \"[^\"]*\" (\d{3}) ")


def log_requests() -> list[tuple[int, str]]:
    """(epoch second, status) of every line of the log, read with strptime, not with Surgewatch."""
    out = []
    for line in LOG.read_text().splitlines():
        m = _STAMP.search(line)
        assert m, line
        out.append((int(datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()), m.group(2)))
    return out


def expected(t0: str, t1: str) -> tuple[int, Counter]:
    """Lines in [t0, t1) with both ends rounded down to 10 s, and their count by status class."""
    a = int(datetime.fromisoformat(t0.replace("Z", "+00:00")).timestamp()) // 10 * 10
    b = int(datetime.fromisoformat(t1.replace("Z", "+00:00")).timestamp()) // 10 * 10
    inside = [status for ts, status in log_requests() if a <= ts < b]
    return len(inside), Counter(f"{s[0]}xx" for s in inside)


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=180)


def traffic(cwd: Path, *args: str) -> dict:
    r = cli(cwd, "traffic", *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    lines = [x for x in r.stdout.splitlines() if x.strip()]
    assert len(lines) == 1, r.stdout  # exactly one JSON object, nothing else
    return json.loads(lines[0])


def _configure(tmp_path: Path, store: str) -> Path:
    (tmp_path / "surgewatch.toml").write_text(f'site = "blog"\n{store}\n[state]\npath = "{tmp_path / "state.db"}"\n')
    r = cli(tmp_path, "ingest", str(LOG), "--source", "semicomplete", "--format", "combined")
    assert r.returncode == 0, r.stderr
    return tmp_path


@pytest.fixture(params=["embedded", "influxdb"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A folder whose surgewatch.toml points at a store holding the real log, ingested by ``cli.py ingest``."""
    if request.param == "embedded":
        return _configure(tmp_path, f'[store]\npath = "{tmp_path / "ts.db"}"')
    svc: Service = request.getfixturevalue("influxd_service")
    db = request.getfixturevalue("influx_database")
    return _configure(tmp_path, f'[store]\nbackend = "influxdb"\ninflux_url = "{svc.url}"\ninflux_database = "{db}"\n'
                                f'spool_dir = "{tmp_path / "spool"}"')


RANGES = [
    ("2015-05-17T10:00:00Z", "2015-05-17T12:00:00Z"),        # everything
    ("2015-05-17T10:05:10Z", "2015-05-17T10:05:30Z"),        # two buckets, end excluded
    ("2015-05-17T10:05:13Z", "2015-05-17T10:05:39Z"),        # both ends rounded down to 10 s
    ("2015-05-17T12:05:20+02:00", "2015-05-17T13:05:40+02:00"),  # an offset: 10:05:20Z to 11:05:40Z
    ("2015-05-17T10:06:00Z", "2015-05-17T11:05:00Z"),        # the hour between: nothing
]


@pytest.mark.parametrize(("t0", "t1"), RANGES)
def test_totals_and_status_groups_match_the_log_counted_line_by_line(stored: Path, t0: str, t1: str) -> None:
    total, by_status = expected(t0, t1)
    out = traffic(stored, "--from", t0, "--to", t1, "--by", "status")
    assert out["requests"] == total
    assert {g["key"]: g["requests"] for g in out["groups"]} == dict(by_status)
    a = datetime.fromisoformat(t0.replace("Z", "+00:00")).astimezone(UTC)
    assert out["from"] == datetime.fromtimestamp(int(a.timestamp()) // 10 * 10, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_source_site_and_actor_groups_add_up_to_the_whole_log(stored: Path) -> None:
    everything = len(log_requests())
    assert everything == 96
    by_source = traffic(stored, "--from", "2015-05-17T00:00:00Z", "--to", "2015-05-18T00:00:00Z", "--by", "source")
    assert by_source["requests"] == everything
    assert by_source["groups"] == [{"key": "semicomplete", "requests": everything}]
    by_actor = traffic(stored, "--from", "2015-05-17T00:00:00Z", "--to", "2015-05-18T00:00:00Z", "--by", "actor",
                       "--site", "blog")
    assert sum(g["requests"] for g in by_actor["groups"]) == everything == by_actor["requests"]
    other_site = traffic(stored, "--from", "2015-05-17T00:00:00Z", "--to", "2015-05-18T00:00:00Z", "--site", "shop")
    assert other_site == {"from": "2015-05-17T00:00:00Z", "to": "2015-05-18T00:00:00Z", "requests": 0, "groups": []}


def test_the_table_shows_the_same_total(stored: Path) -> None:
    r = cli(stored, "traffic", "--from", "2015-05-17T10:05:00Z", "--to", "2015-05-17T10:06:00Z", "--by", "status")
    assert r.returncode == 0, r.stderr
    total, by_status = expected("2015-05-17T10:05:00Z", "2015-05-17T10:06:00Z")
    assert re.search(rf"total\s*│\s*{total}\b", r.stdout), r.stdout
    assert re.search(rf"4xx\s*│\s*{by_status['4xx']}\b", r.stdout), r.stdout


@pytest.mark.parametrize(("args", "named"), [
    (("--from", "2015-05-17T10:00:00", "--to", "2015-05-17T11:00:00Z"), "--from '2015-05-17T10:00:00'"),
    (("--from", "2015-05-17T10:00:00Z", "--to", "yesterday"), "--to 'yesterday'"),
    (("--from", "2015-05-17T10:00:00Z", "--to", "2015-05-17T25:00:00Z"), "--to '2015-05-17T25:00:00Z'"),
    (("--from", "2015-05-17T11:00:00Z", "--to", "2015-05-17T10:00:00Z"), "before --from"),
    (("--from", "2015-05-17T10:00:00Z", "--to", "2015-05-17T11:00:00Z", "--by", "country"), "--by 'country'"),
])
def test_bad_times_and_groups_are_a_clear_error_without_traceback(tmp_path: Path, args: tuple, named: str) -> None:
    (tmp_path / "surgewatch.toml").write_text(f'[store]\npath = "{tmp_path / "ts.db"}"\n')
    r = cli(tmp_path, "traffic", *args, "--format", "json")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert named in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""


def test_an_unreachable_influxdb_is_a_clear_error(tmp_path: Path) -> None:
    from tests.services import free_port

    (tmp_path / "surgewatch.toml").write_text(
        f'[store]\nbackend = "influxdb"\ninflux_url = "http://127.0.0.1:{free_port()}"\n')
    r = cli(tmp_path, "traffic", "--from", "2015-05-17T10:00:00Z", "--to", "2015-05-17T11:00:00Z")
    assert r.returncode == 1 and "cannot read the store" in r.stderr and "unreachable" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
