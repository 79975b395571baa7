"""``surgewatch notify-test``: one sample to every configured channel, each reported as it went."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import cli
from tests.alerts.test_notify_email import mail_url, smtp_server
from tests.services import alertmanager, free_port


def test_notify_test_reaches_mail_and_alertmanager_and_names_the_channel_that_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    port = free_port()
    controller, inbox = smtp_server(port)
    am = alertmanager(tmp_path / "am")
    try:
        urls = [mail_url(port), mail_url(free_port()), "nosuchservice://token123"]
        env = {"SURGEWATCH_SITE": "shop.example.com", "SURGEWATCH_NOTIFY__URLS": json.dumps(urls),
               "SURGEWATCH_NOTIFY__ALERTMANAGER_URL": am.url}
        result = CliRunner().invoke(cli.app, ["notify-test"], env=env)
        alerts = httpx.get(f"{am.url}/api/v2/alerts", timeout=5).json()
    finally:
        am.stop()
        controller.stop()
    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output
    assert sum(ln.startswith("ok      mailto://oncall:****@127.0.0.1") for ln in lines) == 1
    assert sum(ln.startswith("FAILED  mailto://oncall:****@127.0.0.1") for ln in lines) == 1
    assert any(ln.startswith(f"ok      {am.url}") for ln in lines)
    assert any(ln.startswith("FAILED  notify.urls entry 3: nosuchservice://") for ln in lines)
    assert "s3cretpw" not in result.output and "token123" not in result.output
    assert [str(m["Subject"]) for m in inbox.messages] == [
        "[TEST] [BOT] shop.example.com: 12.3x traffic, credential stuffing from 2 networks"]
    assert [a["labels"]["incident"] for a in alerts] == ["shop.example.com-notify-test"]


def test_notify_test_without_channels_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["notify-test"], env={"SURGEWATCH_NOTIFY__URLS": "[]"})
    assert result.exit_code == 2
    assert "SURGEWATCH_NOTIFY__URLS" in result.output


def test_every_notify_setting_is_in_the_readme_and_the_example_config() -> None:
    from config import NotifySettings

    root = Path(__file__).resolve().parents[2]
    readme, example = (root / "README.md").read_text(), (root / "surgewatch.example.toml").read_text()
    for name in NotifySettings.model_fields:
        assert f"notify.{name}" in readme or f"NOTIFY__{name.upper()}" in readme, name
        assert f"{name}" in example.split("[notify]", 1)[1], name
