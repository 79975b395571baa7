"""The Campaigns page: marketers announce, edit, cancel and import campaigns, see the calendar and how one went."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from alerts.live import _campaigns as detection_campaigns
from auth.roles import Forbidden, Identity
from campaigns.files import campaigns_from_csv, campaigns_from_ics, campaigns_from_json
from campaigns.model import Campaign, CampaignError
from pages import campaign_actions as actions
from pages import campaign_queries as cq
from pages import charts
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.pages.markdown import seen
from tests.pages.test_browser import chromium, serve_dashboard
from tests.services import Service

ROOT = Path(__file__).resolve().parents[2]
TZ = "Asia/Tokyo"
MIA = Identity("mia", "marketing", "local")
NOOR = Identity("noor", "admin", "local")
BAD_CSV = ("name,channel,start,regions,landing\n"
           "Autumn push,push,2027-09-01T08:00:00Z,GB;IE,/autumn\n"
           "Broken row,email,2027-09-02T08:00:00Z,Britain,/x\n")


def _campaign(name: str, start: datetime, **kw: object) -> Campaign:
    return Campaign(name=name, start=start, **kw)


def _form(**kw: object) -> actions.CampaignForm:
    values = {"name": "Launch JP", "start_date": date(2027, 3, 15), "start_time": clock(14, 30), "owner": "mia",
              "channel": "email", "regions": ["JP"], "landing": "/launch, /launch/jp", "utm_campaign": "launch_jp"}
    return actions.CampaignForm(**(values | kw))


@pytest.fixture
def state(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "state.db")


# -- announce, edit, cancel -------------------------------------------------------------------
def test_the_form_start_in_the_dashboard_time_zone_is_stored_in_utc_and_audited_by_its_owner(state) -> None:
    campaign, created = actions.save(state, _form(end_date=date(2027, 3, 16), end_time=clock(2, 0)), TZ, user=MIA)
    assert created
    stored = state.get_campaign(campaign.id)
    assert stored.start == datetime(2027, 3, 15, 5, 30, tzinfo=UTC)  # 14:30 in Tokyo
    assert stored.end == datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
    assert stored.landing == ["/launch", "/launch/jp"] and stored.utm_campaign == "launch_jp"
    assert state.audit(limit=1)[0] | {"at": None} == {"at": None, "user": "local:mia", "action": "campaign.upsert",
                                                      "detail": {"id": "launch-jp", "name": "Launch JP"}}


def test_a_summer_time_zone_converts_with_its_offset_of_that_day(state) -> None:
    winter, _ = actions.save(state, _form(name="Winter"), "Europe/Paris", user=MIA)
    summer, _ = actions.save(state, _form(name="Summer", start_date=date(2027, 7, 15)), "Europe/Paris", user=MIA)
    assert winter.start.hour == 13 and summer.start.hour == 12


def test_form_problems_name_each_field_in_plain_words_and_store_nothing(state) -> None:
    with pytest.raises(actions.FormError) as missing:
        actions.save(state, _form(name=" ", owner="", start_time=None, end_date=date(2027, 3, 16)), TZ, user=MIA)
    said = missing.value.problems
    assert [p.split(":")[0] for p in said] == ["Name", "Owner", "Start", "End"]
    with pytest.raises(actions.FormError) as bad:
        actions.save(state, _form(landing="launch", currency="EURO", end_date=date(2027, 3, 1),
                                  end_time=clock(9, 0)), TZ, user=MIA)
    said = bad.value.problems
    assert any(p.startswith("Landing paths: landing path 'launch' must start with '/'") for p in said), said
    assert any(p.startswith("Currency: 'EURO' is not an ISO 4217 currency code") for p in said), said
    assert all("Traceback" not in p and "pydantic" not in p for p in said)
    assert state.list_campaigns() == []


def test_a_new_campaign_named_like_an_old_one_gets_its_own_id_and_the_old_one_stays(state) -> None:
    first, _ = actions.save(state, _form(name="Newsletter"), TZ, user=MIA)
    second, created = actions.save(state, _form(name="Newsletter", start_date=date(2027, 3, 22)), TZ, user=MIA)
    assert created and second.id == "newsletter-20270322-0530" and first.id == "newsletter"
    assert [c.start.day for c in state.list_campaigns()] == [15, 22]
    with pytest.raises(actions.FormError, match="already announced"):
        actions.save(state, _form(name="Newsletter", start_date=date(2027, 3, 22)), TZ, user=MIA)


def test_editing_keeps_the_id_when_renamed_and_updates_the_stored_campaign(state) -> None:
    first, _ = actions.save(state, _form(), TZ, user=MIA)
    edited, created = actions.save(state, _form(id=first.id, name="Launch Japan", audience=50_000), TZ, user=MIA)
    assert not created and edited.id == first.id
    assert [(c.id, c.name, c.audience) for c in state.list_campaigns()] == [("launch-jp", "Launch Japan", 50_000)]


def test_a_cancelled_campaign_is_audited_and_detection_stops_expecting_it(state) -> None:
    campaign, _ = actions.save(state, _form(start_date=date.today()), TZ, user=MIA)
    start = int(campaign.start.timestamp())
    assert [c.name for c in detection_campaigns(state, "default", start)] == ["Launch JP"]
    with pytest.raises(Forbidden, match="needs the marketing or admin role"):
        actions.cancel(state, campaign.id, user=Identity("ola", "oncall", "oidc"))
    actions.cancel(state, campaign.id, user=NOOR)
    assert state.get_campaign(campaign.id).status.value == "cancelled"
    assert state.audit(limit=1)[0]["user"] == "local:noor" and state.audit(limit=1)[0]["action"] == "campaign.cancel"
    assert detection_campaigns(state, "default", start) == []
    with pytest.raises(actions.FormError, match="no longer in the calendar"):
        actions.cancel(state, "no-such", user=NOOR)


def test_overlap_is_same_site_same_time_and_a_shared_region(state) -> None:
    t = datetime(2027, 3, 15, 6, tzinfo=UTC)
    for c in (_campaign("JP email", t, regions=["JP", "KR"], site="shop"),
              _campaign("Everywhere social", t + timedelta(hours=2)),  # no regions: all, site default: any site
              _campaign("GB push", t, regions=["GB"], site="shop"),
              _campaign("JP other shop", t, regions=["JP"], site="other"),
              _campaign("JP next day", t + timedelta(days=1), regions=["JP"], site="shop"),
              _campaign("JP cancelled", t, regions=["JP"], site="shop", status="cancelled")):
        state.upsert_campaign(c)
    new = _campaign("JP app push", t + timedelta(hours=1), regions=["JP"], site="shop")
    found = cq.overlapping(state, new)
    assert [c.name for c in found] == ["JP email", "Everywhere social"]
    assert [cq.shared_regions(new, c) for c in found] == ["JP", "JP"]


# -- import -------------------------------------------------------------------------------
def test_an_upload_previews_each_bad_row_by_row_and_field_and_imports_only_the_good_ones(state) -> None:
    rows = actions.read_upload("autumn.csv", BAD_CSV.encode())
    assert isinstance(rows[0], Campaign) and isinstance(rows[1], CampaignError)
    assert str(rows[1]).startswith("autumn.csv, row 3: regions: 'BRITAIN' is not an ISO 3166-1 alpha-2")
    done = actions.import_rows(state, rows, user=MIA)
    assert done.created == ["autumn-push"] and state.get_campaign("autumn-push").owner == "mia"
    assert [c.name for c in state.list_campaigns()] == ["Autumn push"]
    again = actions.import_rows(state, actions.read_upload("autumn.csv", BAD_CSV.encode()), user=MIA)
    assert again.summary() == "0 imported, 0 updated, 1 unchanged"


def test_an_unreadable_upload_says_what_to_do(state) -> None:
    with pytest.raises(CampaignError, match=r"unknown campaign file type \.xlsx; upload \.json, \.csv or \.ics"):
        actions.read_upload("plan.xlsx", b"x")
    with pytest.raises(CampaignError, match="not UTF-8 text; save it as UTF-8"):
        actions.read_upload("plan.csv", "name,start\nÉté,2027-01-01T00:00:00Z\n".encode("latin-1"))
    with pytest.raises(CampaignError, match="not valid JSON"):
        actions.read_upload("plan.json", b"[{")
    with pytest.raises(Forbidden, match="viewer role"):
        actions.import_rows(state, [], user=Identity("vic", "viewer", "proxy"))


def test_the_template_csv_imports_as_one_valid_campaign() -> None:
    [example] = campaigns_from_csv(cq.template_csv())
    assert example.regions == ["JP", "KR"] and example.currency == "EUR" and example.audience == 1_000_000


# -- calendar -----------------------------------------------------------------------------
def test_the_calendar_lists_the_window_in_the_dashboard_time_zone_and_exports_what_import_reads(state) -> None:
    now = datetime(2027, 3, 10, tzinfo=UTC)
    for c in (_campaign("Old", now - timedelta(days=40)), _campaign("Recent", now - timedelta(days=3)),
              _campaign("Soon", now + timedelta(days=5), end=now + timedelta(days=6), regions=["JP"],
                        utm_campaign="soon", owner="mia", audience=2000),
              _campaign("Far", now + timedelta(days=60))):
        state.upsert_campaign(c)
    start, end = cq.calendar_window("last 7 days and next 14", now)
    found = cq.campaigns_in(state, start, end)
    assert [c.name for c in found] == ["Recent", "Soon"]
    table = cq.calendar_table(found, TZ)
    assert table.loc[1, "start"] == pd.Timestamp("2027-03-15 09:00") and table.loc[1, "utm_campaign"] == "soon"
    assert pd.isna(table.loc[0, "end"]) and table.loc[0, "regions"] == "all"
    assert campaigns_from_json(cq.export_text(found, "json")) == found
    assert campaigns_from_csv(cq.export_text(found, "csv")) == found
    assert [c.start for c in campaigns_from_ics(cq.export_text(found, "ics"))] == [c.start for c in found]
    with pytest.raises(ValueError, match="use ics, json or csv"):
        cq.export_text(found, "xlsx")


def test_the_calendar_chart_marks_now_and_fades_cancelled_campaigns() -> None:
    camp = pd.DataFrame({"name": ["Spring", "Dropped"], "channel": ["email", "push"],
                         "start": pd.to_datetime(["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"]),
                         "end": pd.to_datetime(["2026-03-01T06:00:00Z", "2026-03-02T06:00:00Z"]),
                         "regions": ["JP", "all"], "audience": [1, 2], "owner": ["mia", "mia"],
                         "status": ["planned", "cancelled"]})
    spec = charts.calendar_chart(camp, tz=TZ, now=pd.Timestamp("2026-03-01T12:00:00Z")).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "rule", "text"]
    opacity = spec["layer"][0]["encoding"]["opacity"]
    assert "cancelled" in opacity["condition"]["test"] and opacity["condition"]["value"] < opacity["value"]
    rows = [r for d in spec["datasets"].values() for r in d]
    assert any(r.get("label") == "now" and r["time"].startswith("2026-03-01T21:00:00") for r in rows)
    assert "layer" not in charts.calendar_chart(camp).to_dict()  # without now: the Overview's plain timeline


# -- how did it go ------------------------------------------------------------------------
@pytest.fixture
def after_a_send(tmp_path: Path, state: StateDB) -> tuple[EmbeddedStore, StateDB, Campaign]:
    """Two hours of traffic; people triple from the campaign's send an hour ago; two incidents, one tied to it."""
    now = datetime.now(UTC).replace(microsecond=0)
    send = now - timedelta(hours=1)
    send -= timedelta(seconds=send.second)  # on a minute, as the chart's 1-minute buckets are
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "default", "source": "t", "actor": actor},
                      {"requests": (30 if t >= send else 10) if actor == "human" else 5, "bytes": 1},
                      int(t.timestamp()))
                for i in range(720) for actor in ("human", "automated")
                for t in [send - timedelta(hours=1) + timedelta(seconds=10 * i)])
    campaign = _campaign("Spring Sale", send, regions=["JP"])
    state.upsert_campaign(campaign)
    state.upsert_incident({"id": "inc-c", "start": send + timedelta(minutes=5), "verdict": "campaign",
                           "confidence": 0.9, "campaign": "Spring Sale", "status": "closed"})
    state.upsert_incident({"id": "inc-o", "start": send + timedelta(minutes=20), "verdict": "organic",
                           "confidence": 0.6, "campaign": None, "status": "closed",
                           "feedback": {"verdict": "campaign", "campaign": "Spring Sale"}})
    state.upsert_incident({"id": "inc-x", "start": send + timedelta(minutes=30), "verdict": "bot",
                           "confidence": 0.8, "campaign": None, "status": "open"})
    return store, state, campaign


