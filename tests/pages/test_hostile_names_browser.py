"""Every page in headless Chromium with hostile names stored: each shows as text, none becomes a link, image or markup.

The state DB holds campaigns whose names, owners and utm_campaign are Markdown and HTML that a
careless page would render (a fake sign-in link, a tracking pixel, a bare URL GitHub Markdown
autolinks, an ``<img onerror>``, a ``:red[...]`` directive, ``$...$`` math, bold); incidents whose
campaign, evidence and on-call correction carry them; a collector named after one, following a file
named like a web address; local users whose names are a web and an e-mail address; and the URL's
``?incident=`` carries one too. On every page the DOM must hold no link or image pointing at
``evil.example``, no math, no alert may open, and the literal text must be readable where shown.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from auth.local import add_user
from auth.roles import os_identity
from campaigns.model import Campaign
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.pages.test_browser import chromium, serve_dashboard
from tests.pages.test_signin_browser import PASSWORD, click, type_into, wait

LINK = "[Sign in](https://evil.example/sso)"
PIXEL = "![](https://evil.example/pixel.png)"
BARE = "https://evil.example/bare"
HTML = "<img src=x onerror=alert(1)>"
COLOR = ":red[alarm]"
MATH = "$x^2$"
BOLD = "**bold**"
HOSTILE = [LINK, PIXEL, BARE, HTML, COLOR, MATH, BOLD]
ADMIN = "www.evil.example"  # a valid local user name that GitHub Markdown would autolink
FILE = "www.evil.example.log"

# What the page must not hold: links or images to evil.example (or the <img src=x>), math, a coloured "alarm",
# a <strong> "bold", an element the stored HTML would have made.
PROBE = """
const found = [];
for (const e of document.querySelectorAll('[href], [src], [srcset], image')) {
  const where = [e.getAttribute('href'), e.getAttribute('src'), e.getAttribute('srcset'),
                 e.getAttribute('xlink:href')].filter(Boolean).join(' ');
  if (/evil\\.example|^x$|^mailto:|^javascript:/i.test(where)) found.push(e.outerHTML.slice(0, 160));
}
for (const e of document.querySelectorAll('img')) {
  if (!/^(data:|blob:|https?:\\/\\/127\\.0\\.0\\.1)/.test(e.src)) found.push('img ' + e.outerHTML.slice(0, 160));
}
for (const e of document.querySelectorAll('.katex, math, [onerror]')) found.push(e.outerHTML.slice(0, 160));
for (const e of document.querySelectorAll('strong, b, span[class*=color], span[style*=color]')) {
  const t = e.textContent.trim();
  if (t === 'bold' || t === 'alarm') found.push(e.outerHTML.slice(0, 160));
}
return found;
"""


def seed(tmp_path: Path) -> None:
    """An hour of site "shop"'s traffic, campaigns named after each hostile string, two incidents tied to them,
    a collector named after one, and an admin and a marketer named like a web and an e-mail address."""
    now = int(datetime.now(UTC).timestamp())
    now -= now % 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 60, "bytes": 1},
                      now - 10 * i) for i in range(360))
    state = StateDB(tmp_path / "state.db")
    utc = datetime.now(UTC).replace(microsecond=0)
    for i, name in enumerate(HOSTILE):
        start = utc - timedelta(minutes=20 + 5 * i) if i % 2 == 0 else utc + timedelta(hours=3 + i)
        state.upsert_campaign(Campaign.model_validate({
            "name": name, "start": start, "owner": HOSTILE[(i + 1) % len(HOSTILE)], "utm_campaign": name,
            "channel": "email", "audience": 50_000, "regions": ["JP"], "landing": ["/sale"], "site": "shop"}),
            user=os_identity().audit_name)
    start = (utc - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    evidence = [f"78% of extra requests carry utm_campaign={h} ({h})" for h in HOSTILE]
    state.upsert_incident({"id": "inc-1", "site": "shop", "start": start, "verdict": "campaign", "confidence": 0.87,
                           "campaign": LINK, "status": "open", "evidence": evidence,
                           "feedback": {"verdict": "mixed", "campaign": PIXEL, "by": BARE, "note": HTML}})
    state.upsert_incident({"id": "inc-2", "site": "shop", "start": start, "verdict": "bot", "confidence": 0.7,
                           "status": "open", "looks_like": COLOR, "evidence": [f"POST /login ({MATH} {BOLD})"]})
    _collector(tmp_path, store, state, now)
    store.close()
    add_user(state, ADMIN, "admin", PASSWORD, by=os_identity())
    add_user(state, "ops@evil.example", "marketing", PASSWORD, by=os_identity())
    state.close()


def _collector(tmp_path: Path, store: EmbeddedStore, state: StateDB, now: int) -> None:
    """A real access-log tail named after a hostile string, following a file named like a web address."""
    from collectors.accesslog import AccessLogSettings, AccessLogTail
    from collectors.status import StatusRecorder
    from tests.collectors.logsamples import combined

    log = tmp_path / FILE
    log.write_text("".join(combined(now, ip=f"81.2.69.{i + 1}") + "\n" for i in range(20))
                   + '85.181.35.98 - - [07/Dec/2016:11:05:07 +0100 "GET /https://evil.example/bare HTTP/1.1" 200 5\n')
    tail = AccessLogTail(AccessLogSettings(files=[log], format="combined", source=LINK), store=store, state=state,
                         site="shop")
    rec = StatusRecorder(state)
    rec.observe(tail, tail.poll(), float(now))
    rec.flush(float(now))
    rec.observe_store(store, float(now))


def inert(driver, page: str) -> None:  # noqa: ANN001 - a WebDriver
    """No alert opened, and nothing the hostile strings could have made is in the DOM."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
        raise AssertionError(f"{page}: an alert opened ({alert.text!r}): stored HTML ran")
    except NoAlertPresentException:
        pass
    found = driver.execute_script(PROBE)
    assert not found, f"{page}: elements made from stored strings:\n" + "\n".join(found)


