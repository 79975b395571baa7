"""The campaign schema: JSON, CSV and ICS import, and errors that name the input, row and field."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from campaigns.files import (
    CampaignError,
    campaigns_from_csv,
    campaigns_from_ics,
    campaigns_from_json,
    campaigns_to_ics,
    load_campaigns,
)

SPRING = {
    "name": "Spring Sale APAC", "channel": "email", "start": "2026-03-01T09:00:00+09:00",
    "end": "2026-03-02T09:00:00+09:00", "audience": 1_000_000, "regions": ["jp", "KR", "SG"],
    "landing": ["/spring"], "utm_campaign": "spring_212", "spend": 1200.5, "currency": "eur",
    "owner": "mia@example.com", "site": "shop", "status": "sent",
}


def test_json_campaign_is_stored_in_utc_with_a_slug_id_and_upper_case_regions() -> None:
    (c,) = campaigns_from_json(__import__("json").dumps([SPRING]))
    assert c.id == "spring-sale-apac"
    assert c.start == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert c.regions == ["JP", "KR", "SG"]
    assert c.currency == "EUR"
    assert c.to_json_dict()["start"] == "2026-03-01T00:00:00Z"


def test_uk_is_read_as_gb() -> None:
    (c,) = campaigns_from_json('[{"name": "x", "start": "2026-01-01T00:00:00Z", "regions": ["UK"]}]')
    assert c.regions == ["GB"]


def test_unknown_fields_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        (c,) = campaigns_from_json('[{"name": "x", "start": "2026-01-01T00:00:00Z", "colour": "red"}]')
    assert c.name == "x"
    assert "colour" in caplog.text


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ('{"name": "x", "start": "2026-01-01T00:00:00Z", "channel": "fax"}', "channel"),
        ('{"name": "x", "start": "2026-01-01T00:00:00"}', "time zone"),
        ('{"name": "x", "start": "2026-01-01T00:00:00Z", "regions": ["JPN"]}', "alpha-2"),
        ('{"name": "x", "start": "2026-01-01T00:00:00Z", "landing": ["spring"]}', "must start with '/'"),
        ('{"name": "x", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}', "before start"),
        ('{"start": "2026-01-01T00:00:00Z"}', "name"),
    ],
)
def test_invalid_campaign_names_item_and_field(item: str, expected: str) -> None:
    with pytest.raises(CampaignError) as err:
        campaigns_from_json(f'[{{"name": "ok", "start": "2026-01-01T00:00:00Z"}}, {item}]', name="cal.json")
    assert "cal.json, item 2" in str(err.value)
    assert expected in str(err.value)


def test_broken_json_says_where() -> None:
    with pytest.raises(CampaignError, match=r"cal.json is not valid JSON \(line 1"):
        campaigns_from_json('[{"name": ', name="cal.json")


def test_csv_lists_are_separated_by_semicolons_and_errors_name_the_row() -> None:
    text = ("name,channel,start,regions,landing\n"
            "A,email,2026-01-01T00:00:00Z,JP;KR,/a;/b\nB,fax,2026-01-01T00:00:00Z,,\n")
    with pytest.raises(CampaignError, match="row 3: channel"):
        campaigns_from_csv(text, name="cal.csv")
    (a,) = campaigns_from_csv(text.splitlines(keepends=True)[0] + text.splitlines(keepends=True)[1])
    assert a.regions == ["JP", "KR"] and a.landing == ["/a", "/b"]


def test_csv_without_required_columns_says_which_are_allowed() -> None:
    with pytest.raises(CampaignError, match="allowed columns"):
        campaigns_from_csv("title,when\nx,y\n", name="cal.csv")


def test_ics_round_trip_keeps_every_field() -> None:
    (c,) = campaigns_from_json(__import__("json").dumps([SPRING]))
    (back,) = campaigns_from_ics(campaigns_to_ics([c]))
    assert back == c


def test_ics_reads_summary_dates_categories_and_x_properties() -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:launch-1@cal\r\n"
        "SUMMARY:Product launch\r\nDTSTART:20260410T080000Z\r\nDTEND:20260410T200000Z\r\nCATEGORIES:press\r\n"
        "X-SURGEWATCH-REGIONS:DE;AT\r\nX-SURGEWATCH-AUDIENCE:50000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (c,) = campaigns_from_ics(ics)
    assert (c.name, c.channel.value, c.regions, c.audience) == ("Product launch", "press", ["DE", "AT"], 50000)
    assert c.start == datetime(2026, 4, 10, 8, tzinfo=UTC)


def test_broken_ics_is_reported_with_its_name() -> None:
    with pytest.raises(CampaignError, match="cal.ics is not a valid iCalendar"):
        campaigns_from_ics("BEGIN:VCALENDAR\r\nthis is not ics", name="cal.ics")


def test_load_by_extension_rejects_unknown_types_and_missing_files(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(CampaignError, match=r"use \.json, \.csv or \.ics"):
        load_campaigns(tmp_path / "cal.xlsx")
    with pytest.raises(CampaignError, match="cannot read campaign file"):
        load_campaigns(tmp_path / "missing.json")
