"""The live writer, the history backfill, the big-log writer and the simulate command."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from cli import app
from simulate.big import write_big
from simulate.live import backfill, run_live

STAMP = re.compile(r"\[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")


def stamps(path) -> list[datetime]:
    return [datetime.strptime(STAMP.search(line).group(1), "%d/%b/%Y:%H:%M:%S %z")
            for line in path.read_text().splitlines()]


def test_backfill_writes_past_hours_ending_now(tmp_path) -> None:
    log = tmp_path / "access.log"
    n = backfill(log, 0.5, seed=3, rps=4.0)
    times = stamps(log)
    now = datetime.now(UTC)
    assert n == len(times) > 500 and times == sorted(times)
    assert now - timedelta(minutes=31) <= times[0] and times[-1] <= now


def test_live_appends_current_lines_and_announces_the_campaign_before_it_starts(tmp_path) -> None:
    log, campaigns = tmp_path / "access.log", tmp_path / "campaigns.json"
    stop = threading.Event()
    result: list[int] = []
    began = datetime.now(UTC)
    worker = threading.Thread(target=lambda: result.append(run_live(
        log, seed=5, rps=20.0, schedule=[(60.0, "campaign_surge"), (120.0, "credential_stuffing")], stop=stop,
        speed=30.0, campaigns_out=campaigns)))
    worker.start()
    deadline = time.monotonic() + 30  # setting up address pools takes a while on a busy machine
    while not campaigns.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    announced = json.loads(campaigns.read_text())
    assert len(announced) == 1 and announced[0]["status"] == "planned"
    assert datetime.fromisoformat(announced[0]["start"].replace("Z", "+00:00")) > datetime.now(UTC)
    utm = announced[0]["utm_campaign"]

    def both_events_seen() -> bool:
        text = log.read_text() if log.exists() else ""
        return (f"utm_campaign={utm}" in text or f"/assets/email/{utm}/" in text) and '"POST /login ' in text

    deadline = time.monotonic() + 60  # the attack starts 4 s in; a busy machine may lag
    while not both_events_seen() and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    worker.join(10)
    times = stamps(log)
    assert result and result[0] == len(times) > 10  # the baseline follows the time of day: few at night
    assert all(began - timedelta(seconds=2) <= t <= datetime.now(UTC) + timedelta(seconds=1) for t in times)
    assert json.loads(campaigns.read_text())[0]["status"] == "sent"
    assert both_events_seen()


def test_big_log_has_exact_count_many_addresses_and_agents(tmp_path) -> None:
    n = write_big(tmp_path / "big.log", lines=60_000, seed=2)
    lines = (tmp_path / "big.log").read_text().splitlines()
    assert n == len(lines) == 60_000
    assert len({line.split(" ", 1)[0] for line in lines}) > 2_000
    assert len({line.rsplit('"', 2)[-2] for line in lines}) > 200


def test_simulate_command_writes_log_campaigns_and_truth(tmp_path) -> None:
    result = CliRunner().invoke(app, [
        "simulate", "campaign_surge", "--seed", "4", "--out", str(tmp_path / "a.log"), "--campaigns-out",
        str(tmp_path / "c.json"), "--truth-out", str(tmp_path / "t.json"), "--history-hours", "0.5",
        "--surge-hours", "0.5", "--scale", "0.1"])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "t.json").read_text())
    campaigns = json.loads((tmp_path / "c.json").read_text())
    assert truth["lines"] == len((tmp_path / "a.log").read_text().splitlines())
    assert truth["truth"][0]["label"] == "campaign" and truth["truth"][0]["campaign"] == campaigns[0]["name"]


def test_simulate_command_names_the_scenarios_on_a_typo(tmp_path) -> None:
    result = CliRunner().invoke(app, ["simulate", "campain_surge", "--out", str(tmp_path / "a.log")])
    assert result.exit_code == 2 and "campaign_surge" in result.output
    assert not (tmp_path / "a.log").exists()