def visit(driver, url: str, page: str, shown: list[str]) -> str:  # noqa: ANN001
    """Open ``url``; once every string of ``shown`` is on the page as text, check the DOM; the page's text."""
    driver.get(url)
    text = wait(driver, lambda t: all(s in t for s in shown), f"{page} with {shown}", timeout=90)
    time.sleep(1.5)  # the rest of the page (charts, tables, fragments) draws
    inert(driver, page)
    assert "Traceback" not in text, f"{page}: {text[:2000]}"
    return text


def test_every_page_shows_hostile_names_as_text_never_as_links_images_or_markup(tmp_path: Path) -> None:
    seed(tmp_path)
    svc = serve_dashboard(tmp_path, '[dashboard]\nsign_in = "local"\n')
    driver = chromium()
    url = svc.url
    try:
        driver.get(url)
        wait(driver, lambda t: "User name" in t and "Password" in t, "the sign-in form")
        type_into(driver, "User name", ADMIN)
        type_into(driver, "Password", PASSWORD)
        click(driver, "Sign in")
        wait(driver, lambda t: f"Signed in as {ADMIN} · role admin" in t, "the signed-in sidebar")
        inert(driver, "the sign-in")
        time.sleep(1)  # the session cookie is set by the page's next draw

        visit(driver, url, "Overview", ["Campaign calendar", f"Signed in as {ADMIN}", *HOSTILE,
                                        f"On-call says mixed · {PIXEL} ({BARE}: {HTML})", f"looks like {COLOR}"])
        visit(driver, f"{url}/?incident={quote(LINK, safe='')}", "Overview ?incident=",
              [f"No incident '{LINK}' in the state DB"])
        visit(driver, f"{url}/incidents?incident=inc-1", "Incidents", [
            f"campaign {LINK}", "incident inc-1", *HOSTILE, "Record correction", "every campaign incident of shop"])
        visit(driver, f"{url}/incidents?incident={quote(HTML, safe='')}", "Incidents ?incident=",
              [f"No incident '{HTML}' in the state DB"])
        visit(driver, f"{url}/incidents?incident=inc-2", "Incidents (bot)", [f"looks like {COLOR}", MATH, BOLD])
        visit(driver, f"{url}/sources", "Sources", [f"accesslog:{LINK}", FILE, "samples (redacted)"])
        _campaigns(driver, url, tmp_path)
        visit(driver, f"{url}/capacity", "Capacity", ["Where the numbers come from"])
        visit(driver, f"{url}/users", "Users", ["Add a user", f"Signed in as {ADMIN}"])
    finally:
        driver.quit()
        svc.stop()


def _campaigns(driver, url: str, folder: Path) -> None:  # noqa: ANN001
    """The Campaigns page: each tab, and a hostile campaign opened in the form to edit and cancel."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    visit(driver, f"{url}/campaigns", "Campaigns", ["Announce a campaign", f"Owner: {ADMIN}"])
    for tab, shown in (("How did it go", [f"tied to {HOSTILE[0]}"]), ("Calendar", ["Export ICS"]),
                       ("Import a file", ["Download the CSV template"])):
        click_tab(driver, tab)
        wait(driver, lambda t, s=shown: all(x in t for x in s), f"the {tab} tab with {shown}")
        inert(driver, f"Campaigns, {tab}")
    _upload(driver, folder)
    click_tab(driver, "Announce")
    picker = driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Campaign"]')
    picker.click()
    picker.send_keys("bold")
    picker.send_keys(Keys.ENTER)
    text = wait(driver, lambda t: f"Edit {BOLD}" in t and f"Cancel {BOLD}" in t, "the form editing **bold**")
    assert f"Owner: {LINK}" in text, text[:3000]
    inert(driver, "Campaigns, editing")


UPLOAD = ("id,name,start,channel,regions,currency\n"
          f'"[x](https://evil.example/id)",a,2027-01-05T09:00:00Z,email,,\n'
          f'b,b,2027-01-05T09:00:00Z,"{HTML}",,\n'
          'c,c,2027-01-05T09:00:00Z,email,"$x^2$",\n'
          f'd,d,2027-01-05T09:00:00Z,email,,"{COLOR}"\n'
          f'e,"{BARE} upload",2027-01-05T09:00:00Z,email,JP,EUR\n')


def _upload(driver, folder: Path) -> None:  # noqa: ANN001
    """A file named like a web address whose bad rows echo hostile values: its name and problems are text."""
    from selenium.webdriver.common.by import By

    path = folder / FILE.replace(".log", ".csv")
    path.write_text(UPLOAD)
    driver.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(path))
    shown = [f"{path.name}: 1 campaign(s) to import, 4 row(s) with a problem",
             "id '[x](https://evil.example/id)' is not a safe id", f"(got '{HTML}')", "'$X^2$' is not an ISO 3166-1",
             f"'{COLOR}' is not an ISO 4217"]
    wait(driver, lambda t: all(x in t for x in shown), f"the preview of {path.name}")
    inert(driver, "Campaigns, import preview")


def click_tab(driver, label: str) -> None:  # noqa: ANN001
    """Open the tab ``label`` (at most 10 s while the page draws it)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + 10
    while True:
        tabs = [t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]') if t.text.strip() == label]
        if tabs or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert tabs, f"no tab {label!r} on the page"
    tabs[0].click()
