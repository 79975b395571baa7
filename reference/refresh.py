"""``./surgewatch reference refresh``: download the published feeds again and replace the data files.

Each refreshable source is fetched from its publisher's URL (or ``--base-url``/``--url`` for a
mirror or a recorded copy), checked with the parser of its format, and only then written in place
of the old file (atomically); a source that cannot be reached or does not parse keeps its old file
and is reported with the reason. ``manifest.json`` beside the files records when each was fetched
and from where. Hand-kept lists (mail-security vendors, other services) are documentation pages,
not feeds: they are reported as kept.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reference.formats import PARSERS, FormatError
from reference.networks import _load, data_dir
from reference.sources import SOURCES

MAX_BYTES = 64 * 1024 * 1024
MANIFEST = "manifest.json"


@dataclass
class Outcome:
    name: str
    status: str    # updated | unchanged | kept | failed
    message: str


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "surgewatch-reference-refresh"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https/http feeds only)
        body = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 2**20} MiB")
    return body


def _write(path: Path, body: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(body)
    os.replace(tmp, path)


def _url(name: str, base_url: str | None, urls: dict[str, str]) -> str | None:
    if name in urls:
        return urls[name]
    if base_url:
        return f"{base_url.rstrip('/')}/{SOURCES[name].file}"
    return SOURCES[name].url


def refresh_one(name: str, directory: Path, url: str | None, timeout: float) -> tuple[Outcome, dict | None]:
    """Fetch, check and write one source; the manifest entry when it was written."""
    source = SOURCES[name]
    if not source.refreshable:
        return Outcome(name, "kept", f"kept {source.file}: hand-kept from {source.page}"), None
    if url is None:
        return Outcome(name, "kept", f"kept {source.file}: no fixed feed URL; pass --url {name}=URL "
                                     f"(see {source.page})"), None
    if not url.startswith(("https://", "http://")):
        return Outcome(name, "failed", f"{name}: {url!r} is not an http(s) URL; old file kept"), None
    try:
        body = _fetch(url, timeout)
        count = len(PARSERS[source.format](body))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        kind = "does not parse" if isinstance(exc, FormatError) else "could not be fetched"
        return Outcome(name, "failed", f"{name}: {url} {kind} ({reason}); old {source.file} kept"), None
    path = directory / source.file
    entry = {"url": url, "fetched": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "ranges": count}
    if path.exists() and path.read_bytes() == body:
        return Outcome(name, "unchanged", f"{name}: {count} ranges, unchanged"), entry
    _write(path, body)
    return Outcome(name, "updated", f"{name}: {count} ranges written to {source.file}"), entry


def refresh(directory: Path | None = None, only: list[str] | None = None, base_url: str | None = None,
            urls: dict[str, str] | None = None, timeout: float = 30.0) -> list[Outcome]:
    """Refresh the sources (all, or ``only`` those) into ``directory``; returns one outcome per source."""
    directory = Path(directory or data_dir())
    unknown = sorted(set(only or []) - set(SOURCES)) + sorted(set(urls or {}) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown reference source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    outcomes = []
    for name in only or list(SOURCES):
        outcome, entry = refresh_one(name, directory, _url(name, base_url, urls or {}), timeout)
        outcomes.append(outcome)
        if entry is not None:
            manifest[name] = entry
    _write(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    _load.cache_clear()
    return outcomes


def run(only: list[str], base_url: str | None, url_pairs: list[str], directory: Path | None) -> int:
    """The command: prints one line per source; exit 1 when a source failed, 2 on bad arguments."""
    urls: dict[str, str] = {}
    for pair in url_pairs:
        name, sep, url = pair.partition("=")
        if not sep or not url:
            print(f"--url {pair!r}: write NAME=URL, e.g. azure=https://.../ServiceTags_Public.json")
            return 2
        urls[name.strip()] = url.strip()
    try:
        outcomes = refresh(directory, only or None, base_url, urls)
    except (ValueError, OSError) as exc:
        print(f"reference refresh: {exc}")
        return 2
    for outcome in outcomes:
        print(f"{outcome.status:9} {outcome.message}")
    return 1 if any(o.status == "failed" for o in outcomes) else 0
