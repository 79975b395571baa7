"""Settings: TOML file, SURGEWATCH_* overrides, secrets only from env or files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("SURGEWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_on_the_embedded_store_without_a_file() -> None:
    s = load_settings()
    assert s.store.backend == "embedded"
    assert s.dashboard.port == 8501


def test_toml_values_are_read_and_env_overrides_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "surgewatch.toml").write_text(
        'site = "shop"\n[store]\nbackend = "influxdb"\n[worker]\npoll_every = 5\n')
    monkeypatch.setenv("SURGEWATCH_WORKER__POLL_EVERY", "1.5")
    s = load_settings()
    assert (s.site, s.store.backend, s.worker.poll_every) == ("shop", "influxdb", 1.5)


def test_the_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURGEWATCH_CONFIG", str(Path(__file__).resolve().parents[1] / "surgewatch.example.toml"))
    assert load_settings().site == "shop"


def test_invalid_value_names_key_env_value_and_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURGEWATCH_STORE__BACKEND", "mysql")
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert "store.backend" in text and "SURGEWATCH_STORE__BACKEND" in text
    assert "'mysql'" in text and "'embedded' or 'influxdb'" in text


def test_unknown_key_in_the_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "surgewatch.toml").write_text("[dashbord]\nport = 1\n")
    with pytest.raises(ConfigError, match="unknown key `dashbord` at the top level: did you mean `dashboard`"):
        load_settings()


@pytest.mark.parametrize(("section", "typo", "meant"), [
    ("store", "bakend", "backend"), ("worker", "poll_evry", "poll_every"), ("dashboard", "prot", "port"),
    ("alerts", "min_rsp", "min_rps"), ("notify", "hold_second", "hold_seconds"), ("state", "pth", "path"),
    ("capacity", "currencyy", "currency"), ("collectors.accesslog", "filess", "files"),
    ("collectors.prometheus", "urll", "url"), ("collectors.varnish", "enabeld", "enabled"),
])
def test_a_misspelt_key_in_any_section_stops_start_up_with_the_closest_key(
        tmp_path: Path, section: str, typo: str, meant: str) -> None:
    """A typo is never silently ignored (``bakend = "influxdb"`` used to run on the embedded store)."""
    (tmp_path / "surgewatch.toml").write_text(f'[{section}]\n{typo} = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert f"unknown key `{typo}` in [{section}]: did you mean `{meant}`?" in str(err.value)


def test_every_unknown_key_is_listed_at_once_and_an_array_of_tables_names_its_entry(tmp_path: Path) -> None:
    (tmp_path / "surgewatch.toml").write_text(
        '[store]\nbakend = "influxdb"\n[[collectors.accesslog]]\nfiles = ["a.log"]\n'
        '[[collectors.accesslog]]\nfiels = ["b.log"]\n[collectors.clodflare]\nzone_id = "z"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert "`bakend` in [store]" in text
    assert "`fiels` in [collectors.accesslog entry 2]: did you mean `files`?" in text
    assert "`clodflare` in [collectors]: did you mean `cloudflare`?" in text


def test_a_misspelt_nested_environment_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURGEWATCH_STORE__BAKEND", "influxdb")
    with pytest.raises(ConfigError, match="SURGEWATCH_STORE__BAKEND is not a known setting: did you mean "
                                          "SURGEWATCH_STORE__BACKEND"):
        load_settings()


@pytest.mark.parametrize("toml", [
    '[[collectors.cloudflare]]\nzone_id = "z"\napi_token = "hunter2-token"\n',
    '[collectors.mailchimp]\napi_key = "hunter2-token"\n',
    '[store]\ninflux_url = "http://admin:hunter2-token@db.example:8086"\n',
    '[notify]\nalertmanager_url = "https://ops:hunter2-token@am.example"\n',
])
def test_a_secret_is_refused_in_the_file_in_every_form(tmp_path: Path, toml: str) -> None:
    (tmp_path / "surgewatch.toml").write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "is a secret and may not be written in the file" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_the_printed_configuration_masks_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import subprocess
    import sys

    monkeypatch.setenv("SURGEWATCH_STORE__INFLUX_URL", "http://admin:hunter2-a@db.example:8086")
    monkeypatch.setenv("SURGEWATCH_NOTIFY__ALERTMANAGER_URL", "http://ops:hunter2-b@am.example:9093")
    monkeypatch.setenv("SURGEWATCH_STORE__INFLUX_TOKEN", "hunter2-c")
    monkeypatch.setenv("SURGEWATCH_COLLECTORS__CLOUDFLARE__API_TOKEN", "hunter2-d")
    monkeypatch.setenv("SURGEWATCH_NOTIFY__URLS", '["mailtos://u:hunter2-e@smtp.example"]')
    cli = Path(__file__).resolve().parents[1] / "cli.py"
    out = subprocess.run([sys.executable, str(cli), "config"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "hunter2" not in out.stdout + out.stderr
    shown = json.loads(out.stdout)
    assert shown["store"]["influx_url"] == "http://admin:****@db.example:8086"
    assert shown["collectors"]["cloudflare"]["api_token"] == "**********"


def test_bad_time_zone_says_what_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="IANA name"):
        load_settings()


def test_secret_in_the_file_is_refused_and_never_echoed(tmp_path: Path) -> None:
    (tmp_path / "surgewatch.toml").write_text('[store]\ninflux_token = "hunter2-token"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "SURGEWATCH_STORE__INFLUX_TOKEN" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_secrets_come_from_env_or_secret_files_and_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "store__influx_token").write_text("tok-from-file\n")
    monkeypatch.setenv("SURGEWATCH_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("SURGEWATCH_STORE__INFLUX_PASSWORD", "pw-from-env")
    s = load_settings()
    assert s.store.influx_token.get_secret_value() == "tok-from-file"
    assert s.store.influx_password.get_secret_value() == "pw-from-env"
    dumped = s.model_dump_json()
    assert "tok-from-file" not in dumped and "pw-from-env" not in dumped
