"""The registry builds every configured collector, skips disabled ones, and names bad sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.registry import REGISTRY, CollectorConfigError, build_collectors
from config import load_settings
from store.embedded import EmbeddedStore
from store.state import StateDB


@pytest.fixture
def deps() -> tuple[EmbeddedStore, StateDB]:
    return EmbeddedStore(":memory:"), StateDB(":memory:")


def test_every_kind_builds_into_a_collector_the_worker_can_drive(tmp_path: Path, deps) -> None:  # noqa: ANN001
    settings = load_settings(site="shop", collectors={
        "accesslog": [{"files": [str(tmp_path / "a.log")], "source": "web1"},
                      {"files": [str(tmp_path / "b.log")], "source": "web2"}],
        "varnish": {"enabled": True, "instance": str(tmp_path / "varnish")},
        "varnishncsa": {"enabled": True, "instance": str(tmp_path / "varnish")},
        "cloudflare": {"enabled": True, "zone_tag": "0" * 32, "api_token": "t"},
        "mailchimp": {"enabled": True, "api_key": "k-us6"},
        "prometheus": {"enabled": True, "url": "http://127.0.0.1:9"},
    })
    built = build_collectors(settings, *deps)
    assert len(built) == 7
    assert {type(c).__module__ for c in built} == set(REGISTRY.values())
    for c in built:
        assert c.name and callable(c.poll) and callable(c.flush)
    assert len({c.name for c in built}) == 7


def test_api_collectors_stay_off_unless_enabled(deps) -> None:  # noqa: ANN001
    settings = load_settings(collectors={"prometheus": {"url": "http://127.0.0.1:9"}, "varnish": {"enabled": False},
                                         "mailchimp": {"enabled": "false"}})
    assert build_collectors(settings, *deps) == []


def test_unknown_kind_and_bad_values_are_named(deps) -> None:  # noqa: ANN001
    with pytest.raises(CollectorConfigError, match=r"\[collectors.nginxx\] is not a known collector; known: accesslog"):
        build_collectors(load_settings(collectors={"nginxx": {}}), *deps)
    bad = load_settings(collectors={"prometheus": {"enabled": True, "url": "ftp://x"}})
    with pytest.raises(CollectorConfigError, match=r"\[collectors.prometheus\] entry 1: url"):
        build_collectors(bad, *deps)


def test_collector_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, deps) -> None:  # noqa: ANN001
    monkeypatch.setenv("SURGEWATCH_COLLECTORS__MAILCHIMP__API_KEY", "secret-us6")
    monkeypatch.setenv("SURGEWATCH_COLLECTORS__MAILCHIMP__ENABLED", "true")
    (collector,) = build_collectors(load_settings(), *deps)
    assert collector.settings.api_key.get_secret_value() == "secret-us6"
