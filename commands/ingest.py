"""``surgewatch ingest``: backfill access-log files (plain, .gz, or a CloudFront log folder) into the store.

Thin: opens the store and the state DB (from the settings, or ``--store-path``), asks
``collectors.weblog.backfill.ingest_file`` for each file, draws the progress bar and prints a
summary per file. Exit 0 when every input was read, 1 when an input could not be read (or only
in part) or the store is down, 2 for bad options.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

from collectors.weblog.backfill import IngestRequest, expand, ingest_file, unreadable
from collectors.weblog.formats import parser_for
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import IngestStats
from commands.progress import line_bar
from store.base import StoreError, TimeSeriesStore
from store.state import StateDB


def summary(label: str, st: IngestStats) -> str:
    mal = ", ".join(f"{r}={n}" for r, n in sorted(st.malformed.items())) or "none"
    text = (f"{label}: {st.lines} lines read, {st.parsed} parsed, malformed: {mal}, late {st.late}, "
            f"{st.seconds:.2f} s, {st.lines_per_second:,.0f} lines/s")
    for reason, samples in sorted(st.samples.items()):
        text += f"\n  {reason} e.g.: {samples[0]}"
    return text


def _open(store_path: Path | None, state_path: Path | None,
          site: str | None) -> tuple[TimeSeriesStore, StateDB, str, WeblogOptions] | str:
    """The store, state DB, site and accesslog options to ingest with; an error message instead on bad settings."""
    if store_path is not None:
        from store.embedded import EmbeddedStore

        return (EmbeddedStore(store_path), StateDB(state_path or store_path.with_name("state.db")),
                site or "default", WeblogOptions())
    from config import ConfigError, load_settings
    from store.settings import open_store

    try:
        settings = load_settings()
    except ConfigError as exc:
        return str(exc)
    section = (settings.collectors or {}).get("accesslog")
    if isinstance(section, list):
        section = section[0] if section else None
    options = WeblogOptions()
    if isinstance(section, dict):
        known = set(WeblogOptions.model_fields)
        options = WeblogOptions.model_validate({k: v for k, v in section.items() if k in known})
    return open_store(settings.store), StateDB(state_path or settings.state.path), site or settings.site, options


def run(files: list[Path], *, fmt: str = "auto", site: str | None = None, source: str | None = None,
        force: bool = False, store_path: Path | None = None, state_path: Path | None = None,
        progress: bool = True) -> int:
    if fmt != "auto":
        try:
            parser_for(fmt)
        except ValueError as exc:
            print(f"surgewatch ingest: --format: {exc}", file=sys.stderr)
            return 2
    opened = _open(store_path, state_path, site)
    if isinstance(opened, str):
        print(f"surgewatch ingest: {opened}", file=sys.stderr)
        return 2
    store, state, site, options = opened
    req = IngestRequest(site=site, fmt=fmt, source=source, force=force, options=options)
    total, failed = IngestStats(), 0
    try:
        for path in expand(files):
            problem = unreadable(path, fmt)
            if problem:
                print(f"surgewatch ingest: {problem}", file=sys.stderr)
                failed += 1
                continue
            try:
                with line_bar(path.name) if progress else nullcontext() as req.on_progress:
                    out = ingest_file(path, store, state, req)
            except (OSError, EOFError) as exc:
                why = getattr(exc, "strerror", None) or exc
                print(f"surgewatch ingest: cannot read {path}: {why}; check the path, the file may be truncated "
                      "or not gzip", file=sys.stderr)
                failed += 1
                continue
            except StoreError as exc:
                print(f"surgewatch ingest: {exc}", file=sys.stderr)
                return 1
            if out.stats is None:
                print(f"{path}: {out.skipped}; use --force to ingest it again", file=sys.stderr)
                continue
            print(summary(f"{path} (source {out.source})", out.stats), file=sys.stderr)
            total.add(out.stats)
            if out.damage is not None:
                print(f"surgewatch ingest: {path} is damaged after {out.stats.lines} lines ({out.damage}); those "
                      "lines are stored and the file is recorded as partial; ingest an intact copy to complete it",
                      file=sys.stderr)
                failed += 1
    finally:
        store.close()
        state.close()
    if total.lines:
        print(summary("total", total), file=sys.stderr)
    return 1 if failed else 0
