"""Path groups (page, asset, api, login, checkout, conversion, other) from configurable patterns.

Pages under an announced campaign's landing prefixes are the group ``landing``, so the
alerts can tell how much of a surge arrives where the campaign sends people.
"""

from __future__ import annotations

import re

from store.schema import PATH_GROUPS


class PathGrouper:
    def __init__(self, groups: dict[str, list[str]]) -> None:
        compiled = []
        for name, patterns in groups.items():
            if name not in PATH_GROUPS:
                raise ValueError(f"path_groups: unknown group {name!r}; use one of {', '.join(PATH_GROUPS)}")
            for p in patterns:
                try:
                    compiled.append((name, re.compile(p, re.I)))
                except re.error as exc:
                    raise ValueError(f"path_groups.{name}: bad pattern {p!r} ({exc})") from exc
        self._rules = compiled
        self._cache: dict[str, str] = {}
        self._landing: tuple[str, ...] = ()

    def set_landing(self, prefixes: list[str]) -> bool:
        """Campaign landing prefixes (e.g. /spring-sale); returns whether they changed."""
        landing = tuple(sorted({p for p in prefixes if p and p != "/"}))
        if landing == self._landing:
            return False
        self._landing = landing
        self._cache.clear()
        return True

    def group(self, path: str, method: str = "GET") -> str:
        hit = self._cache.get(path)
        if hit is None:
            hit = next((name for name, rx in self._rules if rx.search(path)), "")
            if hit in ("", "page") and self._landing and path.startswith(self._landing):
                hit = "landing"
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[path] = hit
        if hit:
            return hit
        return "page" if method in ("GET", "HEAD") else "other"
