"""The state DB (SQLite, versioned migrations): everything that is not a time series.

Campaigns, incidents and their history, acknowledgements and silences, what each
notification channel was last told of each incident and ahead of each campaign, collector
checkpoints, the contents of log files already read (``store.files``), the daily visitor
salts (deleted after 48 h so visitors cannot be linked across days), users and roles, and
the audit log.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from campaigns.model import Campaign, Status
from store.base import StoreError
from store.users import ROLES, UsersMixin  # noqa: F401  (ROLES: where it was)

SALT_MAX_AGE = timedelta(hours=48)

# Each entry migrates the schema from version i to i + 1. Never edit a released step; append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE campaigns (
        id TEXT PRIMARY KEY, site TEXT NOT NULL, start INTEGER NOT NULL, data TEXT NOT NULL,
        updated_at INTEGER NOT NULL);
    CREATE INDEX campaigns_start ON campaigns(start);
    CREATE TABLE incidents (
        id TEXT PRIMARY KEY, site TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER,
        verdict TEXT NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
    CREATE INDEX incidents_start ON incidents(start);
    CREATE TABLE incident_history (
        incident_id TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE INDEX incident_history_id ON incident_history(incident_id, at);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, at INTEGER NOT NULL, user TEXT NOT NULL,
        kind TEXT NOT NULL, value TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '');
    CREATE TABLE silences (
        id INTEGER PRIMARY KEY, matchers TEXT NOT NULL, starts INTEGER NOT NULL, ends INTEGER NOT NULL,
        created_by TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '');
    CREATE TABLE checkpoints (source TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE ingested_files (
        fingerprint TEXT PRIMARY KEY, path TEXT NOT NULL, lines INTEGER NOT NULL, at INTEGER NOT NULL);
    CREATE TABLE salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at INTEGER NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}');
    """,
    """
    CREATE TABLE notifications (
        incident_id TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, sent TEXT NOT NULL,
        sent_at INTEGER NOT NULL, delivered INTEGER NOT NULL, PRIMARY KEY (incident_id, channel));
    CREATE INDEX notifications_status ON notifications(status);
    """,
    """
    CREATE TABLE reminders (
        campaign_id TEXT NOT NULL, channel TEXT NOT NULL, sent TEXT NOT NULL, sent_at INTEGER NOT NULL,
        delivered INTEGER NOT NULL, PRIMARY KEY (campaign_id, channel));
    """,
    # Each collector's status as the worker last saw it (store.collector_status), for the Sources page.
    """
    CREATE TABLE collector_status (
        name TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
    """,
    # What each file held (store.files): content already stored is not ingested twice.
    """
    CREATE TABLE file_contents (
        digest TEXT NOT NULL, reader TEXT NOT NULL, path TEXT NOT NULL, bytes INTEGER NOT NULL,
        lines INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (digest, reader));
    """,
    # Sign-in: the role names of the dashboard, lockout after failures, sessions that survive a reload.
    """
    UPDATE users SET role = 'marketing' WHERE role = 'marketer';
    ALTER TABLE users ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created_at INTEGER NOT NULL, expires INTEGER NOT NULL);
    CREATE INDEX sessions_user ON sessions(user);
    """,
)

def _now() -> int:
    return int(datetime.now(UTC).timestamp())


