"""`alerts review`: the detector's verdicts against on-call's labels, and the labelled export."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from alerts.feedback.oncall import correct
from alerts.feedback.review import review
from alerts.incidents.model import Incident
from auth.roles import Identity
from store.state import StateDB

MIA = Identity("mia", "oncall", "local")


def _incident(n: int, verdict: str, **kw) -> Incident:
    start = int(time.time()) - 3600 * (n + 1)
    return Incident(id=f"shop-{n}", site="shop", start=start, end=start + 600, peak_rps=50.0, baseline_rps=5.0,
                    verdict=verdict, confidence=0.8, campaign=None, evidence=["x"], bot_share=0.9, **kw)


@pytest.fixture
def labelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StateDB:
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    db = StateDB(tmp_path / "state.db")
    for inc in (_incident(0, "bot", extra={"human_ratio": 1.4}), _incident(1, "organic"), _incident(2, "campaign"),
                _incident(3, "bot"), _incident(4, "drop")):
        db.upsert_incident(inc.to_dict())
    correct(db, "shop-0", user=MIA, verdict="campaign")  # people called bot
    correct(db, "shop-1", user=MIA, verdict="mixed")     # an attack called people's
    correct(db, "shop-3", user=MIA, verdict="bot")       # confirmed: not a correction
    return db


def test_review_counts_agreement_and_the_two_worst_mistakes(labelled: StateDB) -> None:
    r = review(labelled.list_incidents())
    assert r.incidents == 4 and r.corrected == 2  # the drop has no verdict to judge
    assert r.table["bot"] == {"campaign": 1, "bot": 1} and r.table["organic"] == {"mixed": 1}
    assert r.agreement == pytest.approx(0.5)
    assert r.people_called_bot == ["shop-0"] and r.attacks_called_people == ["shop-1"]


def test_review_command_prints_the_table_and_exports_labelled_rows(labelled: StateDB) -> None:
    runner = CliRunner()
    out = runner.invoke(cli.app, ["alerts", "review"])
    assert out.exit_code == 0, out.output
    assert "People's surges called bot: 1 (shop-0)" in out.output and "2 corrected by on-call" in out.output
    data = json.loads(runner.invoke(cli.app, ["alerts", "review", "--format", "json"]).output)
    assert data["attacks_called_people"] == ["shop-1"] and len(data["incidents_labelled"]) == 4
    rows = list(csv.DictReader(io.StringIO(runner.invoke(cli.app, ["alerts", "review", "--format", "csv"]).output)))
    first = next(r for r in rows if r["id"] == "shop-0")
    assert (first["verdict"], first["label"], first["corrected"], first["human_ratio"]) == ("bot", "campaign",
                                                                                            "True", "1.4")
    bad = runner.invoke(cli.app, ["alerts", "review", "--format", "xml"])
    assert bad.exit_code == 2 and "table, json, csv" in bad.output
