"""geoip2fast's country + ASN networks as compact sorted numpy arrays, memory-mapped from a cache folder.

geoip2fast keeps its ~790,000 networks as nested Python lists of ints (~120 MB once
loaded). The same facts fit in ~30 MB of flat arrays: the network starts as two uint64
halves (IPv4 in the low half), the prefix length, and an index into the country or ASN
name table. They are built once per data file in a short-lived child process (so the
long-running collector never holds the library's lists) and then memory-mapped, so only
the pages a lookup touches are read; IPv6 pages are never touched by an IPv4-only log.
Lookups answer exactly as ``GeoIP2Fast.lookup`` does (same not-found and private rules).
"""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"
_FORMAT = 1
_MAX_V4 = 1 << 32
_LOW = (1 << 64) - 1
_PRIVATE = 16          # country indexes below this are reserved/private networks in geoip2fast's table
_NOT_FOUND = "--"
_ARRAYS = ("hi", "lo", "netlen", "country", "asn_hi", "asn_lo", "asn_netlen", "asn_id", "asn_offsets")


def data_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("geoip2fast")
    if spec is None or spec.origin is None:
        raise RuntimeError("geoip2fast is not installed; run: .venv/bin/pip install -r requirements.txt")
    return Path(spec.origin).parent / DATA_FILE


