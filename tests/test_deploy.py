"""Dockerfile and compose file stay consistent with the code (no Docker engine is needed)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> set[str]:
    from typer.main import get_command

    return set(get_command(cli.app).commands)


def test_every_file_the_dockerfile_copies_exists() -> None:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _dest = line.split()[1:]
            for src in sources:
                assert (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist"


def test_dockerfile_runs_as_non_root_with_a_healthcheck_on_a_real_command() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\S+", text, re.M)
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    health = re.search(r'HEALTHCHECK .*\n\s+CMD \["python", "cli.py", "(\w+)"', text)
    assert health and health.group(1) in _commands()
    default = re.search(r'CMD \["(\w+)"\]\s*$', text)
    assert default and default.group(1) in _commands()


def test_compose_parses_and_its_commands_exist_in_the_cli() -> None:
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    services = compose["services"]
    assert {"influxdb", "worker", "dashboard"} <= set(services)
    assert services["influxdb"]["image"].startswith("influxdb:2")
    for name in ("worker", "dashboard"):
        assert services[name]["command"][0] in _commands()
        assert services[name]["environment"]["SURGEWATCH_STORE__BACKEND"] == "influxdb"
    for svc in services.values():
        for volume in svc.get("volumes", []):
            src = volume.split(":")[0]
            if src.startswith("."):
                assert (ROOT / "deploy" / src).exists(), f"compose mounts {src}, which does not exist"


def test_compose_maps_the_v1_database_to_the_bucket() -> None:
    script = (ROOT / "deploy/influxdb/create-dbrp.sh").read_text()
    assert "influx v1 dbrp create" in script and "--db surgewatch" in script


def test_health_fails_clearly_when_nothing_answers() -> None:
    result = CliRunner().invoke(cli.app, ["health", "--url", "http://127.0.0.1:9/metrics"])
    assert result.exit_code == 1


def _compose_value(text: str) -> str:
    """A compose value with its ``${VAR:-default}`` references replaced by their defaults (nothing set)."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(text))


def test_compose_dashboard_signs_people_in_so_it_starts_on_its_container_address(monkeypatch) -> None:
    from auth.exposure import refusal
    from config import load_settings

    dashboard = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())["services"]["dashboard"]
    command = dashboard["command"]
    host = command[command.index("--host") + 1]
    for key in [k for k in os.environ if k.startswith("SURGEWATCH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SURGEWATCH_CONFIG", str(ROOT / "surgewatch.example.toml"))
    for key, value in dashboard["environment"].items():
        if key.startswith("SURGEWATCH_DASHBOARD__"):
            monkeypatch.setenv(key, _compose_value(value))
    settings = load_settings().dashboard
    assert settings.sign_in == "local"
    assert refusal(settings, host) is None, "the compose dashboard would be refused at start-up"
    monkeypatch.setenv("SURGEWATCH_DASHBOARD__SIGN_IN", "none")  # without its sign-in, it would be refused
    assert refusal(load_settings().dashboard, host) is not None


def test_the_image_holds_every_package_the_commands_import() -> None:
    copied = {line.split()[1].rstrip("/") for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ")}
    for package in ("auth", "store", "collectors", "alerts", "capacity", "pages", "simulate"):
        assert package in copied, f"the Dockerfile does not copy {package}/"
