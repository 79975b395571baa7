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
    with pytest.raises(ConfigError, match="dashbord.*not a known setting"):
        load_settings()


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
