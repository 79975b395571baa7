"""Campaign files as an attacker or a careless export writes them: every bad row is a message, never a traceback."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns import bounds
from campaigns.csv_file import campaigns_to_csv, neutralise, restore, rows_from_csv
from campaigns.files import read_rows
from campaigns.ics_file import rows_from_ics
from campaigns.json_file import rows_from_json
from campaigns.model import Campaign, CampaignError

GOOD = {"name": "Spring Sale", "channel": "email", "start": "2026-03-01T09:00:00Z", "audience": 1000}
ICS_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
ICS_TAIL = "END:VCALENDAR\r\n"


def _event(uid: str, summary: str, dtstart: str) -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\n{dtstart}\r\nEND:VEVENT\r\n"


def _split(rows: list) -> tuple[list[Campaign], list[str]]:
    return [r for r in rows if isinstance(r, Campaign)], [str(r) for r in rows if isinstance(r, CampaignError)]


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "1970-01-01T00:00:00Z"])
def test_a_start_in_an_absurd_year_rejects_that_row_and_keeps_the_good_ones(start: str) -> None:
    good, bad = _split(rows_from_json(json.dumps([GOOD, {**GOOD, "name": "Bad", "start": start}]), name="c.json"))
    assert [c.name for c in good] == ["Spring Sale"]
    assert len(bad) == 1 and "c.json, item 2" in bad[0] and "start" in bad[0] and "check the year" in bad[0]


def test_the_same_absurd_year_in_csv_and_ics_is_a_row_message() -> None:
    csv_text = "name,start\nGood,2026-03-01T09:00:00Z\nBad,0001-01-01T00:00:00+01:00\n"
    good, bad = _split(rows_from_csv(csv_text, name="c.csv"))
    assert [c.name for c in good] == ["Good"] and "c.csv, row 3: start" in bad[0]
    ics = ICS_HEAD + _event("a@x", "Good", "DTSTART:20260301T090000Z") + \
        _event("b@x", "Bad", "DTSTART:00010101T000000Z") + ICS_TAIL
    good, bad = _split(rows_from_ics(ics, name="c.ics"))
    assert [c.name for c in good] == ["Good"] and "c.ics, event 2 (Bad)" in bad[0]


def test_deeply_nested_json_is_refused_in_words() -> None:
    with pytest.raises(CampaignError, match="nested too deeply"):
        rows_from_json("[" * 100_000 + "]" * 100_000, name="deep.json")
    good, bad = _split(rows_from_json(json.dumps([{**GOOD, "owner": {"a": [[[[{}]]]]}}]), name="n.json"))
    assert not good and "owner" in bad[0]


@pytest.mark.parametrize(("dtstart", "said"), [
    ("DTSTART:garbage", "is not a date-time"),
    ("DTSTART;TZID=Mars/Olympus_Mons:20260301T090000", "unknown time zone TZID='Mars/Olympus_Mons'"),
    ("DTSTART;TZID=Europe/Paris:20260329T023000", "does not exist in Europe/Paris"),
    ("DTSTART;TZID=America/New_York:20260308T021500", "does not exist in America/New_York"),
])
def test_an_unreadable_or_impossible_ics_time_is_named_and_the_other_events_still_import(dtstart: str,
                                                                                          said: str) -> None:
    ics = ICS_HEAD + _event("a@x", "Good", "DTSTART;TZID=Europe/Paris:20260330T023000") + \
        _event("b@x", "Odd", dtstart) + ICS_TAIL
    good, bad = _split(rows_from_ics(ics, name="c.ics"))
    assert [c.name for c in good] == ["Good"]
    assert good[0].start.isoformat() == "2026-03-30T00:30:00+00:00"  # 02:30 CEST
    assert len(bad) == 1 and "c.ics, event 2 (Odd)" in bad[0] and said in bad[0]


@pytest.mark.parametrize(("field", "value", "said"), [
    ("audience", 10**12, "outside the sane range of audience"), ("audience", -5, "at least 1 and at most 1e+10"),
    ("spend", "inf", "finite"), ("spend", "NaN", "finite"), ("spend", -1.5, "at least 0 and at most 1e+12"),
    ("id", "../../etc/passwd", "not a safe id"), ("id", "Spring Sale", "not a safe id"),
    ("name", "x" * 5000, "at most 200"), ("landing", "/a b", "without spaces"),
    ("end", "2029-03-01T09:00:00Z", "at most 366 days"),
])
def test_numbers_ids_texts_and_spans_beyond_the_bounds_are_refused_by_field(field: str, value: object,
                                                                            said: str) -> None:
    good, bad = _split(rows_from_json(json.dumps([{**GOOD, field: value}]), name="b.json"))
    where = "campaign" if field == "end" else field  # the span is a check of the whole row
    assert not good and f"b.json, item 1: {where}" in bad[0] and said in bad[0]


def test_a_file_beyond_the_size_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.json"
    row = json.dumps({**GOOD, "name": "x" * 100})
    with big.open("w") as fh:
        fh.write("[" + ",".join([row] * (bounds.FILE_MAX_BYTES // len(row) + 10)) + "]")
    with pytest.raises(CampaignError, match=r"huge.json is \d+\.\d MB; one file may be at most 5 MB"):
        read_rows(big)


def test_more_campaigns_than_one_file_may_hold_are_refused_whole() -> None:
    rows = [{"name": f"c{i}", "start": "2026-03-01T09:00:00Z"} for i in range(bounds.ROWS_MAX + 1)]
    with pytest.raises(CampaignError, match=f"holds {bounds.ROWS_MAX + 1} campaigns"):
        rows_from_json(json.dumps(rows), name="many.json")


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"https://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
                                  "-2+3", "\tx", "'=already quoted", "'Tis the season", "plain"])
def test_csv_export_neutralises_formulas_and_import_restores_the_text(cell: str) -> None:
    c = Campaign(name=cell, start="2026-03-01T09:00:00Z", owner=cell)
    text = campaigns_to_csv([c])
    body = text.splitlines()[1]
    assert not any(part.startswith(("=", "+", "@", "-")) for part in body.split(",")), body
    back, bad = _split(rows_from_csv(text, name="x.csv"))
    assert not bad and back[0].name == cell.strip() and back[0].owner == cell.strip()


@given(st.text())
def test_neutralise_and_restore_round_trip_any_text(cell: str) -> None:
    assert restore(neutralise(cell)) == cell
    assert not neutralise(cell).startswith(("=", "+", "-", "@", "\t", "\r"))


# -- property-based: random and hostile input never raises anything but CampaignError -----------------
def _never_throws(reader, text: str) -> None:  # noqa: ANN001
    try:
        rows = reader(text, name="fuzz")
    except CampaignError:
        return
    assert all(isinstance(r, (Campaign, CampaignError)) for r in rows)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                          max_size=4), max_leaves=20)
field_values = st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none(), st.lists(st.text(max_size=8)),
                         st.sampled_from(["2026-03-01T09:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00",
                                          "2026-02-30T00:00:00Z", "inf", "-1e309", "1e400", "email", "=cmd"]))
campaign_like = st.fixed_dictionaries({"name": field_values, "start": field_values},
                                      optional={k: field_values for k in ("id", "channel", "end", "audience",
                                                                          "regions", "landing", "spend",
                                                                          "currency", "status", "utm_campaign")})
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=300))
def test_random_text_never_escapes_any_reader(text: str) -> None:
    for reader in (rows_from_json, rows_from_csv, rows_from_ics):
        _never_throws(reader, text)


@FUZZ
@given(st.lists(campaign_like, max_size=5) | json_values)
def test_random_json_documents_never_escape(doc: object) -> None:
    _never_throws(rows_from_json, json.dumps(doc))


@FUZZ
@given(st.lists(st.lists(st.text(alphabet=string.printable + "é€\u202e", max_size=25), min_size=1, max_size=6),
                max_size=6))
def test_random_csv_rows_under_a_valid_header_never_escape(rows: list[list[str]]) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "start", "audience", "regions", "spend", "end"])
    writer.writerows(rows)
    _never_throws(rows_from_csv, out.getvalue())


ics_props = st.sampled_from(["DTSTART", "DTSTART;TZID=Europe/Paris", "DTSTART;VALUE=DATE", "DTEND", "CATEGORIES",
                             "X-SURGEWATCH-AUDIENCE", "X-SURGEWATCH-REGIONS", "X-SURGEWATCH-SPEND", "UID",
                             "SUMMARY", "DTSTART;TZID=Nowhere/Land", "RRULE"])


@FUZZ
@given(st.lists(st.tuples(ics_props, st.text(alphabet=string.ascii_letters + string.digits + ":;=-TZ/.,@ ",
                                                max_size=30)), max_size=8))
def test_random_ics_events_never_escape(props: list[tuple[str, str]]) -> None:
    body = "".join(f"{k}:{v}\r\n" for k, v in props)
    _never_throws(rows_from_ics, ICS_HEAD + "BEGIN:VEVENT\r\n" + body + "END:VEVENT\r\n" + ICS_TAIL)
