"""A log file's identity: what it holds, not what it is called.

As Filebeat's ``filestream`` fingerprint does, a file is known by a hash of its first
bytes (``IDENTITY_BYTES``), decompressed, after its header lines: CloudFront and IIS
write the same ``#Version``/``#Fields`` header in every file, so hashing it would make
every file of a day look alike. A renamed, rotated (``access.log.1``) or gzipped copy
has the same identity as the original; a file truncated and written again does not.
While a file is shorter than ``IDENTITY_BYTES`` its identity covers what it has
(``length`` says how much), and ``matches`` compares a longer file on that prefix.
The live tail pairs it with device and inode, as Fluent Bit does.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

IDENTITY_BYTES = 1024
HEADER_BYTES = 64 * 1024  # header lines read past, at most
GZIP_MAGIC = b"\x1f\x8b"
# access.log.1, access.log.2.gz, access.log-20240101(.gz), access.log.1.bz2 is not read
_ROTATION = re.compile(r"(?:\.\d+|-\d{8}(?:\d{2})?)?(?:\.gz)?$")


@dataclass(frozen=True)
class ContentId:
    digest: str  # sha256 of the ``length`` bytes after the header, hex
    length: int  # bytes hashed (IDENTITY_BYTES once the file has that many)
    header: int  # bytes of header lines before them

    @property
    def key(self) -> str:
        """The registry key: digest and length (a short file's identity changes as it grows)."""
        return f"{self.length}:{self.digest[:40]}"

    @property
    def part(self) -> str:
        """The ``part`` tag of what this file writes (see ``store.parts``)."""
        return f"file:{self.digest[:16]}"

    def matches(self, head: bytes) -> bool:
        """Whether a file starting with ``head`` (decompressed) holds this content (a longer one may)."""
        other = content_id(head, limit=self.length)
        return other is not None and other.length == self.length and other.digest == self.digest


def header_length(head: bytes) -> int:
    """Bytes of the leading header lines (``#...``) of ``head``."""
    pos = 0
    while head.startswith(b"#", pos):
        nl = head.find(b"\n", pos)
        if nl < 0:
            return pos
        pos = nl + 1
    return pos


def content_id(head: bytes, limit: int = IDENTITY_BYTES) -> ContentId | None:
    """The identity of a file whose first (decompressed) bytes are ``head``; None while it has no data yet."""
    start = header_length(head)
    body = head[start:start + limit]
    if not body:
        return None
    return ContentId(hashlib.sha256(body).hexdigest(), len(body), start)


@contextmanager
def open_decompressed(path: Path) -> Iterator[BinaryIO]:
    """A plain or gzip file as a binary stream of its (decompressed) content."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == GZIP_MAGIC else open
    with opener(path, "rb") as f:  # type: ignore[operator]
        yield f


def read_head(path: Path) -> bytes:
    """The first bytes of a file's content, enough for its identity (of a damaged ``.gz``, those before the damage)."""
    want = HEADER_BYTES + IDENTITY_BYTES
    head = b""
    with open_decompressed(path) as f:
        try:
            while len(head) < want:
                data = f.read1(want - len(head)) if hasattr(f, "read1") else f.read(want - len(head))
                if not data:
                    break
                head += data
        except (EOFError, zlib.error, gzip.BadGzipFile):  # truncated or corrupt part-way: what came before it
            pass
    return head


def file_id(path: Path) -> ContentId | None:
    return content_id(read_head(path))


def default_source(path: Path) -> str:
    """``ingest``'s source for a file: its name without a rotation suffix (``access.log.2.gz``: ``file:access.log``)."""
    name = _ROTATION.sub("", path.name) or path.name
    return f"file:{name}"


def rotation_order(name: str, base: str) -> tuple[int, str] | None:
    """Sort key of a rotated sibling ``name`` of ``base``, oldest first (``.3.gz``, ``.2``, ``.1``); None if not one."""
    if not name.startswith(base) or name == base:
        return None
    rest = name[len(base):].removesuffix(".gz")
    if re.fullmatch(r"\.\d+", rest):
        return -int(rest[1:]), ""
    if re.fullmatch(r"-\d{8}(?:\d{2})?", rest):
        return 0, rest  # logrotate's dateext: earlier dates first
    return None