def test_how_it_went_shows_people_tripling_after_the_send_and_the_incidents_tied_to_it(after_a_send) -> None:
    store, state, campaign = after_a_send
    now = datetime.now(UTC)
    assert cq.past(state, now) == [campaign]
    traffic = cq.traffic_around(store, campaign, now)
    table = cq.before_after(traffic, campaign.start).set_index("actor")
    assert table.loc["human", "before req/s"] == pytest.approx(1.0)  # 10 requests per 10 s
    assert table.loc["human", "change"] == pytest.approx(3.0, rel=0.05)
    assert table.loc["automated", "change"] == pytest.approx(1.0, rel=0.05)
    linked = cq.linked_incidents(state, campaign)
    assert sorted(linked["id"]) == ["inc-c", "inc-o"]
    assert linked.set_index("id").loc["inc-o", "on-call says"] == "campaign · Spring Sale"
    spec = charts.traffic_chart(traffic, incidents=linked, tz=TZ).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "area"]
    said = cq.judgement(linked, "Spring Sale")
    assert said == "IT judged 2 surge(s) tied to Spring Sale: 2 as this campaign's people."
    other = _campaign("Quiet one", campaign.start - timedelta(minutes=30))
    assert cq.judgement(cq.linked_incidents(state, other), "Quiet one").startswith("No incident is tied to Quiet one")


