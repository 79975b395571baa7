"""Sign-in without a browser: local passwords, lockout and sessions; proxy trust; OIDC claims; start-up checks."""

from __future__ import annotations

import getpass
import json
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

import cli
from auth import local, oidc, proxy
from auth.exposure import refusal
from auth.roles import Identity, os_identity
from auth.settings import SignInSettings
from config import ConfigError, load_settings
from store.state import StateDB

PASSWORD = "correct horse battery"
ADMIN = os_identity()
LOCK = {"session_hours": 12, "lock_after": 3, "lock_minutes": 15}


@pytest.fixture
def state(tmp_path) -> StateDB:
    db = StateDB(tmp_path / "state.db")
    local.add_user(db, "mia", "marketing", PASSWORD, by=ADMIN)
    return db


# -- local users ----------------------------------------------------------------------------
def test_passwords_are_stored_as_argon2id_hashes_only(state, tmp_path) -> None:
    stored = state.get_user("mia")["password_hash"]
    assert stored.startswith("$argon2id$")
    assert PASSWORD.encode() not in (tmp_path / "state.db").read_bytes()
    with pytest.raises(local.UserError, match="at least 10 characters"):
        local.add_user(state, "ola", "oncall", "short", by=ADMIN)
    with pytest.raises(local.UserError, match="exists"):
        local.add_user(state, "mia", "oncall", PASSWORD, by=ADMIN)
    with pytest.raises(local.UserError, match="user name"):
        local.add_user(state, "<img src=x>", "oncall", PASSWORD, by=ADMIN)


def test_a_session_resumes_with_the_current_role_until_sign_out(state) -> None:
    session = local.sign_in(state, "mia", PASSWORD, **LOCK)
    assert session.identity == Identity("mia", "marketing", "local")
    assert local.resume(state, session.token) == Identity("mia", "marketing", "local")  # a reload
    assert local.resume(state, session.token + "x") is None and local.resume(state, None) is None
    local.sign_out(state, session.token)
    assert local.resume(state, session.token) is None


def test_a_password_change_or_removal_ends_the_users_sessions(state) -> None:
    first = local.sign_in(state, "mia", PASSWORD, **LOCK)
    local.set_password(state, "mia", PASSWORD + "2", by=ADMIN, role="oncall")
    assert local.resume(state, first.token) is None
    second = local.sign_in(state, "mia", PASSWORD + "2", **LOCK)
    assert second.identity.role == "oncall"
    local.remove_user(state, "mia", by=ADMIN)
    assert local.resume(state, second.token) is None


def test_an_expired_session_signs_no_one_in(state) -> None:
    session = local.sign_in(state, "mia", PASSWORD, **(LOCK | {"session_hours": 1}))
    state.add_session("0" * 64, "mia", datetime.now(UTC) - timedelta(seconds=1))
    assert state.session_user("0" * 64) is None
    with state._tx() as db:  # the hour has passed
        db.execute("UPDATE sessions SET expires = ?", (int(datetime.now(UTC).timestamp()) - 1,))
    assert local.resume(state, session.token) is None


def test_repeated_failures_lock_the_user_even_against_the_right_password(state) -> None:
    for _ in range(3):
        with pytest.raises(local.SignInError, match="wrong user name or password"):
            local.sign_in(state, "mia", "not the password", **LOCK)
    with pytest.raises(local.SignInError, match="mia is locked until"):
        local.sign_in(state, "mia", PASSWORD, **LOCK)
    assert any(a["action"] == "user.locked" for a in state.audit())
    with state._tx() as db:  # the lock's time has passed
        db.execute("UPDATE users SET locked_until = 1")
    assert local.sign_in(state, "mia", PASSWORD, **LOCK).identity.name == "mia"


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(state) -> None:
    with pytest.raises(local.SignInError, match="^wrong user name or password$"):
        local.sign_in(state, "nobody", PASSWORD, **LOCK)
    with pytest.raises(local.SignInError, match="^wrong user name or password$"):
        local.sign_in(state, "mia", "", **LOCK)


