"""The embedded time-series store: SQLite in WAL mode, so Surgewatch runs with no server.

One writer process (the worker) and many readers (the dashboard). Each measurement is a
table keyed by (series, time) with one column per field; a series row holds the tag set.
Rewriting a point overwrites its fields, like InfluxDB, so replays never double-count.
Aggregation happens in SQL, grouped through a temporary series→group table, so a query
returns only the rows it asks for.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by queries only: writers (collectors) never need it
    import pandas as pd

from store.base import AGGREGATIONS, Point, StoreError, TagFilter, empty_frame, to_epoch
from store.schema import Kind, spec_for


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(measurement: str) -> str:
    return _ident("m:" + measurement)


def _matches(tags: dict[str, str], where: TagFilter | None) -> bool:
    if not where:
        return True
    for key, wanted in where.items():
        value = tags.get(key, "")
        if isinstance(wanted, str):
            if value != wanted:
                return False
        elif value not in wanted:
            return False
    return True


def _numeric_fields(measurement: str, cols: Sequence[str]) -> list[str]:
    """The fields a query returns by default: all but the sketches (strings)."""
    spec = spec_for(measurement)
    return [c for c in cols if spec is None or spec.kind(c) is not Kind.SKETCH]


class EmbeddedStore:
    """TimeSeriesStore on one SQLite file (or ``:memory:``)."""

    name = "embedded"

    def __init__(self, path: str | Path = "data/surgewatch.db", *, readonly: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the embedded store at {self.path}: {exc}; "
                             "check that the folder exists and is writable") from exc
        self._lock = threading.RLock()
        self._readonly = readonly
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL,"
            " key TEXT NOT NULL UNIQUE, tags TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS series_measurement ON series(measurement)")
        self._series: dict[tuple, int] = {}  # Point.series_key -> id
        self._series_tags: dict[str, dict[int, dict[str, str]]] = defaultdict(dict)
        self._series_seen = 0
        self._columns: dict[str, set[str]] = {}

    # -- schema -----------------------------------------------------------------------------
    def _load_series(self) -> None:
        """Pick up series created since the last look (by this or another process)."""
        rows = self._db.execute(
            "SELECT id, measurement, key, tags FROM series WHERE id > ? ORDER BY id", (self._series_seen,)
        ).fetchall()
        for sid, measurement, _key, tags in rows:
            tag_dict = json.loads(tags)
            self._series[(measurement, tuple(sorted(tag_dict.items())))] = sid
            self._series_tags[measurement][sid] = tag_dict
            self._series_seen = max(self._series_seen, sid)

    def _table_columns(self, measurement: str) -> set[str]:
        cols = self._columns.get(measurement)
        if cols is None:
            info = self._db.execute(f"PRAGMA table_info({_table(measurement)})").fetchall()
            cols = {row[1] for row in info} - {"series_id", "time"}
            if info:
                self._columns[measurement] = cols
        return cols

    def _ensure_table(self, measurement: str, fields: Iterable[str]) -> None:
        cols = self._table_columns(measurement)
        if not cols and measurement not in self._columns:
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {_table(measurement)} (series_id INTEGER NOT NULL,"
                " time INTEGER NOT NULL, PRIMARY KEY (series_id, time)) WITHOUT ROWID"
            )
            self._db.execute(
                f"CREATE INDEX IF NOT EXISTS {_ident('t:' + measurement)} ON {_table(measurement)}(time)"
            )
            cols = set()
            self._columns[measurement] = cols
        for f in fields:
            if f not in cols:
                self._db.execute(f"ALTER TABLE {_table(measurement)} ADD COLUMN {_ident(f)}")
                cols.add(f)

    def _series_id(self, p: Point) -> int:
        sid = self._series.get(p.series_key)
        if sid is None:
            tags = dict(p.tags)
            key = json.dumps([p.measurement, sorted(tags.items())], ensure_ascii=False)
            self._db.execute(
                "INSERT OR IGNORE INTO series(measurement, key, tags) VALUES (?, ?, ?)",
                (p.measurement, key, json.dumps(tags, ensure_ascii=False, sort_keys=True)),
            )
            sid = self._db.execute("SELECT id FROM series WHERE key = ?", (key,)).fetchone()[0]
            self._series[p.series_key] = sid
            self._series_tags[p.measurement][sid] = tags
        return sid

    # -- writing ----------------------------------------------------------------------------
    def write(self, points: Iterable[Point]) -> int:
        if self._readonly:
            raise StoreError(f"the embedded store at {self.path} was opened read-only")
        by_shape: dict[tuple[str, tuple[str, ...]], list[tuple]] = defaultdict(list)
        n = 0
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._load_series()
                for p in points:
                    names = tuple(sorted(p.fields))
                    sid = self._series_id(p)
                    by_shape[(p.measurement, names)].append((sid, int(p.time), *(p.fields[f] for f in names)))
                    n += 1
                for (measurement, names), rows in by_shape.items():
                    self._ensure_table(measurement, names)
                    cols = ", ".join(_ident(f) for f in names)
                    marks = ", ".join("?" * (len(names) + 2))
                    updates = ", ".join(f"{_ident(f)}=excluded.{_ident(f)}" for f in names)
                    self._db.executemany(
                        f"INSERT INTO {_table(measurement)} (series_id, time, {cols}) VALUES ({marks})"
                        f" ON CONFLICT(series_id, time) DO UPDATE SET {updates}",
                        rows,
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK") if self._db.in_transaction else None
                self._columns.clear()
                raise StoreError(f"cannot write to the embedded store at {self.path}: {exc}") from exc
        return n

    # -- reading ----------------------------------------------------------------------------
    def _selected_series(self, measurement: str, where: TagFilter | None) -> dict[int, dict[str, str]]:
        self._load_series()
        return {sid: tags for sid, tags in self._series_tags.get(measurement, {}).items() if _matches(tags, where)}

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
        if agg not in AGGREGATIONS:
            raise ValueError(f"aggregation {agg!r} is not one of {', '.join(AGGREGATIONS)}")
        t0, t1 = to_epoch(start), to_epoch(end)
        group_by = list(group_by)
        with self._lock:
            cols = sorted(self._table_columns(measurement))
            fields = list(fields) if fields is not None else _numeric_fields(measurement, cols)
            selected = self._selected_series(measurement, where)
            if not selected or not cols:
                return empty_frame(group_by, fields)
            groups: dict[tuple, int] = {}
            rows = []
            for sid, tags in selected.items():
                gk = tuple(tags.get(t, "") for t in group_by)
                rows.append((sid, groups.setdefault(gk, len(groups))))
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS sel (series_id INTEGER PRIMARY KEY, gk INTEGER)")
            self._db.execute("DELETE FROM sel")
            self._db.executemany("INSERT INTO sel VALUES (?, ?)", rows)
            bucket = f"(t.time - t.time % {int(every)})" if every else str(t0)
            present = [f for f in fields if f in cols]
            if agg == "last":
                # SQLite takes bare columns from the row holding the MAX(): the latest point.
                exprs = ["MAX(t.time)"] + [f"t.{_ident(f)}" for f in present]
            else:
                fn = {"sum": "SUM", "mean": "AVG", "max": "MAX", "min": "MIN"}[agg]
                exprs = [f"{fn}(t.{_ident(f)})" for f in present]
            select = ", ".join(exprs) if exprs else "NULL"
            sql = (
                f"SELECT s.gk, {bucket} AS b, {select} FROM {_table(measurement)} t"
                f" JOIN sel s ON s.series_id = t.series_id WHERE t.time >= ? AND t.time < ?"
                f" GROUP BY s.gk, b ORDER BY b"
            )
            result = self._db.execute(sql, [t0, t1]).fetchall()
            if agg == "last":
                result = [(gk, b, *values) for gk, b, _latest, *values in result]
        if not result:
            return empty_frame(group_by, fields)
        import pandas as pd

        keys = {v: k for k, v in groups.items()}
        records = []
        for gk, b, *values in result:
            rec = {"time": b}
            rec.update(zip(group_by, keys[gk], strict=True))
            rec.update(zip(present, values, strict=True))
            records.append(rec)
        df = pd.DataFrame.from_records(records)
        for f in fields:
            df[f] = pd.to_numeric(df[f], errors="coerce") if f in df else float("nan")
        df["time"] = pd.to_datetime(df["time"], unit="s", utc=True)
        df = df[["time", *group_by, *fields]]
        return df.sort_values(["time", *group_by], kind="stable").reset_index(drop=True)

    def points(
        self,
        measurement: str,
        start: datetime | int,
        end: datetime | int,
        *,
        where: TagFilter | None = None,
    ) -> list[Point]:
        t0, t1 = to_epoch(start), to_epoch(end)
        with self._lock:
            cols = sorted(self._table_columns(measurement))
            selected = self._selected_series(measurement, where)
            if not selected or not cols:
                return []
            col_sql = ", ".join(_ident(c) for c in cols)
            rows = self._db.execute(
                f"SELECT series_id, time, {col_sql} FROM {_table(measurement)}"
                " WHERE time >= ? AND time < ? ORDER BY time, series_id",
                (t0, t1),
            ).fetchall()
        out = []
        for sid, t, *values in rows:
            tags = selected.get(sid)
            if tags is None:
                continue
            fields = {c: v for c, v in zip(cols, values, strict=True) if v is not None}
            out.append(Point(measurement, tags, fields, t))
        return out

    def tag_values(self, measurement: str, tag: str) -> list[str]:
        with self._lock:
            self._load_series()
            return sorted({tags[tag] for tags in self._series_tags.get(measurement, {}).values() if tag in tags})

    def measurements(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT measurement FROM series ORDER BY 1")]

    def delete_before(self, measurement: str, before: datetime | int) -> None:
        with self._lock:
            if self._table_columns(measurement):
                self._db.execute(f"DELETE FROM {_table(measurement)} WHERE time < ?", (to_epoch(before),))

    def delete_series(self, measurement: str, where: TagFilter) -> None:
        if not where:
            raise ValueError("delete_series needs a tag filter; use delete_before to drop by time")
        with self._lock:
            if not self._table_columns(measurement):
                return
            ids = [(sid,) for sid in self._selected_series(measurement, where)]
            self._db.executemany(f"DELETE FROM {_table(measurement)} WHERE series_id = ?", ids)

    def close(self) -> None:
        with self._lock:
            self._db.close()
