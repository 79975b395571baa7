"""The Campaigns page's results and ``surgewatch report`` say the same numbers for the same campaign.

The log is the hand-written one of ``tests/collectors/test_weblog_attribution.py``, moved to
yesterday so the page lists the campaign among the recent ones; the command runs as other
tools run it (a subprocess of cli.py) on the same store and state DB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.weblog.pipeline import ingest_lines
from pages import campaign_charts
from pages import campaign_queries as cq
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.collectors.test_weblog_attribution import spring, story
from tests.pages.test_campaigns import campaigns_page, page_env  # noqa: F401 - the page's fixture

ROOT = Path(__file__).resolve().parents[2]
# yesterday 02:00 UTC: over, with its 6 h of late conversions, by now; its visits within one UTC day (the salt's)
START = (int(time.time()) // 86_400 - 1) * 86_400 + 2 * 3600


@pytest.fixture
def sent(page_env: StateDB, tmp_path: Path) -> StateDB:  # noqa: F811
    campaign = spring(START, spend=100.0, currency="EUR")
    store = EmbeddedStore(tmp_path / "ts.db")
    ingest_lines(story(START), store, site="default", source="t", salt=b"a" * 32, announced=[campaign])
    store.close()
    page_env.upsert_campaign(campaign)
    return page_env


def command_json(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    env.update(SURGEWATCH_STORE__PATH=str(tmp_path / "ts.db"), SURGEWATCH_STATE__PATH=str(tmp_path / "state.db"))
    done = subprocess.run([sys.executable, "cli.py", "report", "spring-sale", "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_page_and_the_command_show_the_same_numbers(sent: StateDB, tmp_path: Path) -> None:
    said = command_json(tmp_path)
    # counted from the stories: visits A B I J, leads A I, during but not attributed C E
    assert said["attributed"] == {"visits": 4, "conversions": 2} and said["during_not_attributed"] == 2
    at = campaigns_page()
    assert at.selectbox(key="cp_review").value == "spring-sale"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Visits from its link"] == "4" and shown["Leads"] == "2" and shown["During, not attributed"] == "2"
    assert shown["Total cost per lead"] == "50.000 EUR" == f"{said['cost']['per_lead']['total']['actual']:.3f} EUR"
    table = next(d.value for d in at.dataframe if "what" in d.value).set_index("what")["value"]
    assert table["Visits from its link"] == str(said["attributed"]["visits"])
    assert table["Landing pages: requests, 4xx, 5xx"] == "{requests}, {4xx}, {5xx}".format(**said["landing"])
    assert table["Spend per lead"].startswith("50.000 EUR")
    assert said["incremental"]["plain"] in [t.value for t in at.text]


def test_the_csv_and_png_downloads(sent: StateDB, tmp_path: Path) -> None:
    from config import load_settings

    r = cq.results(EmbeddedStore(tmp_path / "ts.db"), sent, spring(START), load_settings().capacity,
                   datetime.now(UTC))
    csv = r.csv().splitlines()
    assert sum(int(row.split(",")[2]) for row in csv[1:]) == 2  # the leads column
    png = campaign_charts.results_png(campaign_charts.results_chart(r.series, "UTC"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    at = campaigns_page()
    assert {b.label for b in at.get("download_button")} >= {"Download the series (CSV)", "Download the chart (PNG)"}
