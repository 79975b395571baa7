"""Which collectors exist, and building the configured ones from settings.

Each collector module offers ``build(section, *, store, state, site)`` returning an object
with ``name``, ``poll()`` and ``flush()``; adding a source is one line here. A section in
``surgewatch.toml`` is ``[collectors.<kind>]`` (one instance) or ``[[collectors.<kind>]]``
(several), validated by the module's own settings model.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from typing import Any

from store.base import TimeSeriesStore
from store.settings import UnknownKey, unknown_keys
from store.state import StateDB

log = logging.getLogger(__name__)

REGISTRY: dict[str, str] = {
    "accesslog": "collectors.accesslog",
    "varnish": "collectors.varnish",
    "varnishncsa": "collectors.varnishncsa",
    "cloudflare": "collectors.cloudflare",
    "mailchimp": "collectors.mailchimp",
    "prometheus": "collectors.prometheus",
}


# Sections of these kinds run only with ``enabled = true`` (they call a service or an API).
OFF_BY_DEFAULT = {"varnish", "varnishncsa", "cloudflare", "mailchimp", "prometheus"}


class CollectorConfigError(ValueError):
    """A collector section is invalid; the message names it and what to fix."""


def build_collectors(settings: Any, store: TimeSeriesStore, state: StateDB) -> list[Any]:
    out = []
    for kind, sections in (settings.collectors or {}).items():
        if kind not in REGISTRY:
            raise CollectorConfigError(
                f"[collectors.{kind}] is not a known collector; known: {', '.join(sorted(REGISTRY))}"
            )
        module = importlib.import_module(REGISTRY[kind])
        for i, section in enumerate(sections if isinstance(sections, list) else [sections]):
            if not isinstance(section, dict):
                raise CollectorConfigError(f"[collectors.{kind}] entry {i + 1} must be a table of settings")
            enabled = str(section.get("enabled", kind not in OFF_BY_DEFAULT)).strip().lower()
            if enabled not in ("1", "true", "yes", "on"):
                log.info("[collectors.%s] entry %d is not enabled", kind, i + 1)
                continue
            try:
                out.append(module.build(section, store=store, state=state, site=settings.site))
            except ValueError as exc:
                raise CollectorConfigError(f"[collectors.{kind}] entry {i + 1}: {exc}") from None
    return out


def unknown_section_keys(kind: str, sections: Any) -> list[UnknownKey]:
    """The unknown keys of ``[collectors.<kind>]`` (one table or an array of tables), and an unknown kind."""
    if kind not in REGISTRY:
        near = difflib.get_close_matches(kind, list(REGISTRY), n=1, cutoff=0.6)
        return [UnknownKey(("collectors",), kind, near[0] if near else None, tuple(REGISTRY))]
    model = getattr(importlib.import_module(REGISTRY[kind]), "SETTINGS", None)
    if model is None:
        return []
    items = sections if isinstance(sections, list) else [sections]
    out = []
    for i, section in enumerate(items, 1):
        where = ("collectors", kind + (f" entry {i}" if isinstance(sections, list) else ""))
        out += unknown_keys(model, section, where, ignore=("enabled",))
    return out