def cache_root() -> Path:
    base = os.environ.get("SURGEWATCH_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "surgewatch" if not os.environ.get("SURGEWATCH_CACHE_DIR") else root


def _split(values: list[int]) -> tuple[np.ndarray, np.ndarray]:
    hi = np.fromiter((v >> 64 for v in values), np.uint64, len(values))
    lo = np.fromiter((v & _LOW for v in values), np.uint64, len(values))
    return hi, lo


def build(src: Path) -> dict[str, np.ndarray]:
    """The compact arrays of one geoip2fast country + ASN data file."""
    with gzip.open(src, "rb") as f:
        version, info, _total, db = pickle.load(f)  # noqa: S301 - the library's own bundled data file
    if version not in (120, 121) or not (info.get("country") and info.get("asn")):
        raise ValueError(f"{src}: not a geoip2fast country + ASN data file (version {version})")
    (_index, _index_asn, names_country, names_asn, first_ip, first_ip_asn, id_country, id_asn,
     netlen, netlen_asn) = db
    out: dict[str, np.ndarray] = {}
    flat = [v for chunk in first_ip for v in chunk]
    out["hi"], out["lo"] = _split(flat)
    out["netlen"] = np.fromiter((v for c in netlen for v in c), np.uint8, len(flat))
    out["country"] = np.fromiter((v for c in id_country for v in c), np.uint16, len(flat))
    flat = [v for chunk in first_ip_asn for v in chunk]
    out["asn_hi"], out["asn_lo"] = _split(flat)
    out["asn_netlen"] = np.fromiter((v for c in netlen_asn for v in c), np.uint8, len(flat))
    out["asn_id"] = np.fromiter((v for c in id_asn for v in c), np.uint32, len(flat))
    blob = [n.encode("utf-8") for n in names_asn]
    out["asn_offsets"] = np.concatenate(([0], np.cumsum([len(b) for b in blob]))).astype(np.int64)
    out["asn_names"] = np.frombuffer(b"".join(blob), np.uint8)
    out["countries"] = np.array([n.split(":")[0] for n in names_country])
    return out


def _write(arrays: dict[str, np.ndarray], dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        try:
            os.replace(tmp, dest)
        except OSError:  # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _cache_dir(src: Path) -> Path:
    st = src.stat()
    return cache_root() / f"geo-{_FORMAT}-{src.name.split('.')[0]}-{st.st_size}-{int(st.st_mtime)}"


def load(src: Path | None = None) -> GeoTables:
    """The tables of ``src`` (default: geoip2fast's bundled country + ASN + IPv6 file), built once and cached."""
    src = src or data_path()
    dest = _cache_dir(src)
    if not (dest / "countries.npy").exists():
        root = str(Path(__file__).resolve().parents[2])
        code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
                "from collectors.weblog.geo_tables import build, _write; "
                "_write(build(Path(sys.argv[2])), Path(sys.argv[3]))")
        try:
            subprocess.run([sys.executable, "-c", code, root, str(src), str(dest)], check=True,
                           capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            err = getattr(exc, "stderr", b"") or b""
            log.warning("geo tables: could not cache %s in %s (%s %s); building them in memory. "
                        "Set SURGEWATCH_CACHE_DIR to a writable folder to keep them.", src, dest, exc,
                        err.decode(errors="replace")[-300:])
            return GeoTables(build(src))
    try:
        return GeoTables({p.stem: np.load(p, mmap_mode="r", allow_pickle=False) for p in dest.glob("*.npy")})
    except (OSError, ValueError) as exc:
        log.warning("geo tables: cache %s unreadable (%s); rebuilding it", dest, exc)
        shutil.rmtree(dest, ignore_errors=True)
        return GeoTables(build(src))


class GeoTables:
    """Country code and ASN name of an address, as ``GeoIP2Fast.lookup`` gives them."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        missing = [a for a in (*_ARRAYS, "asn_names", "countries") if a not in arrays]
        if missing:
            raise ValueError(f"geo tables: missing {', '.join(missing)}")
        self._a = arrays
        self._countries = [str(c) for c in arrays["countries"]]
        self._names: dict[int, str] = {}
        # IPv4 networks (high half 0) as their own slices: one search per lookup
        self._v4 = arrays["lo"][:int(np.searchsorted(arrays["hi"], np.uint64(1), "left"))]
        self._v4_asn = arrays["asn_lo"][:int(np.searchsorted(arrays["asn_hi"], np.uint64(1), "left"))]

    @staticmethod
    def _find(hi: np.ndarray, lo: np.ndarray, value: int, v4: np.ndarray) -> int:
        """Index of the last network starting at or before ``value`` (-1 if none)."""
        if value < _MAX_V4:
            return int(v4.searchsorted(np.uint64(value), "right")) - 1
        h, low = np.uint64(value >> 64), np.uint64(value & _LOW)
        start = int(np.searchsorted(hi, h, "left"))
        end = int(np.searchsorted(hi, h, "right"))
        if start == end:
            return start - 1
        return start + int(np.searchsorted(lo[start:end], low, "right")) - 1

    def lookup(self, addr: str) -> tuple[str, str]:
        """(country code or "--", ASN name or "") of a textual address; ("", "") if it is not one."""
        try:
            value = int.from_bytes(socket.inet_aton(addr), "big") if ":" not in addr else \
                int.from_bytes(socket.inet_pton(socket.AF_INET6, addr), "big")
        except OSError:
            return "", ""
        a = self._a
        i = self._find(a["hi"], a["lo"], value, self._v4)
        if i < 0:
            return _NOT_FOUND, ""
        first = (int(a["hi"][i]) << 64) | int(a["lo"][i])
        bits = 32 if value <= _MAX_V4 else 128
        if value > first + (1 << (bits - int(a["netlen"][i]))) - 1:
            return _NOT_FOUND, ""
        c = int(a["country"][i])
        country = _NOT_FOUND if c < _PRIVATE else self._countries[c]
        return country, self._asn(value)

    def _asn(self, value: int) -> str:
        a = self._a
        i = self._find(a["asn_hi"], a["asn_lo"], value, self._v4_asn)
        if i < 0:
            return ""
        first = (int(a["asn_hi"][i]) << 64) | int(a["asn_lo"][i])
        if value > first + (1 << (128 - int(a["asn_netlen"][i]))) - 1:  # geoip2fast sizes ASN nets as IPv6
            return ""
        k = int(a["asn_id"][i])
        name = self._names.get(k)
        if name is None:
            off = a["asn_offsets"]
            name = self._names[k] = bytes(a["asn_names"][int(off[k]):int(off[k + 1])]).decode("utf-8")
        return name
