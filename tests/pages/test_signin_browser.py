"""Signing in to the dashboard in headless Chromium, three ways, and what each role may do there.

Each way runs against a real counterpart: local users of the state DB; a real OpenID Connect
provider process (``oidc-provider-mock``, an Authlib authorization server) on loopback, through
Streamlit's own ``st.login``; and a real nginx in front of the dashboard setting the user and groups
headers, as an authenticating proxy does (and a second nginx, at an address not trusted, whose
headers must be ignored). Each role does one thing it may and is refused one it may not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auth.local import add_user
from auth.roles import os_identity
from campaigns.files import campaigns_from_json
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.pages.test_browser import chromium, serve_dashboard
from tests.services import free_port, nginx_auth_proxy, oidc_provider

PASSWORD = "correct horse battery"


def seed(tmp_path: Path) -> StateDB:
    """An hour of traffic of site "shop", a campaign and an open incident ``inc-1`` linked to it."""
    now = int(datetime.now(UTC).timestamp())
    now -= now % 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 60, "bytes": 1},
                      now - 10 * i) for i in range(360))
    store.close()
    state = StateDB(tmp_path / "state.db")
    start = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state.upsert_campaign(campaigns_from_json(f'[{{"name": "Spring Sale APAC", "start": "{start}"}}]')[0])
    state.upsert_incident({"id": "inc-1", "site": "shop", "start": start, "verdict": "bot", "confidence": 0.8,
                           "status": "open", "evidence": ["POST /login from 4 networks"]})
    return state


def body(driver) -> str:  # noqa: ANN001 - a WebDriver
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def wait(driver, ok: Callable[[str], bool], what: str, timeout: float = 60) -> str:  # noqa: ANN001
    """The page's text once ``ok(text)``; fails naming ``what`` (with the text) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            text = body(driver)
        except Exception:  # noqa: BLE001 - the page is being replaced (a redirect)
            text = ""
        if ok(text):
            return text
        time.sleep(0.3)
    raise AssertionError(f"{what} did not show within {timeout} s; the page says:\n{text[:3000]}")


def _retry(act: Callable[[], None]) -> None:
    """Do ``act``, again while Streamlit redraws the element under it (at most 10 s)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + 10
    while True:
        try:
            return act()
        except (StaleElementReferenceException, NoSuchElementException, StopIteration):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def click(driver, label: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    _retry(lambda: next(b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.strip() == label).click())


def type_into(driver, label: str, text: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def act() -> None:
        field = driver.find_element(By.CSS_SELECTOR, f'input[aria-label="{label}"]')
        field.click()
        field.send_keys(Keys.CONTROL, "a")  # replaces what the field held
        field.send_keys(text)

    _retry(act)


def announce(driver, url: str, name: str) -> str:  # noqa: ANN001
    """Announce a campaign on the Campaigns page (its default start, in four hours); the page's answer."""
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/campaigns")
    name_field = 'input[aria-label="Name"]'
    wait(driver, lambda t: "Announce campaign" in t and driver.find_elements(By.CSS_SELECTOR, name_field),
         "the announce form")
    type_into(driver, "Name", name)
    click(driver, "Announce campaign")
    return wait(driver, lambda t: "Announced" in t or "not saved" in t, "the answer to the announcement")


def refused_on_incident(driver, url: str, what: str) -> str:  # noqa: ANN001
    driver.get(f"{url}/incidents?incident=inc-1")
    return wait(driver, lambda t: f"{what} needs the" in t and "inc-1" in t, f"the refusal of {what}")


def silence(driver, url: str) -> str:  # noqa: ANN001
    driver.get(f"{url}/incidents?incident=inc-1")
    wait(driver, lambda t: "Silence notifications" in t and "Silence\n" in t + "\n", "the silence form")
    click(driver, "Silence")
    return wait(driver, lambda t: "Silence 1:" in t or "needs the" in t, "the answer to the silence")


