"""``cli.py ingest``: backfill access-log files (plain, .gz, or a CloudFront log directory) into the store.

Same pipeline and aggregates as the live tail. A file already ingested (same content
fingerprint, site and source) is skipped unless ``--force``. A binary file or one in no known
format is refused before anything is stored; a ``.gz`` damaged part-way has the lines before
the damage stored and is recorded as partial. Prints a summary; exit 0 when every input was
read, 1 when an input could not be read (or only in part), 2 for bad options.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from collectors.weblog.formats import parser_for, sniff, unknown_format_message, wrong_format_message
from collectors.weblog.linereader import GuardedStream, binary_problem
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import IngestStats
from collectors.weblog.record import LogRecord
from collectors.weblog.stream_ingest import ingest_stream, read_head
from store.base import StoreError

_FP_BYTES = 1 << 20


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for its files (CloudFront delivers many), sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")))
        else:
            out.append(p)
    return out


def fingerprint(path: Path, site: str, source: str) -> str:
    """Content identity: size, first and last MiB, site and source."""
    size = path.stat().st_size
    h = hashlib.sha256(f"{size}\0{site}\0{source}\0".encode())
    with path.open("rb") as f:
        h.update(f.read(_FP_BYTES))
        if size > _FP_BYTES:
            f.seek(max(_FP_BYTES, size - _FP_BYTES))
            h.update(f.read(_FP_BYTES))
    return h.hexdigest()


@contextmanager
def open_bytes(path: Path) -> Iterator[BinaryIO]:
    """A plain or gzip file as a binary stream (decoded later, a block at a time)."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as f:  # type: ignore[operator]
        yield f


def unreadable(path: Path, fmt: str) -> str | None:
    """Why ``path`` cannot be ingested before anything is stored (binary, unknown format); None if it can."""
    try:
        with open_bytes(path) as f:
            head = read_head(GuardedStream(f))
    except OSError as exc:
        return f"cannot read {path}: {exc}; check the path"
    problem = binary_problem(head[:1 << 16])
    if problem:
        return f"{path} is not a text access log: {problem}; give a plain or .gz access log"
    lines = head.decode("utf-8", "replace").splitlines()
    if not any(line.strip() for line in lines):
        return None
    if fmt.strip().lower() == "auto":
        return unknown_format_message(str(path), lines) if sniff(lines) is None else None
    parse = parser_for(fmt)
    if not any(type(parse(line)) is LogRecord for line in lines):  # not one line of the format given
        return wrong_format_message(str(path), fmt, lines, sniff(lines))
    return None


def _partial(state, fp: str, path: Path, st: IngestStats, error: Exception) -> None:  # noqa: ANN001
    """Record a file read up to damage as partial, and say so."""
    state.mark_file_ingested(fp, f"{path} (partial: damaged after {st.lines} lines)", st.lines)
    print(_summary(str(path), st), file=sys.stderr)
    print(f"surgewatch ingest: {path} is damaged after {st.lines} lines ({error}); those lines are stored and the "
          "file is recorded as partial; ingest an intact copy with --force", file=sys.stderr)


def _summary(label: str, st: IngestStats) -> str:
    mal = ", ".join(f"{r}={n}" for r, n in sorted(st.malformed.items())) or "none"
    text = (f"{label}: {st.lines} lines read, {st.parsed} parsed, malformed: {mal}, late {st.late}, "
            f"{st.seconds:.2f} s, {st.lines_per_second:,.0f} lines/s")
    for reason, samples in sorted(st.samples.items()):
        text += f"\n  {reason} e.g.: {samples[0]}"
    return text


def run(files: list[Path], *, fmt: str = "auto", site: str | None = None, source: str | None = None,
        force: bool = False, store_path: Path | None = None, state_path: Path | None = None,
        progress: bool = True) -> int:
    options = WeblogOptions()
    if store_path is not None:
        from store.embedded import EmbeddedStore
        from store.state import StateDB

        store = EmbeddedStore(store_path)
        state = StateDB(state_path or store_path.with_name("state.db"))
        site = site or "default"
    else:
        from config import ConfigError, load_settings
        from store.settings import open_store
        from store.state import StateDB

        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"surgewatch ingest: {exc}", file=sys.stderr)
            return 2
        section = (settings.collectors or {}).get("accesslog")
        if isinstance(section, list):
            section = section[0] if section else None
        if isinstance(section, dict):
            known = set(WeblogOptions.model_fields)
            options = WeblogOptions.model_validate({k: v for k, v in section.items() if k in known})
        store = open_store(settings.store)
        state = StateDB(state_path or settings.state.path)
        site = site or settings.site
    if fmt != "auto":
        try:
            parser_for(fmt)
        except ValueError as exc:
            print(f"surgewatch ingest: --format: {exc}", file=sys.stderr)
            return 2
    total = IngestStats()
    failed = 0
    try:
        for path in expand(files):
            src = source or f"file:{path.name}"
            try:
                fp = fingerprint(path, site, src)
            except OSError as exc:
                print(f"surgewatch ingest: cannot read {path}: {exc.strerror or exc}; check the path", file=sys.stderr)
                failed += 1
                continue
            before = state.file_ingested(fp)
            if before and not force:
                partial = " (partial: it was damaged)" if "(partial" in before["path"] else ""
                print(f"{path}: already ingested{partial} ({before['lines']} lines at {before['at']}); "
                      "use --force to ingest it again", file=sys.stderr)
                continue
            problem = unreadable(path, fmt)
            if problem:
                print(f"surgewatch ingest: {problem}", file=sys.stderr)
                failed += 1
                continue
            try:
                with open_bytes(path) as raw:
                    f = GuardedStream(raw)
                    st = ingest_stream(f, store, site=site, source=src, fmt=fmt, state=state, progress=progress,
                                       options=options)
            except (OSError, EOFError) as exc:
                print(f"surgewatch ingest: cannot read {path}: {exc}; the file may be truncated or not gzip",
                      file=sys.stderr)
                failed += 1
                continue
            except StoreError as exc:
                print(f"surgewatch ingest: {exc}", file=sys.stderr)
                return 1
            if f.error is not None:  # damaged part-way: what came before is stored, the file is marked partial
                _partial(state, fp, path, st, f.error)
                total.add(st)
                failed += 1
                continue
            state.mark_file_ingested(fp, str(path), st.lines)
            print(_summary(str(path), st), file=sys.stderr)
            total.add(st)
    finally:
        store.close()
        state.close()
    if total.lines:
        print(_summary("total", total), file=sys.stderr)
    return 1 if failed else 0