def test_users_commands_read_the_password_from_stdin_never_argv(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SURGEWATCH_STATE__PATH", str(tmp_path / "cli.db"))
    runner = CliRunner()
    done = runner.invoke(cli.app, ["users", "add", "ola", "--role", "oncall", "--password-stdin"],
                         input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    assert f"audited as cli:{getpass.getuser()}" in done.output
    assert runner.invoke(cli.app, ["users", "add", "x", "--role", "viewer", "--password", "p"]).exit_code == 2
    listed = json.loads(runner.invoke(cli.app, ["users", "list", "--format", "json"]).output)
    assert [(u["name"], u["role"]) for u in listed] == [("ola", "oncall")]
    done = runner.invoke(cli.app, ["users", "passwd", "ola", "--role", "admin", "--password-stdin"],
                         input="another long password\n")
    assert done.exit_code == 0, done.output
    db = StateDB(tmp_path / "cli.db")
    assert local.sign_in(db, "ola", "another long password", **LOCK).identity.role == "admin"
    bad = runner.invoke(cli.app, ["users", "add", "ola2", "--role", "boss", "--password-stdin"], input=PASSWORD)
    assert bad.exit_code == 2 and "role 'boss' is not one of viewer, marketing, oncall, admin" in bad.output
    assert runner.invoke(cli.app, ["users", "remove", "ola"]).exit_code == 0
    assert runner.invoke(cli.app, ["users", "remove", "ola"]).exit_code == 2
    assert db.list_users() == []


# -- authenticating proxy -------------------------------------------------------------------
SETTINGS = SignInSettings(sign_in="proxy", roles={"surge-oncall": "oncall", "surge-admins": "admin"},
                          proxy={"trusted": ["10.0.0.0/24", "::1"], "groups_header": "X-Forwarded-Groups"})


def test_proxy_headers_count_only_from_a_trusted_address() -> None:
    headers = {"x-forwarded-user": "carol", "x-forwarded-groups": "staff, surge-oncall"}
    assert proxy.identity(headers, "10.0.0.7", SETTINGS) == Identity("carol", "oncall", "proxy")
    assert proxy.identity(headers, "::ffff:10.0.0.7", SETTINGS) == Identity("carol", "oncall", "proxy")
    assert proxy.identity(headers, "::1", SETTINGS) is not None
    for peer in ("10.0.1.7", "127.0.0.1", "203.0.113.5", None, "", "not-an-address"):
        assert proxy.identity(headers, peer, SETTINGS) is None, peer
    assert proxy.identity({"X-Forwarded-User": "dan"}, "10.0.0.7", SETTINGS).role == "viewer"  # default_role
    assert proxy.identity({"X-Forwarded-User": ""}, "10.0.0.7", SETTINGS) is None
    assert proxy.identity({"X-Forwarded-User": "a\nb"}, "10.0.0.7", SETTINGS) is None


def test_the_strongest_mapped_group_wins() -> None:
    headers = {"X-Forwarded-User": "erin", "X-Forwarded-Groups": "surge-oncall,surge-admins"}
    assert proxy.identity(headers, "10.0.0.9", SETTINGS).role == "admin"


# -- OIDC -----------------------------------------------------------------------------------
def test_oidc_claims_name_the_person_and_their_groups_give_the_role() -> None:
    s = SignInSettings(sign_in="oidc", roles={"surge-oncall": "oncall"}, default_role="viewer")
    claims = {"is_logged_in": True, "sub": "123", "email": "olga@example.com", "groups": ["surge-oncall"]}
    assert oidc.identity(claims, s) == Identity("olga@example.com", "oncall", "oidc")
    assert oidc.identity(claims | {"groups": ["staff"]}, s).role == "viewer"
    assert oidc.identity({"is_logged_in": False}, s) is None


def test_oidc_secrets_come_from_the_environment_and_never_from_the_file(tmp_path, monkeypatch) -> None:
    toml = tmp_path / "surgewatch.toml"
    monkeypatch.setenv("SURGEWATCH_CONFIG", str(toml))
    toml.write_text('[dashboard]\nsign_in = "oidc"\n[dashboard.oidc]\nclient_secret = "s3cret"\n')
    with pytest.raises(ConfigError, match="dashboard.oidc.client_secret is a secret"):
        load_settings()
    toml.write_text('[dashboard]\nsign_in = "oidc"\n[dashboard.oidc]\nclient_id = "surgewatch"\n'
                    'server_metadata_url = "https://id.example.com/.well-known/openid-configuration"\n')
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "dashboard__oidc__client_secret").write_text("from-a-file\n")
    monkeypatch.setenv("SURGEWATCH_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__OIDC__COOKIE_SECRET", "from-the-env")
    settings = load_settings().dashboard
    written = tomllib.loads(oidc.secrets_toml(settings, "127.0.0.1", 8501))["auth"]
    assert written["client_secret"] == "from-a-file" and written["cookie_secret"] == "from-the-env"
    assert written["redirect_uri"] == "http://127.0.0.1:8501/oauth2callback"
    assert written["client_kwargs"] == {"scope": "openid profile email"}
    with pytest.raises(oidc.OidcConfigError, match="dashboard.oidc.client_secret is not set"):
        oidc.secrets_toml(SignInSettings(sign_in="oidc", oidc={"client_id": "x", "server_metadata_url": "u"}),
                          "127.0.0.1", 8501)


# -- where the dashboard may listen ---------------------------------------------------------
@pytest.mark.parametrize(("host", "settings", "refused"), [
    ("127.0.0.1", {}, False), ("::1", {}, False), ("localhost", {}, False),
    ("0.0.0.0", {}, True), ("192.0.2.10", {}, True), ("dashboard.example.com", {}, True),
    ("0.0.0.0", {"allow_anonymous": True}, False), ("0.0.0.0", {"sign_in": "local"}, False),
])
def test_a_network_address_without_sign_in_is_refused_unless_allowed(host, settings, refused) -> None:
    why = refusal(SignInSettings(**settings), host)
    assert (why is not None) == refused
    if why:
        assert host in why and "dashboard.allow_anonymous = true" in why and "dashboard.sign_in" in why


def test_an_older_state_db_keeps_its_users_and_renames_the_marketer_role(tmp_path) -> None:
    import sqlite3

    from store.state import MIGRATIONS

    path = tmp_path / "v3.db"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:3]:
        db.executescript(step)
    db.execute("INSERT INTO users(name, role, password_hash, created_at) VALUES ('mia', 'marketer', '', 0)")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    state = StateDB(path)
    assert state.version == len(MIGRATIONS)
    assert state.get_user("mia") | {"created_at": 0} == {"name": "mia", "role": "marketing", "password_hash": "",
                                                         "failures": 0, "locked_until": 0, "created_at": 0}
