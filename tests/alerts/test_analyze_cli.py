"""The ``analyze`` command's contract, run as other tools run it: a subprocess of cli.py."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulate.scenarios import build

ROOT = Path(__file__).resolve().parents[2]
SIZE = {"scale": 0.4, "history_hours": 2.0, "surge_hours": 0.75}
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", "analyze", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def campaign_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    sim = build("campaign_surge", 11, **SIZE)
    folder = tmp_path_factory.mktemp("campaign")
    log = folder / "access.log"
    sim.write(log)
    campaigns = folder / "campaigns.json"
    campaigns.write_text(json.dumps(sim.campaigns))
    return log, campaigns, [sim.campaigns[0]["name"]]


def test_json_report_follows_the_contract(campaign_log: tuple[Path, Path, list[str]]) -> None:
    log, campaigns, names = campaign_log
    out = analyze("--log", str(log), "--campaigns", str(campaigns), "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)  # exactly one JSON object, nothing else on stdout
    assert list(report) == ["spikes"]
    (spike,) = report["spikes"]
    for key in ("start", "end", "peak_rps", "baseline_rps", "verdict", "confidence", "campaign", "evidence"):
        assert key in spike
    assert ISO_Z.match(spike["start"]) and ISO_Z.match(spike["end"]) and spike["start"] < spike["end"]
    assert spike["verdict"] == "campaign" and spike["campaign"] == names[0]
    assert 0 < spike["confidence"] <= 1
    assert out.stderr  # progress goes to stderr


def test_rotated_and_per_server_logs_merge_to_the_same_verdict(campaign_log, tmp_path: Path) -> None:
    log, campaigns, _ = campaign_log
    lines = log.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    old = tmp_path / "access.log.1.gz"
    with gzip.open(old, "wt") as fh:
        fh.writelines(lines[:half])
    new = tmp_path / "access.log"
    new.write_text("".join(lines[half:]))
    a, b = tmp_path / "web1.log", tmp_path / "web2.log"
    a.write_text("".join(lines[0::2]))
    b.write_text("".join(lines[1::2]))
    whole = json.loads(analyze("--log", str(log), "--campaigns", str(campaigns), "--format", "json").stdout)
    rotated = json.loads(analyze("--log", str(new), "--log", str(old), "--campaigns", str(campaigns),
                                 "--format", "json").stdout)
    servers = json.loads(analyze("--log", str(a), "--log", str(b), "--campaigns", str(campaigns),
                                 "--format", "json").stdout)
    key = [(s["start"], s["verdict"], s["campaign"]) for s in whole["spikes"]]
    assert key == [(s["start"], s["verdict"], s["campaign"]) for s in rotated["spikes"]]
    assert key == [(s["start"], s["verdict"], s["campaign"]) for s in servers["spikes"]]


def test_without_calendar_the_same_surge_is_organic(campaign_log) -> None:
    log, _, _ = campaign_log
    out = analyze("--log", str(log), "--format", "json")
    (spike,) = json.loads(out.stdout)["spikes"]
    assert spike["verdict"] == "organic" and spike["campaign"] is None


def test_quiet_log_prints_empty_spike_list(tmp_path: Path) -> None:
    log = tmp_path / "quiet.log.gz"
    build("quiet_day", 5, **SIZE).write(log)
    out = analyze("--log", str(log), "--campaigns", str(_empty(tmp_path)), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"spikes": []}


def _empty(tmp_path: Path) -> Path:
    p = tmp_path / "none.json"
    p.write_text("[]")
    return p


@pytest.mark.parametrize("problem", ["missing", "broken_gzip", "bad_campaigns"])
def test_unreadable_input_exits_non_zero_with_nothing_on_stdout(problem: str, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text('203.0.113.9 - - [01/Mar/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8"\n')
    args = ["--log", str(log)]
    if problem == "missing":
        args = ["--log", str(tmp_path / "nope.log")]
    elif problem == "broken_gzip":
        broken = tmp_path / "access.log.gz"
        data = gzip.compress(log.read_bytes() * 5000)
        broken.write_bytes(data[: len(data) // 2])
        args = ["--log", str(broken)]
    else:
        bad = tmp_path / "campaigns.json"
        bad.write_text('[{"name": "x", "channel": "email"}]')
        args += ["--campaigns", str(bad)]
    out = analyze(*args, "--format", "json")
    assert out.returncode != 0
    assert out.stdout == ""
    assert ("nope.log" in out.stderr) if problem == "missing" else out.stderr.strip()


def test_table_is_the_default_format(campaign_log) -> None:
    log, campaigns, names = campaign_log
    out = analyze("--log", str(log), "--campaigns", str(campaigns))
    assert out.returncode == 0
    assert "CAMPAIGN" in out.stdout and names[0] in out.stdout


def test_the_sites_own_host_is_never_a_webmail_social_site_or_search_engine() -> None:
    """An email blast whose readers outnumber the shop's own clicks must not make Gmail the site's host."""
    from commands.analyze import own_host

    shop = '1.2.3.4 - - [02/Mar/2026:08:00:00 +0000] "GET /p HTTP/1.1" 200 5 "https://shop.example.com/" "x"'
    mail = '5.6.7.8 - - [02/Mar/2026:08:00:01 +0000] "GET /s HTTP/1.1" 200 5 "https://mail.google.com/" "x"'
    assert own_host([shop] * 40 + [mail] * 60) == "shop.example.com"
