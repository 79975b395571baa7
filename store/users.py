"""Users, their sign-in failures and sessions in the state DB (mixed into ``StateDB``).

A user has a role and, for local sign-in, an argon2 password hash (made in ``auth.local``; this
module never sees a password). Failed sign-ins in a row lock the user for a while. A session is
kept as the SHA-256 of its random token, so a copy of the DB signs no one in; sessions end when
they expire, on sign-out, and when the user's role or password changes or the user is removed.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

ROLES = ("viewer", "marketing", "oncall", "admin")


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


class UsersMixin:
    """The users and sessions part of ``StateDB`` (which provides ``_tx``, ``_all`` and ``_audit``)."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...  # pragma: no cover - StateDB's

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]: ...  # pragma: no cover - StateDB's

    def _audit(self, db: sqlite3.Connection, user: str, action: str, detail: dict[str, Any]) -> None: ...

    def set_user(self, name: str, role: str, password_hash: str = "", *, by: str = "system") -> None:
        """Add a user or change their role and password hash (audited by ``by``); ends their sessions."""
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
        with self._tx() as db:
            db.execute(
                "INSERT INTO users(name, role, password_hash, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,"
                " failures = 0, locked_until = 0",
                (name, role, password_hash, _now()),
            )
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            self._audit(db, by, "user.set", {"name": name, "role": role})

    def user_role(self, name: str) -> str | None:
        rows = self._all("SELECT role FROM users WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def get_user(self, name: str) -> dict | None:
        """A user's name, role, password hash, failed sign-ins in a row and lock end (epoch seconds)."""
        rows = self._all("SELECT name, role, password_hash, failures, locked_until, created_at FROM users"
                         " WHERE name = ?", (name,))
        keys = ("name", "role", "password_hash", "failures", "locked_until", "created_at")
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    def list_users(self) -> list[dict]:
        rows = self._all("SELECT name, role, failures, locked_until, created_at FROM users ORDER BY name")
        return [{"name": n, "role": r, "failures": f, "locked_until": lu,
                 "created_at": datetime.fromtimestamp(c, UTC)} for n, r, f, lu, c in rows]

    def delete_user(self, name: str, *, by: str) -> bool:
        with self._tx() as db:
            n = db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
            if n:
                self._audit(db, by, "user.remove", {"name": name})
        return bool(n)

    def record_sign_in(self, name: str, *, ok: bool, lock_after: int, lock_seconds: int) -> None:
        """Count a failed sign-in (locking the user after ``lock_after`` in a row) or clear the count."""
        with self._tx() as db:
            if ok:
                db.execute("UPDATE users SET failures = 0, locked_until = 0 WHERE name = ?", (name,))
                self._audit(db, f"local:{name}", "user.sign_in", {})
                return
            db.execute("UPDATE users SET failures = failures + 1 WHERE name = ?", (name,))
            row = db.execute("SELECT failures FROM users WHERE name = ?", (name,)).fetchone()
            if row and row[0] >= lock_after:
                db.execute("UPDATE users SET failures = 0, locked_until = ? WHERE name = ?",
                           (_now() + lock_seconds, name))
                self._audit(db, "system", "user.locked", {"name": name, "seconds": lock_seconds})

    def add_session(self, token_hash: str, user: str, expires: datetime) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires <= ?", (_now(),))
            db.execute("INSERT INTO sessions(token_hash, user, created_at, expires) VALUES (?, ?, ?, ?)",
                       (token_hash, user, _now(), int(expires.timestamp())))

    def session_user(self, token_hash: str) -> str | None:
        """The user of an unexpired session, or None."""
        rows = self._all("SELECT user FROM sessions WHERE token_hash = ? AND expires > ?", (token_hash, _now()))
        return rows[0][0] if rows else None

    def end_session(self, token_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