# -- local users ----------------------------------------------------------------------------
def test_a_local_marketer_signs_in_announces_is_refused_a_silence_stays_signed_in_and_signs_out(tmp_path) -> None:
    state = seed(tmp_path)
    add_user(state, "mia", "marketing", PASSWORD, by=os_identity())
    add_user(state, "vic", "viewer", PASSWORD, by=os_identity())
    add_user(state, "ada", "admin", PASSWORD, by=os_identity())
    svc = serve_dashboard(tmp_path, '[dashboard]\nsign_in = "local"\nlock_after = 3\n')
    driver = chromium()
    try:
        driver.get(svc.url)
        wait(driver, lambda t: "User name" in t and "Password" in t, "the sign-in form")
        assert "Overview" not in body(driver) and "Incidents" not in body(driver)  # nothing before signing in
        type_into(driver, "User name", "mia")
        type_into(driver, "Password", "wrong password!")
        click(driver, "Sign in")
        wait(driver, lambda t: "wrong user name or password" in t, "the refusal of a wrong password")
        type_into(driver, "Password", PASSWORD)  # the form keeps the name
        click(driver, "Sign in")
        wait(driver, lambda t: "Signed in as mia · role marketing" in t, "the signed-in sidebar")
        time.sleep(1)  # the session cookie is set by the page's next draw
        said = announce(driver, svc.url, "Launch Day")  # allowed: marketing announces campaigns
        assert "Announced Launch Day" in said, said
        said = refused_on_incident(driver, svc.url, "silencing notifications")  # refused: silences are on-call's
        assert "Signed in as mia" in said and "Record correction" not in said
        assert "Users" not in said  # nor may a marketer manage users
        driver.refresh()  # a reload keeps the sign-in (the session cookie)
        wait(driver, lambda t: "Signed in as mia · role marketing" in t, "the sign-in after a reload")
        click(driver, "Sign out")
        wait(driver, lambda t: "User name" in t, "the sign-in form after signing out")
        driver.refresh()
        text = wait(driver, lambda t: "User name" in t, "the sign-in form after a reload")
        assert "Signed in" not in text
        for _ in range(3):  # lockout: three wrong passwords in a row
            driver.get(svc.url)
            wait(driver, lambda t: "User name" in t, "the sign-in form")
            type_into(driver, "User name", "vic")
            type_into(driver, "Password", "not the password")
            click(driver, "Sign in")
            wait(driver, lambda t: "Not signed in" in t, "the refusal")
        type_into(driver, "Password", PASSWORD)
        click(driver, "Sign in")
        assert "vic is locked until" in wait(driver, lambda t: "locked until" in t, "the lock")
        driver.save_screenshot(str(tmp_path / "locked.png"))
        type_into(driver, "User name", "ada")  # an admin manages users
        type_into(driver, "Password", PASSWORD)
        click(driver, "Sign in")
        wait(driver, lambda t: "Signed in as ada · role admin" in t and "Users" in t, "the admin's Users page link")
        driver.get(f"{svc.url}/users")
        wait(driver, lambda t: "Add a user" in t and "Remove user" in t, "the Users page")
        type_into(driver, "New user's name", "newbie")
        type_into(driver, "Password (at least 10 characters)", PASSWORD)
        type_into(driver, "Password again", PASSWORD)
        click(driver, "Add user")
        wait(driver, lambda t: "Added newbie (viewer)." in t, "the added user")
    finally:
        driver.quit()
        svc.stop()
    audit = StateDB(tmp_path / "state.db").audit(limit=50)
    assert any(a["user"] == "local:mia" and a["action"] == "campaign.upsert" for a in audit)
    assert not StateDB(tmp_path / "state.db").active_silences()
    assert StateDB(tmp_path / "state.db").user_role("newbie") == "viewer"
    assert any(a["user"] == "local:ada" and a["action"] == "user.set" for a in audit)


