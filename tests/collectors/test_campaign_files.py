"""Campaign file import: row-by-row validation, counts, idempotence, and the campaigns CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns.model import CampaignError
from cli import app
from commands.campaigns import import_file
from store.state import StateDB

CSV = """name,channel,start,audience,regions,landing,utm_campaign
Spring sale,email,2026-03-02T09:00:00Z,120000,GB;JP,/spring,spring_sale
Broken date,email,next tuesday,10,,,
TV spot,press,2026-03-03T20:00:00+01:00,,FR,/tv,
Bad region,social,2026-03-04T10:00:00Z,,Narnia,,
"""

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:launch@shop.example
SUMMARY:Product launch
DTSTART:20260310T080000Z
CATEGORIES:social
X-SURGEWATCH-UTM-CAMPAIGN:launch
END:VEVENT
BEGIN:VEVENT
UID:nozone@shop.example
SUMMARY:Floating time
DTSTART:20260311T080000
END:VEVENT
END:VCALENDAR
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_csv_rows_are_imported_and_bad_rows_named_by_row_and_field(tmp_path) -> None:
    state = StateDB(":memory:")
    result = import_file(state, write(tmp_path, "c.csv", CSV))

    assert (result.imported, result.updated, result.rejected) == (2, 0, 2)
    assert any("c.csv, row 3: start" in e for e in result.errors)
    assert any("c.csv, row 5: regions" in e and "NARNIA" in e for e in result.errors)
    names = {c.name: c for c in state.list_campaigns()}
    assert set(names) == {"Spring sale", "TV spot"}
    assert names["TV spot"].start.isoformat() == "2026-03-03T19:00:00+00:00"


def test_importing_the_same_file_twice_changes_nothing_and_an_edit_updates(tmp_path) -> None:
    state = StateDB(":memory:")
    path = write(tmp_path, "c.csv", CSV)
    import_file(state, path)
    again = import_file(state, path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)

    write(tmp_path, "c.csv", CSV.replace("120000", "150000"))
    edited = import_file(state, path)
    assert (edited.imported, edited.updated, edited.unchanged) == (0, 1, 1)
    assert state.get_campaign("spring-sale").audience == 150000


def test_ics_events_are_imported_one_by_one_with_the_real_event_number(tmp_path) -> None:
    state = StateDB(":memory:")
    result = import_file(state, write(tmp_path, "c.ics", ICS))
    assert (result.imported, result.rejected) == (1, 1)
    assert "c.ics, event 2 (Floating time)" in result.errors[0] and "time zone" in result.errors[0]
    launch = state.list_campaigns()[0]
    assert (launch.id, launch.channel.value, launch.utm_campaign) == ("launch", "social", "launch")


def test_json_items_that_are_not_objects_are_rejected_alone(tmp_path) -> None:
    items = [{"name": "A", "start": "2026-03-01T00:00:00Z"}, "oops", {"name": "B", "start": "2026-03-02T00:00:00Z"}]
    state = StateDB(":memory:")
    result = import_file(state, write(tmp_path, "c.json", json.dumps(items)), site="shop")
    assert (result.imported, result.rejected) == (2, 1)
    assert "item 2" in result.errors[0]
    assert {c.site for c in state.list_campaigns()} == {"shop"}


def test_an_unreadable_file_raises_a_message_naming_it(tmp_path) -> None:
    with pytest.raises(CampaignError, match="not valid JSON"):
        import_file(StateDB(":memory:"), write(tmp_path, "c.json", "[{"))
    with pytest.raises(CampaignError, match="unknown campaign file type .xlsx"):
        import_file(StateDB(":memory:"), write(tmp_path, "c.xlsx", ""))


def test_cli_import_list_and_export_round_trip(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "state.db")
    imported = runner.invoke(app, ["campaigns", "import", str(write(tmp_path, "c.csv", CSV)), "--state", db])
    assert imported.exit_code == 1  # rows were rejected
    assert "2 imported, 0 updated, 0 unchanged, 2 rejected" in imported.output

    listed = runner.invoke(app, ["campaigns", "list", "--format", "json", "--state", db])
    assert listed.exit_code == 0
    assert [c["name"] for c in json.loads(listed.output)] == ["Spring sale", "TV spot"]

    out = tmp_path / "export.ics"
    exported = runner.invoke(app, ["campaigns", "export", "--format", "ics", "--out", str(out), "--state", db])
    assert exported.exit_code == 0
    fresh = str(tmp_path / "fresh.db")
    back = runner.invoke(app, ["campaigns", "import", str(out), "--state", fresh])
    assert back.exit_code == 0 and "2 imported" in back.output
    assert [c.to_json_dict() for c in StateDB(fresh).list_campaigns()] == \
        [c.to_json_dict() for c in StateDB(db).list_campaigns()]

    missing = runner.invoke(app, ["campaigns", "import", str(tmp_path / "nope.csv"), "--state", db])
    assert missing.exit_code == 2 and "cannot read campaign file" in missing.output
