"""`replay`: a past log through the live detection on a simulated clock, as on-call would have seen it.

The log is written here line by line (a steady shop, then an announced email campaign's readers,
then the shop again), so what on-call should have seen is known from the log itself: one
incident, opened soon after the readers arrive, judged a campaign, notified new and then
resolved once they are gone.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

T0 = int(datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp())
SURGE_AT, SURGE_END, LOG_END = T0 + 20 * 60, T0 + 24 * 60, T0 + 30 * 60
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
CLI = Path(__file__).resolve().parents[2] / "cli.py"


def _line(t: float, ip: str, target: str, referrer: str = "-") -> str:
    stamp = datetime.fromtimestamp(t, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {target} HTTP/1.1" 200 5120 "{referrer}" "{AGENT}"\n'


def _log(path: Path) -> Path:
    rng = random.Random(7)
    lines = []
    t = float(T0)
    while t < LOG_END:
        ip = f"81.{rng.randrange(2, 200)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        lines.append(_line(t, ip, rng.choice(["/", "/products/1", "/products/2", "/cart"]),
                           "https://shop.example.com/"))
        if SURGE_AT <= t < SURGE_END:  # the readers of the email: ten times the shop's traffic
            for _ in range(10):
                ip = f"90.{rng.randrange(2, 200)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                lines.append(_line(t + rng.random(), ip, "/spring?utm_source=newsletter&utm_medium=email"
                                   "&utm_campaign=spring-sale", "https://mail.google.com/"))
        t += rng.expovariate(2.0)
    path.write_text("".join(lines))
    return path


@pytest.mark.timeout(900)
def test_replay_prints_what_on_call_saw_as_one_json_object(tmp_path: Path) -> None:
    log = _log(tmp_path / "access.log")
    campaigns = tmp_path / "campaigns.json"
    campaigns.write_text(json.dumps([{"name": "Spring Sale", "channel": "email", "utm_campaign": "spring-sale",
                                      "start": datetime.fromtimestamp(SURGE_AT - 60, UTC).isoformat()}]))
    out = subprocess.run([sys.executable, str(CLI), "replay", "--log", str(log), "--campaigns", str(campaigns),
                          "--format", "json"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)  # exactly one object: json.loads refuses anything after it
    assert set(report) == {"incidents"}
    surges = [i for i in report["incidents"] if i["verdicts"][0]["verdict"] not in ("drop", "errors", "stale")]
    assert len(surges) == 1, report
    inc = surges[0]
    assert set(inc) == {"id", "opened_at", "closed_at", "verdicts", "notified"}
    opened = datetime.fromisoformat(inc["opened_at"].replace("Z", "+00:00")).timestamp()
    assert inc["opened_at"].endswith("Z") and SURGE_AT <= opened <= SURGE_AT + 60
    closed = datetime.fromisoformat(inc["closed_at"].replace("Z", "+00:00")).timestamp()
    assert SURGE_END <= closed <= LOG_END + 20 * 60
    assert inc["verdicts"][-1]["verdict"] == "campaign" and inc["verdicts"][-1]["campaign"] == "Spring Sale"
    assert set(inc["verdicts"][0]) == {"at", "verdict", "confidence", "campaign"}
    kinds = [n["kind"] for n in inc["notified"]]
    assert kinds[0] == "new" and kinds[-1] == "resolved" and set(kinds) <= {"new", "changed", "resolved"}
    assert all(n["at"].endswith("Z") for n in inc["notified"])


def test_replay_of_an_unreadable_log_says_so_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bin.log").write_bytes(bytes(range(256)) * 64)
    out = subprocess.run([sys.executable, str(CLI), "replay", "--log", str(tmp_path / "bin.log"), "--format", "json"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode != 0 and out.stdout == ""
    assert "Traceback" not in out.stderr and "bin.log" in out.stderr