class StateDB(UsersMixin):
    """Access to the state DB; safe to share between the worker's threads."""

    def __init__(self, path: str | Path = "data/state.db") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the state DB at {self.path}: {exc}; check the folder is writable") from exc
        self._lock = threading.RLock()
        self.migrate()

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @property
    def version(self) -> int:
        return self._all("PRAGMA user_version")[0][0]

    def migrate(self) -> None:
        """Bring the schema up to date, one step per transaction."""
        current = self.version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"the state DB at {self.path} has schema version {current}, newer than this Surgewatch "
                f"({len(MIGRATIONS)}); upgrade Surgewatch or point it at another state DB"
            )
        for step in range(current, len(MIGRATIONS)):
            with self._tx() as db:
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- checkpoints ------------------------------------------------------------------------
    def get_checkpoint(self, source: str) -> dict | None:
        rows = self._all("SELECT data FROM checkpoints WHERE source = ?", (source,))
        return json.loads(rows[0][0]) if rows else None

    def put_checkpoint(self, source: str, data: dict) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO checkpoints(source, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(source) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (source, json.dumps(data), _now()),
            )

    def checkpoints(self) -> dict[str, datetime]:
        """When each collector last checkpointed (for the Sources page and lag metrics)."""
        return {s: datetime.fromtimestamp(t, UTC) for s, t in self._all("SELECT source, updated_at FROM checkpoints")}

    # -- privacy: daily salts ---------------------------------------------------------------
    def salt_for(self, day: date, *, now: datetime | None = None) -> bytes:
        """The day's random salt, created on first use; salts older than 48 h are deleted."""
        now_ts = int((now or datetime.now(UTC)).timestamp())
        with self._tx() as db:
            db.execute("DELETE FROM salts WHERE created_at < ?", (now_ts - int(SALT_MAX_AGE.total_seconds()),))
            row = db.execute("SELECT salt FROM salts WHERE day = ?", (day.isoformat(),)).fetchone()
            if row:
                return bytes(row[0])
            salt = secrets.token_bytes(32)
            db.execute("INSERT INTO salts(day, salt, created_at) VALUES (?, ?, ?)", (day.isoformat(), salt, now_ts))
            return salt

    def salt_days(self) -> list[str]:
        return [r[0] for r in self._all("SELECT day FROM salts ORDER BY day")]

    # -- campaigns --------------------------------------------------------------------------
    def upsert_campaign(self, campaign: Campaign, *, user: str = "system") -> None:
        data = json.dumps(campaign.to_json_dict())
        with self._tx() as db:
            db.execute(
                "INSERT INTO campaigns(id, site, start, data, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET site = excluded.site, start = excluded.start,"
                " data = excluded.data, updated_at = excluded.updated_at",
                (campaign.id, campaign.site, int(campaign.start.timestamp()), data, _now()),
            )
            self._audit(db, user, "campaign.upsert", {"id": campaign.id, "name": campaign.name})

    def campaigns_version(self, site: str | None = None) -> tuple[int, int]:
        """How many campaigns there are and when the newest change was: cheap, so a reader re-reads only on change."""
        sql = "SELECT count(*), coalesce(max(updated_at), 0) FROM campaigns" + (" WHERE site = ?" if site else "")
        count, newest = self._all(sql, (site,) if site else ())[0]
        return int(count), int(newest)

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        rows = self._all("SELECT data FROM campaigns WHERE id = ?", (campaign_id,))
        return Campaign.model_validate(json.loads(rows[0][0])) if rows else None

    def list_campaigns(
        self, *, site: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[Campaign]:
        sql, params = "SELECT data FROM campaigns WHERE 1=1", []
        if site:
            sql += " AND site = ?"
            params.append(site)
        if since:
            sql += " AND start >= ?"
            params.append(int(since.timestamp()))
        if until:
            sql += " AND start < ?"
            params.append(int(until.timestamp()))
        return [Campaign.model_validate(json.loads(r[0])) for r in self._all(sql + " ORDER BY start", tuple(params))]

    def cancel_campaign(self, campaign_id: str, *, user: str) -> Campaign | None:
        """Mark a campaign cancelled (detection no longer expects its surge); None when there is no such id."""
        with self._tx() as db:
            row = db.execute("SELECT data FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
            if row is None:
                return None
            campaign = Campaign.model_validate(json.loads(row[0])).model_copy(update={"status": Status.CANCELLED})
            db.execute("UPDATE campaigns SET data = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(campaign.to_json_dict()), _now(), campaign_id))
            self._audit(db, user, "campaign.cancel", {"id": campaign.id, "name": campaign.name})
        return campaign

    def delete_campaign(self, campaign_id: str, *, user: str = "system") -> bool:
        with self._tx() as db:
            n = db.execute("DELETE FROM campaigns WHERE id = ?", (campaign_id,)).rowcount
            if n:
                self._audit(db, user, "campaign.delete", {"id": campaign_id})
        return bool(n)

    # -- incidents --------------------------------------------------------------------------
    def upsert_incident(self, incident: dict[str, Any]) -> None:
        """Insert or update an incident (a JSON-able dict with id, site, start, end, verdict, status)."""
        data = json.dumps(incident, default=str)
        start = _ts(incident["start"])
        end = _ts(incident["end"]) if incident.get("end") else None
        now = _now()
        with self._tx() as db:
            old = db.execute("SELECT data FROM incidents WHERE id = ?", (incident["id"],)).fetchone()
            if old and old[0] == data:
                return
            db.execute(
                "INSERT INTO incidents(id, site, start, end, verdict, status, data, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET site = excluded.site,"
                " start = excluded.start, end = excluded.end, verdict = excluded.verdict,"
                " status = excluded.status, data = excluded.data, updated_at = excluded.updated_at",
                (incident["id"], incident.get("site", "default"), start, end, incident.get("verdict", "unknown"),
                 incident.get("status", "open"), data, now),
            )
            db.execute("INSERT INTO incident_history(incident_id, at, data) VALUES (?, ?, ?)",
                       (incident["id"], now, data))

    upsert = upsert_incident  # the alerts' IncidentSink protocol

    def get_incident(self, incident_id: str) -> dict | None:
        rows = self._all("SELECT data FROM incidents WHERE id = ?", (incident_id,))
        return json.loads(rows[0][0]) if rows else None

    def list_incidents(
        self, *, site: str | None = None, since: datetime | None = None, status: str | None = None, limit: int = 200
    ) -> list[dict]:
        sql, params = "SELECT data FROM incidents WHERE 1=1", []
        if site:
            sql += " AND site = ?"
            params.append(site)
        if since:
            sql += " AND (end IS NULL OR end >= ?)"
            params.append(int(since.timestamp()))
        if status:
            sql += " AND status = ?"
            params.append(status)
        sql += " ORDER BY start DESC LIMIT ?"
        params.append(limit)
        return [json.loads(r[0]) for r in self._all(sql, tuple(params))]

    def incident_history(self, incident_id: str) -> list[tuple[datetime, dict]]:
        rows = self._all("SELECT at, data FROM incident_history WHERE incident_id = ? ORDER BY at, rowid",
                         (incident_id,))
        return [(datetime.fromtimestamp(at, UTC), json.loads(d)) for at, d in rows]

    def add_feedback(self, incident_id: str, *, user: str, kind: str, value: str, comment: str = "") -> None:
        """On-call's correction: kind 'verdict' (the right verdict), 'campaign' (link to a campaign), 'ack', or
        'networks' (the networks of a surge on-call said was people's, space-separated CIDRs)."""
        if kind not in ("verdict", "campaign", "ack", "networks"):
            raise ValueError(f"feedback kind {kind!r} is not one of verdict, campaign, ack, networks")
        with self._tx() as db:
            db.execute(
                "INSERT INTO feedback(incident_id, at, user, kind, value, comment) VALUES (?, ?, ?, ?, ?, ?)",
                (incident_id, _now(), user, kind, value, comment),
            )
            self._audit(db, user, f"incident.{kind}", {"incident": incident_id, "value": value})

    def feedback(self, incident_id: str | None = None) -> list[dict]:
        sql = "SELECT incident_id, at, user, kind, value, comment FROM feedback"
        rows = self._all(sql + " WHERE incident_id = ? ORDER BY id" if incident_id else sql + " ORDER BY id",
                         (incident_id,) if incident_id else ())
        keys = ("incident_id", "at", "user", "kind", "value", "comment")
        return [dict(zip(keys, r, strict=True)) | {"at": datetime.fromtimestamp(r[1], UTC)} for r in rows]

    # -- silences ---------------------------------------------------------------------------
    def add_silence(self, matchers: dict[str, str], starts: datetime, ends: datetime, *, user: str,
                    comment: str = "") -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO silences(matchers, starts, ends, created_by, comment) VALUES (?, ?, ?, ?, ?)",
                (json.dumps(matchers, sort_keys=True), int(starts.timestamp()), int(ends.timestamp()), user, comment),
            )
            self._audit(db, user, "silence.add", {"matchers": matchers})
            return int(cur.lastrowid)

    def active_silences(self, at: datetime | None = None) -> list[dict]:
        ts = int((at or datetime.now(UTC)).timestamp())
        rows = self._all("SELECT id, matchers, created_by, comment, ends FROM silences WHERE starts <= ? AND ends > ?",
                         (ts, ts))
        return [{"id": i, "matchers": json.loads(m), "created_by": u, "comment": c,
                 "ends": datetime.fromtimestamp(e, UTC)} for i, m, u, c, e in rows]

    def is_silenced(self, labels: dict[str, str], at: datetime | None = None) -> bool:
        return any(all(labels.get(k) == v for k, v in s["matchers"].items()) for s in self.active_silences(at))

    # -- notifications ----------------------------------------------------------------------
    def notification(self, incident_id: str, channel: str) -> dict | None:
        """What was last sent about an incident on a channel: ``sent`` (a dict), ``sent_at``, ``delivered``."""
        return self._told("SELECT sent, sent_at, delivered FROM notifications WHERE incident_id = ? AND channel = ?",
                          (incident_id, channel))

    def record_notification(self, incident_id: str, channel: str, sent: dict, *, delivered: bool = True,
                            at: datetime | None = None) -> None:
        """Remember what a channel was told (``sent`` holds ``status``; ``delivered`` False: withheld by a silence)."""
        ts = int((at or datetime.now(UTC)).timestamp())
        with self._tx() as db:
            db.execute(
                "INSERT INTO notifications(incident_id, channel, status, sent, sent_at, delivered)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(incident_id, channel) DO UPDATE SET status = excluded.status,"
                " sent = excluded.sent, sent_at = excluded.sent_at, delivered = excluded.delivered",
                (incident_id, channel, str(sent.get("status", "open")), json.dumps(sent, sort_keys=True), ts,
                 int(delivered)),
            )

    def reminder(self, campaign_id: str, channel: str) -> dict | None:
        """What a channel was last told ahead of a campaign: ``sent`` (a dict), ``sent_at``, ``delivered``."""
        return self._told("SELECT sent, sent_at, delivered FROM reminders WHERE campaign_id = ? AND channel = ?",
                          (campaign_id, channel))

    def _told(self, sql: str, params: tuple) -> dict | None:
        rows = self._all(sql, params)
        if not rows:
            return None
        sent, at, delivered = rows[0]
        return {"sent": json.loads(sent), "sent_at": datetime.fromtimestamp(at, UTC), "delivered": bool(delivered)}

    def record_reminder(self, campaign_id: str, channel: str, sent: dict, *, delivered: bool = True,
                        at: datetime | None = None) -> None:
        """Remember what a channel was told ahead of a campaign (``delivered`` False: withheld by a silence)."""
        ts = int((at or datetime.now(UTC)).timestamp())
        with self._tx() as db:
            db.execute(
                "INSERT INTO reminders(campaign_id, channel, sent, sent_at, delivered) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(campaign_id, channel) DO UPDATE SET sent = excluded.sent, sent_at = excluded.sent_at,"
                " delivered = excluded.delivered",
                (campaign_id, channel, json.dumps(sent, sort_keys=True), ts, int(delivered)),
            )

    def notified_open(self) -> list[tuple[str, str]]:
        """(incident id, channel) pairs last told about an incident that was still open."""
        return [(i, c) for i, c in self._all("SELECT incident_id, channel FROM notifications WHERE status != 'closed'"
                                             " ORDER BY incident_id, channel")]

    # -- audit ----------------------------------------------------------------------------
    def _audit(self, db: sqlite3.Connection, user: str, action: str, detail: dict) -> None:
        db.execute("INSERT INTO audit(at, user, action, detail) VALUES (?, ?, ?, ?)",
                   (_now(), user, action, json.dumps(detail, default=str)))

    def audit(self, *, limit: int = 100) -> list[dict]:
        rows = self._all("SELECT at, user, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [{"at": datetime.fromtimestamp(a, UTC), "user": u, "action": act, "detail": json.loads(d)}
                for a, u, act, d in rows]


def _ts(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, (int, float)):
        return int(value)
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