def test_the_page_tells_how_a_past_campaign_went(page_env, after_a_send) -> None:
    at = campaigns_page()
    assert at.selectbox(key="cp_review").value == "spring-sale"
    text = " ".join(seen(md.value) for md in at.markdown)
    assert "**How IT judged it**: IT judged 2 surge(s) tied to Spring Sale" in text
    shown = at.dataframe[-2].value.set_index("actor")
    assert shown.loc["human", "change"] == "×3.0" and list(at.dataframe[-1].value["verdict"]) == ["organic", "campaign"]
    incidents = at.dataframe[-1].value
    assert "id" not in incidents  # no raw id: a link opens each on the Incidents page
    assert list(incidents["incident"]) == ["incidents?incident=inc-o", "incidents?incident=inc-c"]


# -- the page -----------------------------------------------------------------------------
@pytest.fixture
def page_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StateDB:
    st.cache_resource.clear()  # each test opens its own store and state DB
    monkeypatch.setenv("SURGEWATCH_STORE__PATH", str(tmp_path / "ts.db"))
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "state.db"))
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__TIMEZONE", TZ)
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__ANONYMOUS_ROLE", "marketing")  # no sign-in: visitors may announce
    monkeypatch.chdir(tmp_path)
    EmbeddedStore(tmp_path / "ts.db").close()
    return StateDB(tmp_path / "state.db")


