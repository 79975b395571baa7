"""README stays true: the two commands first, every collector setting documented, every command listed."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from typer.main import get_command

import cli
from collectors.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SETTINGS_MODELS = {"accesslog": "AccessLogSettings", "varnish": "VarnishSettings",
                   "varnishncsa": "VarnishNcsaSettings", "cloudflare": "CloudflareSettings",
                   "mailchimp": "MailchimpSettings", "prometheus": "PrometheusSettings"}


def test_readme_opens_with_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:8])
    assert "./surgewatch demo" in first_screen and "./surgewatch test" in first_screen


def test_ci_runs_the_readme_test_command_and_nothing_else() -> None:
    lines = [ln for ln in (ROOT / ".ci/run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[-1] == "exec ./surgewatch test"
    assert all(ln.startswith(("set ", "cd ", "exec ./surgewatch test")) for ln in lines)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_collector_setting_is_documented(kind: str) -> None:
    model = getattr(importlib.import_module(REGISTRY[kind]), SETTINGS_MODELS[kind])
    section = README.split(f"#### `[collectors.{kind}]`", 1)[1].split("####", 1)[0]
    missing = [name for name in model.model_fields if f"`{name}`" not in section]
    assert not missing, f"README does not document [collectors.{kind}] {missing}"


def test_every_command_is_in_the_readme_reference() -> None:
    commands = set(get_command(cli.app).commands)
    listed = set(re.findall(r"^\| `(\w[\w-]*)", README.split("## Command line", 1)[1], re.M))
    assert commands <= listed, f"undocumented commands: {commands - listed}"
