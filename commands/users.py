"""What ``./surgewatch users`` prints: the thin terminal side of ``auth.local``.

Passwords come from a hidden prompt (asked twice) or, with ``--password-stdin``, from the first
line of standard input (for scripts and secrets managers); never from the command line, where
they would show in the process list and the shell's history.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import typer

from auth.local import UserError, add_user, list_users, remove_user, set_password
from auth.roles import Forbidden, Identity
from store.state import StateDB


def read_password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise UserError("the two passwords differ")
    return first


def _done(action: object) -> int:
    try:
        said = action() if callable(action) else action
    except (UserError, Forbidden) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    if said:
        typer.echo(said)
    return 0


def run_add(state: StateDB, name: str, role: str, *, stdin: bool, by: Identity) -> int:
    def act() -> str:
        add_user(state, name, role, read_password(stdin), by=by)
        return f"user {name} added with the {role} role (audited as {by.audit_name})"
    return _done(act)


def run_passwd(state: StateDB, name: str, role: str | None, *, stdin: bool, by: Identity) -> int:
    def act() -> str:
        set_password(state, name, read_password(stdin), by=by, role=role)
        return f"password of {name} changed{f', role {role}' if role else ''}; their sessions ended"
    return _done(act)


def run_remove(state: StateDB, name: str, *, by: Identity) -> int:
    def act() -> str:
        remove_user(state, name, by=by)
        return f"user {name} removed; their sessions ended"
    return _done(act)


def run_list(state: StateDB, *, fmt: str, by: Identity) -> int:
    def act() -> str:
        now = datetime.now(UTC).timestamp()
        found = [{"name": u["name"], "role": u["role"], "created": u["created_at"].isoformat(),
                  "locked_until": datetime.fromtimestamp(u["locked_until"], UTC).isoformat()
                  if u["locked_until"] > now else None} for u in list_users(state, by=by)]
        if fmt == "json":
            return json.dumps(found, indent=2)
        if not found:
            return "no users; add one with `./surgewatch users add NAME --role admin`"
        return "\n".join(f"{u['name']:<24} {u['role']:<10} created {u['created'][:16]}"
                         + (f"  locked until {u['locked_until'][:16]}" if u["locked_until"] else "") for u in found)
    return _done(act)