def campaigns_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/campaigns.py").run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception


def test_the_page_announces_then_edits_with_the_form_prefilled_and_warns_of_an_overlap(page_env) -> None:
    state = page_env
    soon = datetime.now(UTC) + timedelta(hours=1)
    state.upsert_campaign(_campaign("Brand push", soon, regions=["JP"]))
    at = campaigns_page()
    at.text_input(key="cp_name").input("Launch JP")
    at.multiselect(key="cp_regions").select("JP")
    start = soon.astimezone(ZoneInfo(TZ))
    at.date_input(key="cp_start_date").set_value(start.date())
    at.time_input(key="cp_start_time").set_value(start.time().replace(second=0, microsecond=0))
    _click(at, "Announce campaign")
    assert any(seen(s.value).startswith("Announced **Launch JP**") for s in at.success)
    warned = " ".join(seen(w.value) for w in at.warning)
    assert "overlaps **Brand push**" in warned and "starts in" in warned and "a few hours before" in warned
    assert at.text_input(key="cp_name").value == ""  # a blank form for the next one
    at.selectbox(key="cp_pick").select("launch-jp").run()
    assert at.text_input(key="cp_name").value == "Launch JP" and at.multiselect(key="cp_regions").value == ["JP"]
    assert state.get_campaign("launch-jp").owner == "anonymous"
    assert state.audit(limit=1)[0]["user"] == "anonymous"  # who did it, never a typed name
    at.number_input(key="cp_audience").set_value(80_000)
    _click(at, "Save campaign")
    assert state.get_campaign("launch-jp").audience == 80_000
    _click(at, "Cancel this campaign")
    assert state.get_campaign("launch-jp").status.value == "cancelled"
    assert at.selectbox(key="cp_status").value == "cancelled"


