"""``cli.py ingest``: backfill access-log files (plain, .gz, or a CloudFront log directory) into the store.

Same pipeline and aggregates as the live tail, with no lateness window: each file's lines
are put in time order first (``collectors.weblog.ordering``), so a shuffled, newest-first
or multi-day file stores exactly what its sorted lines store. Each file writes its own
part of the buckets it covers (``part`` tag ``file:<identity>``, see ``store.parts``), so
files sharing a source add up, and ingesting a file again replaces its part.

A file is known by its content (``collectors.weblog.identity``): a renamed, rotated or
gzipped copy of content already stored, by ``ingest`` or by the live tail, is skipped
unless ``--force``; a file that grew since it was ingested is ingested again (its part
replaced). The default source is ``file:<name>`` without a rotation suffix, so
``access.log.2.gz`` and ``access.log`` are one source. A binary file or one in no known
format is refused before anything is stored; a ``.gz`` damaged part-way has the lines before
the damage stored and is recorded as partial (an intact copy later replaces its part).
The command itself (options, summary, exit codes) is ``commands.ingest``.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from collectors.weblog.formats import parser_for, sniff, unknown_format_message, wrong_format_message
from collectors.weblog.identity import GZIP_MAGIC, ContentId, default_source, file_id, open_decompressed
from collectors.weblog.linereader import GuardedStream, binary_problem
from collectors.weblog.options import WeblogOptions
from collectors.weblog.ordering import NotOrderable
from collectors.weblog.pipeline import IngestStats
from collectors.weblog.record import LogRecord
from collectors.weblog.stream_ingest import ingest_stream, read_head
from store.base import TimeSeriesStore
from store.files import INGEST, TAIL, FileRegistry
from store.state import StateDB

PARTED = ("http", "visitors", "networks", "campaign_visits", "ingest")


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for its files (CloudFront delivers many), sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")))
        else:
            out.append(p)
    return out


@dataclass
class IngestRequest:
    """What ``ingest`` was asked to do, the same for every file."""

    site: str
    fmt: str = "auto"
    source: str | None = None
    force: bool = False
    on_progress: Callable[[int], None] | None = None  # called with the lines of each block read
    options: WeblogOptions = field(default_factory=WeblogOptions)
    salt: bytes | None = None


@dataclass
class FileOutcome:
    path: Path
    source: str
    stats: IngestStats | None = None  # None: skipped
    skipped: str = ""                 # why it was skipped (already stored)
    damage: Exception | None = None   # read only up to this damage (a truncated .gz): stored, recorded as partial


class _Counted(io.RawIOBase):
    """Counts the (decompressed) bytes read through it."""

    def __init__(self, f: BinaryIO) -> None:
        self._f, self.count = f, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001 - a writable buffer
        n = self._f.readinto(b)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0


def readable_size(path: Path) -> int:
    """Bytes of content a reader gets out of ``path`` (decompressed, up to any damage), counted by reading it."""
    with open_decompressed(path) as raw:
        guarded = GuardedStream(raw)
        return sum(len(block) for block in iter(lambda: guarded.read(1 << 20), b""))


def grown_since(path: Path, done_bytes: int) -> bool:
    """Whether ``path`` holds more content than the ``done_bytes`` an earlier ingest read of it.

    A plain file by its size. A gzip by the size its trailer gives (mod 4 GiB) when that agrees
    with ``done_bytes`` (an unchanged copy: nothing decompressed); else by reading it, as the
    trailer is only a claim: a ``.gz`` cut part-way ends in bytes of its compressed data, and a
    concatenated one gives only its last member's size.
    """
    with path.open("rb") as f:
        if f.read(2) != GZIP_MAGIC:
            return os.fstat(f.fileno()).st_size > done_bytes
        if f.seek(0, io.SEEK_END) >= 18:  # shorter than a gzip header (10) and trailer (8): no trailer to read
            f.seek(-4, io.SEEK_END)
            if struct.unpack("<I", f.read(4))[0] == done_bytes % (1 << 32):
                return False
    return readable_size(path) > done_bytes


def _already_stored(registry: FileRegistry, cid: ContentId, path: Path) -> tuple[str, bool]:
    """(why ``path`` need not be read, whether an earlier ingest of it is to be replaced)."""
    known = {r.reader: r for r in registry.get(cid.key)}
    tail = known.get(TAIL)
    if tail is not None:
        return (f"already stored by the live tail (read from {tail.path}, {tail.bytes} bytes, at {tail.at})",
                INGEST in known)
    done = known.get(INGEST)
    if done is None:
        return "", False
    if grown_since(path, done.bytes):
        return "", True  # grown since: read again, its part replaced
    return f"already ingested ({done.lines} lines from {done.path} at {done.at})", True


def unreadable(path: Path, fmt: str) -> str | None:
    """Why ``path`` cannot be ingested before anything is stored (binary, unknown format); None if it can."""
    try:
        with open_decompressed(path) as f:
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


def ingest_file(path: Path, store: TimeSeriesStore, state: StateDB, req: IngestRequest) -> FileOutcome:
    """Ingest one file as its own part (OSError/EOFError: unreadable, StoreError: store down)."""
    src = req.source or default_source(path)
    cid = file_id(path)
    if cid is None:
        return FileOutcome(path, src, skipped="no log lines in it")
    registry = FileRegistry(state)
    why, replace = _already_stored(registry, cid, path)
    if why and not req.force:
        return FileOutcome(path, src, skipped=why)
    if replace:  # what this content wrote before goes, so the new part is the only one
        for m in PARTED:
            store.delete_series(m, {"site": req.site, "source": src, "part": cid.part})
    stats, nbytes, damage = _read(path, store, state, req, src, cid, ordered=True)
    where = str(path) if damage is None else f"{path} (partial: damaged after {stats.lines} lines)"
    registry.record(cid.key, INGEST, where, nbytes, stats.lines)
    return FileOutcome(path, src, stats, damage=damage)


def _read(path: Path, store: TimeSeriesStore, state: StateDB, req: IngestRequest, src: str, cid: ContentId,
          *, ordered: bool) -> tuple[IngestStats, int, Exception | None]:
    with open_decompressed(path) as raw:
        guarded = GuardedStream(raw)
        counted = _Counted(guarded)
        try:
            stats = ingest_stream(io.BufferedReader(counted, 1 << 20), store, site=req.site, source=src,
                                  fmt=req.fmt, state=state, on_progress=req.on_progress, options=req.options,
                                  salt=req.salt, part=cid.part, ordered=ordered)
        except NotOrderable as exc:
            print(f"{path}: {exc}; read in file order (lines out of order by more than the open window "
                  "are counted late)", file=sys.stderr)
            return _read(path, store, state, req, src, cid, ordered=False)
    return stats, counted.count, guarded.error
