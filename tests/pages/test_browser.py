"""The dashboard as a person sees it: served by `cli.py dashboard`, rendered by headless Chromium."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.files import campaigns_from_json
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.services import Service, free_port, require_binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dashboard(tmp_path: Path) -> Service:
    now = int(datetime.now(UTC).timestamp())
    now -= now % 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(
        Point("http", {"site": "shop", "source": "t", "actor": actor},
              {"requests": (60 if actor == "human" else 5) * (3 if i < 60 else 1), "bytes": 1}, now - 10 * i)
        for i in range(1080) for actor in ("human", "automated", "scanner")
    )
    state = StateDB(tmp_path / "state.db")
    start = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state.upsert_campaign(campaigns_from_json(
        f'[{{"name": "Spring Sale APAC", "channel": "email", "start": "{start}", "regions": ["JP", "KR"]}}]')[0])
    state.upsert_incident({"id": "inc-1", "site": "shop", "start": start, "verdict": "campaign", "confidence": 0.87,
                           "campaign": "Spring Sale APAC", "status": "open",
                           "evidence": ["78% of extra requests carry utm_campaign=spring_212 (Spring Sale APAC)"]})
    svc = serve_dashboard(tmp_path)
    yield svc
    svc.stop()


def serve_dashboard(tmp_path: Path, settings: str = "", env: dict[str, str] | None = None,
                    port: int | None = None) -> Service:
    """`cli.py dashboard` on a free port, reading ts.db and state.db in ``tmp_path`` (site "shop") and ``settings``
    (and only those ``SURGEWATCH_*`` variables given in ``env``)."""
    port = port or free_port()
    (tmp_path / "surgewatch.toml").write_text(f'site = "shop"\n[store]\npath = "{tmp_path / "ts.db"}"\n'
                                              f'[state]\npath = "{tmp_path / "state.db"}"\n{settings}')
    svc = Service("dashboard", [sys.executable, str(ROOT / "cli.py"), "dashboard", "--port", str(port)], port,
                  f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/_stcore/health", tmp_path,
                  tmp_path / "dashboard.log")
    old = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SURGEWATCH_")}
    os.environ.update(env or {})
    try:
        svc.start(timeout=60)
    finally:
        for key in env or {}:
            os.environ.pop(key, None)
        os.environ.update(old)
    return svc


def chromium():  # noqa: ANN201 - a selenium WebDriver
    """Headless Chromium driven by chromedriver, as a person's browser."""
    require_binary("chromium")
    require_binary("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=DriverService("/usr/bin/chromedriver"), options=opts)


def rendered(driver, url: str, ready: Callable[[str, int], bool], shot: Path) -> tuple[str, int]:  # noqa: ANN001
    """Open ``url`` and wait until ``ready(page text, charts drawn)``; the text and chart count, and a screenshot."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    deadline = time.monotonic() + 90  # a loaded machine can take long to draw the first time
    text, charts = "", 0
    while time.monotonic() < deadline:
        text = driver.find_element(By.TAG_NAME, "body").text
        charts = len(driver.find_elements(By.CSS_SELECTOR, "[data-testid='stVegaLiteChart'] canvas, "
                                                           "[data-testid='stVegaLiteChart'] svg"))
        if ready(text, charts):
            break
        time.sleep(0.5)
    driver.save_screenshot(str(shot))
    return text, charts


def test_overview_renders_in_chromium_with_chart_incident_and_calendar(dashboard: Service, tmp_path: Path) -> None:
    driver = chromium()
    try:
        text, charts = rendered(driver, dashboard.url, lambda t, n: all(
            w in t for w in ("Overview", "CAMPAIGN", "utm_campaign=spring_212", "Campaign calendar")) and n >= 2,
            tmp_path / "overview.png")
        assert "Overview" in text
        assert "CAMPAIGN" in text and "utm_campaign=spring_212" in text, text[:2000]
        assert "Campaign calendar" in text
        assert charts >= 2, "the traffic chart and the calendar should be drawn"
        assert "Traceback" not in text and "Error" not in text
    finally:
        driver.quit()


def test_incidents_page_opens_a_linked_incident_in_chromium_with_evidence_and_chart(dashboard: Service,
                                                                                   tmp_path: Path) -> None:
    driver = chromium()
    try:
        # Waits for everything asserted below: a rerun redraws the page element by element.
        text, charts = rendered(driver, f"{dashboard.url}/incidents?incident=inc-1", lambda t, n: all(
            w in t for w in ("Incidents", "CAMPAIGN", "Time range", "utm_campaign=spring_212", "inc-1",
                             "needs the oncall or admin role", "Silence notifications")) and n >= 1,
            tmp_path / "incidents.png")
        assert "Incidents" in text and "CAMPAIGN" in text, text[:2000]
        assert "Time range" in text, "a direct link to the page should open it inside the app (sidebar included)"
        assert "utm_campaign=spring_212" in text and "inc-1" in text
        # No sign-in configured: the visitor is anonymous with the viewer role, who may not correct or silence.
        assert "Not signed in: everyone is anonymous with the viewer role" in text
        assert "Record correction" not in text and "silencing notifications needs the oncall or admin role" in text
        assert charts >= 1, "the traffic chart around the incident should be drawn"
        assert "Traceback" not in text and "Error" not in text
    finally:
        driver.quit()


def _record_sources(tmp_path: Path) -> None:
    """What the worker records of two real tails: one flowing with a broken line, one silent for 15 minutes."""
    from collectors.accesslog import AccessLogSettings, AccessLogTail
    from collectors.status import StatusRecorder
    from tests.collectors.logsamples import combined

    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    rec = StatusRecorder(state)
    now = time.time()
    quiet = [now - 950 + 2 * i for i in range(25)]  # flowed every 2 s, then nothing for 15 minutes
    for source, lines, times in (("web1", 40, [now]), ("web2 **night**", 2, [*quiet, now])):
        log = tmp_path / f"{source.split()[0]}.log"
        log.touch()
        tail = AccessLogTail(AccessLogSettings(files=[log], format="combined", source=source), store=store,
                             state=state, site="shop")
        for t in times:
            with log.open("a") as f:
                if source == "web1" or t != now:  # web2's last poll, now, reads nothing
                    f.write("".join(combined(int(now), ip=f"81.2.69.{i + 1}") + "\n" for i in range(lines)))
                if source == "web1":
                    f.write('85.181.35.98 - - [07/Dec/2016:11:05:07 +0100 "GET /cart HTTP/1.1" 200 571 "-" '
                            '"ShopApp/5.2.1 (iPhone; iOS 17.1) device=9F1C2B77A0"\n')
            rec.observe(tail, tail.poll(), t)
            rec.flush(t)
    rec.observe_store(store, now)
    store.close()
    state.close()


def test_sources_page_shows_each_collector_its_rate_chart_and_redacted_samples_in_chromium(tmp_path: Path) -> None:
    _record_sources(tmp_path)
    svc = serve_dashboard(tmp_path)
    driver = chromium()
    try:
        text, charts = rendered(driver, f"{svc.url}/sources", lambda t, n: all(
            w in t for w in ("Sources", "accesslog:web1", "accesslog:web2 **night**", "stale", "reachable",
                             "samples (redacted)", "Time range", "web1.log")) and n >= 2, tmp_path / "sources.png")
        assert "Time range" in text, "a direct link to the page should open it inside the app (sidebar included)"
        assert "accesslog:web1" in text and "accesslog:web2 **night**" in text  # a stored name is text, not Markdown
        assert "stale" in text and "reachable" in text
        assert "web1.log" in text  # the file followed, with its offset
        assert "/cart" in text  # the redacted sample of the broken line
        assert "85.181.35.98" not in text and "ShopApp" not in text and "9F1C2B77A0" not in text
        assert charts >= 2, "each collector's lines/s chart should be drawn"
        assert "Traceback" not in text and "Error" not in text
    finally:
        driver.quit()
        svc.stop()