def test_the_page_draws_the_calendar_and_offers_three_exports(page_env) -> None:
    page_env.upsert_campaign(_campaign("Spring", datetime.now(UTC) + timedelta(days=2), owner="mia"))
    at = campaigns_page()
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert any(s.get("layer", [{}])[0].get("mark", {}).get("type") == "bar" for s in specs)
    assert "Spring" in at.dataframe[0].value["name"].tolist()
    assert at.dataframe[0].value["end"].tolist() == ["–"]  # no end set: a dash, never "None"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the CSV template", "Export ICS", "Export JSON", "Export CSV"]


# -- in a real browser --------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Service:
    """The dashboard served by `cli.py dashboard`, showing Tokyo time, on an empty calendar."""
    StateDB(tmp_path / "state.db").close()
    EmbeddedStore(tmp_path / "ts.db").close()
    svc = serve_dashboard(tmp_path, f'[dashboard]\ntimezone = "{TZ}"\nanonymous_role = "marketing"\n')
    yield svc
    svc.stop()


def _wait(driver, found, what: str, timeout: float = 30):  # noqa: ANN001, ANN202 - a WebDriver, a condition
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = found()
        if got:
            return got
        time.sleep(0.25)
    raise AssertionError(f"{what} did not show within {timeout} s")


def _page_text_with(driver, *needles: str) -> str:  # noqa: ANN001 - a WebDriver
    """The page's text once it holds one of ``needles``."""
    from selenium.webdriver.common.by import By

    def text() -> str:
        shown = driver.find_element(By.TAG_NAME, "body").text
        return shown if any(n in shown for n in needles) else ""

    return _wait(driver, text, " or ".join(repr(n) for n in needles))


def test_a_marketer_announces_a_campaign_in_chromium_and_it_is_stored_in_utc(served: Service, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = chromium()
    try:
        driver.get(f"{served.url}/campaigns")
        _wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, 'input[aria-label="Name"]'), "the form")

        def fill(label: str, text: str) -> None:
            field = driver.find_element(By.CSS_SELECTOR, f'[aria-label="{label}"]')
            field.click()
            field.send_keys(text)

        fill("Name", "Launch JP")
        for part, value in (("year", "2027"), ("month", "03"), ("day", "15")):
            fill(f"{part}, Start date ({TZ})", value)
        fill(f"hour, Start time ({TZ})", "14")
        fill(f"minute, Start time ({TZ})", "30")
        fill("Regions", "Japan")
        driver.find_element(By.CSS_SELECTOR, '[aria-label="Regions"]').send_keys(Keys.ENTER)
        next(b for b in driver.find_elements(By.TAG_NAME, "button") if b.text == "Announce campaign").click()
        text = _page_text_with(driver, "Announced", "not saved")
        driver.save_screenshot(str(tmp_path / "announced.png"))
        assert "Announced Launch JP: starts Mon 15 Mar 2027 14:30 (Asia/Tokyo), 2027-03-15 05:30 UTC" in text, text
        assert "Traceback" not in text
    finally:
        driver.quit()
    [stored] = StateDB(tmp_path / "state.db").list_campaigns()
    assert (stored.name, stored.start, stored.regions, stored.owner, stored.site) == (
        "Launch JP", datetime(2027, 3, 15, 5, 30, tzinfo=UTC), ["JP"], "anonymous", "shop")


def test_an_uploaded_csv_shows_its_bad_row_in_chromium_and_imports_the_good_one(served: Service,
                                                                                tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    upload = tmp_path / "autumn.csv"
    upload.write_text(BAD_CSV)
    driver = chromium()
    try:
        driver.get(f"{served.url}/campaigns")
        _wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "input[type='file']"), "the uploader")
        next(t for t in driver.find_elements(By.CSS_SELECTOR, "[role='tab']") if "Import" in t.text).click()
        driver.find_element(By.CSS_SELECTOR, "input[type='file']").send_keys(str(upload))
        text = _page_text_with(driver, "Not imported")
        assert "Not imported: autumn.csv, row 3: regions: 'BRITAIN' is not an ISO 3166-1 alpha-2 country code" in text
        assert "1 campaign(s) to import, 1 row(s) with a problem" in text
        _wait(driver, lambda: [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.startswith("Import 1")],
              "the import button")[0].click()
        assert "1 imported, 0 updated, 0 unchanged; 1 bad row(s) skipped" in _page_text_with(driver, "1 imported")
        driver.save_screenshot(str(tmp_path / "imported.png"))
    finally:
        driver.quit()
    assert [c.name for c in StateDB(tmp_path / "state.db").list_campaigns()] == ["Autumn push"]
