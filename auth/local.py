"""Local users for small teams: argon2 password hashes, lockout after failed sign-ins, expiring sessions.

``./surgewatch users`` manages them (as the operating-system user, an admin) and the sign-in form
checks them. A successful sign-in gets a random session token; the state DB keeps only its SHA-256,
with the user and an expiry (``dashboard.session_hours``), so the session survives a page reload and
a dashboard restart, and ends at expiry, on sign-out, or when the user is changed or removed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auth.roles import Identity, Permission, require
from store.state import StateDB

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
_DUMMY = _hasher.hash("surgewatch: an unknown user takes as long as a wrong password")


class UserError(ValueError):
    """The user cannot be added or changed; the message says why and what is allowed."""


class SignInError(ValueError):
    """The sign-in is refused; the message never says whether the name or the password was wrong."""


@dataclass(frozen=True)
class Session:
    token: str
    identity: Identity
    expires: datetime


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise UserError("the password is longer than 1024 characters")


def add_user(state: StateDB, name: str, role: str, password: str, *, by: Identity) -> None:
    """Add a local user (admin only); refuses a name already taken."""
    require(by, Permission.USERS)
    if not NAME.match(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits and . _ @ + - (starting with a letter or digit)")
    if state.get_user(name) is not None:
        raise UserError(f"user {name!r} exists; change the password with `users passwd {name}`")
    _check_password(password)
    try:
        state.set_user(name, role, _hasher.hash(password), by=by.audit_name)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def set_password(state: StateDB, name: str, password: str, *, by: Identity, role: str | None = None) -> None:
    """Set a user's password (and role, if given), ending their sessions and any lock (admin only)."""
    require(by, Permission.USERS)
    user = state.get_user(name)
    if user is None:
        raise UserError(f"no user {name!r}; `users list` shows them")
    _check_password(password)
    try:
        state.set_user(name, role or user["role"], _hasher.hash(password), by=by.audit_name)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def remove_user(state: StateDB, name: str, *, by: Identity) -> None:
    require(by, Permission.USERS)
    if not state.delete_user(name, by=by.audit_name):
        raise UserError(f"no user {name!r}; `users list` shows them")


def list_users(state: StateDB, *, by: Identity) -> list[dict]:
    require(by, Permission.USERS)
    return state.list_users()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(state: StateDB, name: str, password: str, *, session_hours: float, lock_after: int,
            lock_minutes: int) -> Session:
    """Check a name and password; a new session, or SignInError (also while the user is locked)."""
    user = state.get_user(name) if NAME.match(name or "") else None
    now = datetime.now(UTC)
    if user is not None and user["locked_until"] > now.timestamp():
        raise SignInError(f"too many failed sign-ins: {name} is locked until "
                          f"{datetime.fromtimestamp(user['locked_until'], UTC):%H:%M} UTC; try again then")
    try:
        ok = _hasher.verify(user["password_hash"] if user and user["password_hash"] else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and bool(user["password_hash"])
    if user is not None:
        state.record_sign_in(name, ok=ok, lock_after=lock_after, lock_seconds=lock_minutes * 60)
    if not ok:
        raise SignInError("wrong user name or password")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=session_hours)
    state.add_session(_token_hash(token), name, expires)
    return Session(token, Identity(name, user["role"], "local"), expires)


def resume(state: StateDB, token: str | None) -> Identity | None:
    """The identity of an unexpired session token (from the browser's cookie), with the user's current role."""
    if not token or len(token) > 128:
        return None
    name = state.session_user(_token_hash(token))
    role = state.user_role(name) if name else None
    return Identity(name, role, "local") if name and role else None


def sign_out(state: StateDB, token: str | None) -> None:
    if token:
        state.end_session(_token_hash(token))