# -- OpenID Connect -------------------------------------------------------------------------
def test_oidc_sign_in_maps_groups_to_roles_oncall_silences_and_a_viewer_is_refused(tmp_path) -> None:
    seed(tmp_path)
    provider = oidc_provider(tmp_path / "oidc", [
        {"sub": "olga", "email": "olga@example.com", "groups": ["staff", "surge-oncall"]},
        {"sub": "vera", "email": "vera@example.com", "groups": ["staff"]}])
    port = free_port()
    settings = ('[dashboard]\nsign_in = "oidc"\n[dashboard.roles]\n"surge-oncall" = "oncall"\n[dashboard.oidc]\n'
                f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\nclient_id = "surgewatch"\n'
                f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n')
    secrets = {"SURGEWATCH_DASHBOARD__OIDC__CLIENT_SECRET": "client-secret-from-the-environment",
               "SURGEWATCH_DASHBOARD__OIDC__COOKIE_SECRET": "cookie-secret-from-the-environment"}
    svc = serve_dashboard(tmp_path, settings, env=secrets, port=port)
    assert "secret" not in (tmp_path / "surgewatch.toml").read_text()
    try:
        for who, expect in (("olga", "oncall"), ("vera", "viewer")):
            driver = chromium()
            try:
                driver.get(svc.url)
                wait(driver, lambda t: "Sign in with your organisation" in t, "the sign-in button")
                click(driver, "Sign in with your organisation")
                wait(driver, lambda t, w=who: w in t and "Authorize" in t, "the provider's form")  # noqa: B023
                click(driver, who)
                wait(driver, lambda t, w=who, r=expect: f"Signed in as {w}@example.com · role {r}" in t,
                     f"{who} signed in")
                if expect == "oncall":
                    said = silence(driver, svc.url)  # allowed: on-call silences
                    assert "Silence 1:" in said, said
                    driver.get(f"{svc.url}/campaigns")  # refused: campaigns are marketing's
                    wait(driver, lambda t: "announcing, editing, cancelling or importing campaigns needs the "
                                           "marketing or admin role" in t, "the refusal to announce")
                else:
                    driver.get(svc.url)  # allowed: reading the overview
                    wait(driver, lambda t: "Overview" in t and "Signed in as vera" in t, "the overview")
                    said = refused_on_incident(driver, svc.url, "silencing notifications")
                    assert "correcting a verdict or linking an incident to a campaign needs the oncall or admin" \
                           in said
                driver.save_screenshot(str(tmp_path / f"oidc-{who}.png"))
            finally:
                driver.quit()
    finally:
        svc.stop()
        provider.stop()
    silences = StateDB(tmp_path / "state.db").active_silences()
    assert [s["created_by"] for s in silences] == ["oidc:olga@example.com"]
    assert "client-secret" not in svc.log()


# -- authenticating reverse proxy -----------------------------------------------------------
def test_proxy_headers_sign_in_only_from_the_trusted_proxy_and_an_admin_may_do_everything(tmp_path) -> None:
    seed(tmp_path)
    settings = ('[dashboard]\nsign_in = "proxy"\n[dashboard.proxy]\ntrusted = ["127.0.0.2"]\n'
                'user_header = "X-Forwarded-User"\ngroups_header = "X-Forwarded-Groups"\n'
                '[dashboard.roles]\n"surge-admins" = "admin"\n')
    svc = serve_dashboard(tmp_path, settings)
    headers = {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "staff, surge-admins"}
    trusted = nginx_auth_proxy(tmp_path / "proxy", svc.port, headers, source="127.0.0.2")
    # The same headers from an address not trusted, claiming to forward for the trusted one: still refused.
    forged = nginx_auth_proxy(tmp_path / "forged", svc.port, {**headers, "X-Forwarded-User": "mallory",
                                                              "X-Forwarded-For": "127.0.0.2"},
                              source="127.0.0.1")
    driver = chromium()
    try:
        driver.get(trusted.url)
        wait(driver, lambda t: "Signed in as carol · role admin" in t, "carol signed in by the proxy")
        said = announce(driver, trusted.url, "Proxy Launch")  # allowed: admin announces
        assert "Announced Proxy Launch" in said, said
        assert "Silence 1:" in silence(driver, trusted.url)  # allowed: admin silences too
        for url in (forged.url, svc.url):  # the same headers from an untrusted address, or none: not signed in
            driver.get(url)
            text = wait(driver, lambda t: "Not signed in" in t, "the refusal of untrusted headers")
            assert "mallory" not in text and "Signed in as" not in text and "Overview" not in text
        driver.save_screenshot(str(tmp_path / "proxy-refused.png"))
    finally:
        driver.quit()
        forged.stop()
        trusted.stop()
        svc.stop()
    audit = StateDB(tmp_path / "state.db").audit(limit=50)
    assert {a["user"] for a in audit if a["action"] == "silence.add" or a["detail"].get("name") == "Proxy Launch"} \
        == {"proxy:carol"}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_the_dashboard_refuses_a_network_address_without_sign_in_and_says_why(tmp_path, host) -> None:
    import subprocess
    import sys

    from tests.pages.test_browser import ROOT

    (tmp_path / "surgewatch.toml").write_text(f'[state]\npath = "{tmp_path / "state.db"}"\n')
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "dashboard", "--host", host], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2
    assert f"would listen on {host}" in done.stderr and "dashboard.sign_in" in done.stderr
    assert "dashboard.allow_anonymous = true" in done.stderr and "Traceback" not in done.stderr
