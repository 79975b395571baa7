"""The InfluxDB backend: line protocol on ``/write`` and InfluxQL on ``/query`` (the v1 HTTP API).

The v1 API is served by InfluxDB 1.x, by 2.x through its v1 compatibility endpoints (a
DBRP mapping names the bucket; token auth) and by 3.x through its v1 API, so one client
covers all three. Writes go out in gzip-compressed batches, retried with backoff; when the
server stays unreachable (or answers 5xx, 401/403) the batches go to a bounded disk spool
and are replayed in order on the next write or by ``flush_spool()``. A batch InfluxDB
refuses as bad (other 4xx) is logged with the server's reason, counted and not resent.
"""

from __future__ import annotations

import enum
import gzip
import logging
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import httpx
import pandas as pd
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential

from store import influxql
from store.base import Point, StoreError, TagFilter, empty_frame, to_epoch
from store.lineprotocol import BadPoint, decode_tag_value, to_line
from store.spool import DEFAULT_MAX_BYTES, Spool

log = logging.getLogger(__name__)

_NUMERIC_TYPES = {"float", "integer"}


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    REJECTED = "rejected"        # the server refused the points as bad: reported, never resent
    UNAVAILABLE = "unavailable"  # down, 5xx or refused credentials: keep the points for later


class InfluxStore:
    """TimeSeriesStore on an InfluxDB server's v1 HTTP API."""

    name = "influxdb"

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        gzip: bool = True,
        batch_size: int = 5000,
        timeout: float = 10,
        spool_dir: str | Path | None = None,
        spool_max_bytes: int = DEFAULT_MAX_BYTES,
        retries: int = 3,
        backoff: float = 0.2,
    ) -> None:
        if not database:
            raise ValueError("InfluxDB database name is empty; set the database (or the DBRP-mapped name)")
        if batch_size <= 0:
            raise ValueError(f"InfluxDB batch_size={batch_size!r}: give a positive number of points")
        if retries < 1:
            raise ValueError(f"InfluxDB retries={retries!r}: give 1 or more attempts")
        if token and username:
            raise ValueError("InfluxDB auth: give either a token or a username/password, not both")
        headers = {"User-Agent": "surgewatch"}
        auth = None
        if token:
            headers["Authorization"] = f"Token {token}"
        elif username is not None:
            auth = httpx.BasicAuth(username, password or "")
        self.url = url.rstrip("/")
        self.database = database
        self.batch_size = batch_size
        self.gzip = gzip
        self.retries = retries
        self.backoff = backoff
        self.stats: Counter[str] = Counter()
        self._client = httpx.Client(base_url=self.url, timeout=timeout, headers=headers, auth=auth)
        self._spool = Spool(spool_dir, max_bytes=spool_max_bytes) if spool_dir is not None else None
        self._lock = threading.RLock()
        self._db_ready = False
        self._ensure_database()

    # ---- writing -------------------------------------------------------------------------

    def write(self, points: Iterable[Point]) -> int:
        """Send points in batches; spool what cannot be delivered now. Returns points accepted."""
        lines: list[str] = []
        for p in points:
            try:
                lines.append(to_line(p))
            except BadPoint as e:
                self.stats["points_rejected"] += 1
                log.warning("InfluxDB: skipped a bad point: %s", e)
        accepted = 0
        with self._lock:
            down = bool(self._spool and self._spool.depth() and not self._replay(attempts=1))
            for i in range(0, len(lines), self.batch_size):
                batch = lines[i:i + self.batch_size]
                body = ("\n".join(batch) + "\n").encode()
                outcome = Outcome.UNAVAILABLE if down else self._send_retrying(body, len(batch))
                if outcome is Outcome.UNAVAILABLE:
                    down = True
                    if self._spool is None:
                        raise StoreError(
                            f"InfluxDB at {self.url} is unreachable or failing; {len(lines) - i} points "
                            "not written. Start it, or set a spool directory to keep points until it is back")
                    try:
                        self._spool.append(body, len(batch))
                    except sqlite3.Error as e:
                        raise StoreError(f"InfluxDB is unreachable and the spool at {self._spool.path} cannot "
                                         f"take {len(batch)} points ({e}); free disk space or fix the spool "
                                         "directory") from e
                    self.stats["points_spooled"] += len(batch)
                    accepted += len(batch)
                elif outcome is Outcome.DELIVERED:
                    accepted += len(batch)
        return accepted

    def flush_spool(self) -> int:
        """Replay the spool now, oldest first; returns the points taken off it."""
        with self._lock:
            if self._spool is None:
                return 0
            before = self._spool.depth()
            self._replay(attempts=self.retries)
            return before - self._spool.depth()

    def flush(self) -> None:
        """On shutdown: one more try to deliver the spool (what stays is kept on disk)."""
        self.flush_spool()

    def spool_depth(self) -> int:
        """Points waiting in the disk spool (0 without a spool)."""
        return self._spool.depth() if self._spool is not None else 0

    def _replay(self, attempts: int) -> bool:
        """Replay spooled batches; True when the spool is empty afterwards."""
        assert self._spool is not None

        def send(body: bytes, n: int) -> bool:
            outcome = self._send_retrying(body, n, attempts=attempts)
            if outcome is Outcome.DELIVERED:
                self.stats["points_replayed"] += n
            return outcome is not Outcome.UNAVAILABLE

        replayed = self._spool.replay(send)
        if replayed:
            log.info("InfluxDB at %s is back: replayed %d spooled points", self.url, replayed)
        return self._spool.depth() == 0

    def _send_retrying(self, body: bytes, n: int, attempts: int | None = None) -> Outcome:
        retrying = Retrying(
            stop=stop_after_attempt(attempts or self.retries),
            wait=wait_exponential(multiplier=self.backoff, max=5),
            retry=retry_if_result(lambda o: o is Outcome.UNAVAILABLE),
            retry_error_callback=lambda state: Outcome.UNAVAILABLE,
            reraise=False,
        )
        return retrying(self._send, body, n)

    def _send(self, body: bytes, n: int) -> Outcome:
        if not self._db_ready:
            self._ensure_database()
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        content = body
        if self.gzip:
            content = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        try:
            r = self._client.post("/write", params={"db": self.database, "precision": "s"},
                                  content=content, headers=headers)
        except httpx.HTTPError as e:
            self.stats["write_errors"] += 1
            log.warning("InfluxDB at %s unreachable on write (%s); will retry or spool", self.url, e)
            return Outcome.UNAVAILABLE
        if r.status_code in (200, 204):
            self.stats["points_written"] += n
            return Outcome.DELIVERED
        reason = _error_text(r)
        self.stats["write_errors"] += 1
        if r.status_code >= 500 or r.status_code in (401, 403):
            log.warning("InfluxDB at %s answered %d on write: %s; will retry or spool",
                        self.url, r.status_code, reason)
            return Outcome.UNAVAILABLE
        if r.status_code == 404 and "database not found" in reason:
            log.warning("InfluxDB database %r not found; creating it and retrying", self.database)
            self._db_ready = False
            return Outcome.UNAVAILABLE
        rejected = _rejected_points(reason, n)
        self.stats["points_rejected"] += rejected
        if rejected < n:
            self.stats["points_written"] += n - rejected
        log.error("InfluxDB refused %d of %d points (HTTP %d): %s; fix the points, they are not resent",
                  rejected, n, r.status_code, reason)
        return Outcome.REJECTED

    def _ensure_database(self) -> None:
        """CREATE DATABASE when permitted; a refusal means it is managed elsewhere (DBRP, admin)."""
        try:
            r = self._client.post("/query", data={"q": influxql.create_database(self.database)})
        except httpx.HTTPError as e:
            log.warning("InfluxDB at %s unreachable (%s); will create database %r when it is back",
                        self.url, e, self.database)
            return
        if r.status_code >= 500:
            return
        if r.status_code != 200 or "error" in r.text:
            log.info("InfluxDB did not create database %r (HTTP %d: %s); assuming it exists",
                     self.database, r.status_code, _error_text(r))
        self._db_ready = True

    # ---- reading -------------------------------------------------------------------------

    def query(
        self,
        measurement: str,
        start: datetime | int,
        end: datetime | int,
        *,
        fields: Sequence[str] | None = None,
        where: TagFilter | None = None,
        group_by: Sequence[str] = (),
        every: int | None = None,
        agg: str = "sum",
    ) -> pd.DataFrame:
        group_by = list(group_by)
        start_s, end_s = to_epoch(start), to_epoch(end)
        fields = list(fields) if fields is not None else self._numeric_fields(measurement)
        nothing = not fields or end_s <= start_s or _filters_nothing(where)
        q = influxql.select_aggregate(measurement, fields or ["_"], start_s, end_s,  # validates agg, every
                                      where=None if nothing else where, group_by=group_by, every=every, agg=agg)
        if nothing:
            return empty_frame(group_by, fields)
        rows: list[list] = []
        for s in self._select(q):
            tags = s.get("tags") or {}
            tag_vals = [decode_tag_value(tags.get(t, "")) for t in group_by]
            idx = [s["columns"].index(f) for f in fields]
            for v in s["values"]:
                rows.append([v[0], *tag_vals, *(v[i] for i in idx)])
        if not rows:
            return empty_frame(group_by, fields)
        df = pd.DataFrame(rows, columns=["time", *group_by, *fields])
        df["time"] = pd.to_datetime(df["time"], unit="s", utc=True).astype("datetime64[ns, UTC]")
        for f in fields:
            df[f] = df[f].astype("float64")
        df = df.dropna(subset=fields, how="all")
        return df.sort_values(["time", *group_by], kind="stable").reset_index(drop=True)

    def points(
        self,
        measurement: str,
        start: datetime | int,
        end: datetime | int,
        *,
        where: TagFilter | None = None,
    ) -> list[Point]:
        start_s, end_s = to_epoch(start), to_epoch(end)
        if end_s <= start_s or _filters_nothing(where):
            return []
        out: list[Point] = []
        for s in self._select(influxql.select_points(measurement, start_s, end_s, where)):
            tags = {k: decode_tag_value(v) for k, v in (s.get("tags") or {}).items()}
            cols = s["columns"]
            for v in s["values"]:
                fields = {c: x for c, x in zip(cols[1:], v[1:], strict=True) if x is not None}
                if fields:
                    out.append(Point(measurement, tags, fields, int(v[0])))
        out.sort(key=lambda p: (p.time, p.series_key))
        return out

    def tag_values(self, measurement: str, tag: str) -> list[str]:
        values = {decode_tag_value(v[1]) for s in self._select(influxql.show_tag_values(measurement, tag))
                  for v in s["values"]}
        return sorted(values)

    def delete_before(self, measurement: str, before: datetime | int) -> None:
        self._select(influxql.delete_before(measurement, to_epoch(before)), method="POST")

    def delete_series(self, measurement: str, where: TagFilter) -> None:
        if not where:
            raise ValueError("delete_series needs a tag filter; use delete_before to drop by time")
        self._select(influxql.delete_series(measurement, where), method="POST")

    def close(self) -> None:
        self._client.close()
        if self._spool is not None:
            self._spool.close()

    def _numeric_fields(self, measurement: str) -> list[str]:
        return [v[0] for s in self._select(influxql.show_field_keys(measurement))
                for v in s["values"] if v[1] in _NUMERIC_TYPES]

    def _select(self, q: str, method: str = "GET") -> list[dict]:
        """Run one InfluxQL statement; the series of its result. Raises StoreError."""
        params = {"db": self.database, "epoch": "s"}

        def attempt() -> httpx.Response | Exception:
            try:
                if method == "GET":
                    r = self._client.get("/query", params={**params, "q": q})
                else:
                    r = self._client.post("/query", params=params, data={"q": q})
            except httpx.HTTPError as e:
                return e
            return r

        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=wait_exponential(multiplier=self.backoff, max=5),
            retry=retry_if_result(lambda r: isinstance(r, Exception) or r.status_code >= 500),
            retry_error_callback=lambda state: state.outcome.result(),
        )
        r = retrying(attempt)
        if isinstance(r, Exception):
            self.stats["query_errors"] += 1
            raise StoreError(f"InfluxDB at {self.url} is unreachable ({r}); check it is running and the URL")
        if r.status_code != 200:
            self.stats["query_errors"] += 1
            raise StoreError(f"InfluxDB at {self.url} answered HTTP {r.status_code} to a query: "
                             f"{_error_text(r)}; check credentials and the database {self.database!r}")
        try:
            body = r.json()
        except ValueError as e:
            raise StoreError(f"InfluxDB at {self.url} answered a query with something other than JSON "
                             f"({r.text[:100]!r}); check the URL points at InfluxDB's HTTP API") from e
        if "error" in body:
            raise StoreError(f"InfluxDB query failed: {body['error']}")
        series: list[dict] = []
        for result in body.get("results", []):
            if "error" in result:
                if "database not found" in result["error"]:
                    return []
                raise StoreError(f"InfluxDB query failed: {result['error']}")
            if result.get("partial"):
                log.warning("InfluxDB returned a partial result (a server row limit?) for: %s", q[:200])
            series.extend(result.get("series", []))
        return series


def _filters_nothing(where: TagFilter | None) -> bool:
    return any(not isinstance(v, str) and len(v) == 0 for v in (where or {}).values())


def _error_text(r: httpx.Response) -> str:
    try:
        body = r.json()
        text = body.get("error") or body.get("message") or r.text
    except ValueError:
        text = r.text
    return str(text).strip()[:300]


_DROPPED = re.compile(r"dropped=(\d+)")


def _rejected_points(reason: str, n: int) -> int:
    """How many points of a batch InfluxDB dropped: a partial write names them, else all."""
    if "partial write" not in reason:
        return n
    unparsed = reason.count("unable to parse")
    m = _DROPPED.search(reason)
    return min(n, max(unparsed, int(m.group(1)) if m else 0)) or n
