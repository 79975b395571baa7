"""Users (admins, local sign-in): who may sign in with which role; add, change or remove a user.

The same functions as ``./surgewatch users`` (``auth.local``), which check the admin role again on
the server and audit the admin who made the change. Passwords are typed twice and never shown.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from auth import local
from auth.roles import Forbidden, Identity, Permission
from pages.context import inside_app_frame, view
from pages.signin import allowed
from pages.signin import who as signed_in
from pages.text import md
from store.state import StateDB
from store.users import ROLES

FLASH = "users_flash"


def _users_table(state: StateDB, who: Identity) -> list[str]:
    users = local.list_users(state, by=who)
    if not users:
        st.info("No users yet: add the first one below.")
        return []
    now = pd.Timestamp.now(tz="UTC").timestamp()
    st.dataframe(pd.DataFrame([{"name": u["name"], "role": u["role"], "created": u["created_at"],
                                "locked": u["locked_until"] > now} for u in users]),
                 hide_index=True, width="stretch")
    return [u["name"] for u in users]


def _apply(action: Callable[[], object], done: str) -> None:
    try:
        action()
    except (local.UserError, Forbidden) as exc:
        st.error(md(exc))
        return
    st.session_state[FLASH] = done
    st.rerun()


def add_form(state: StateDB, who: Identity) -> None:
    with st.form("user_add", clear_on_submit=True):
        st.markdown("**Add a user**")
        c1, c2 = st.columns(2)
        name = c1.text_input("New user's name", key="ua_name")
        role = c2.selectbox("Role", ROLES, key="ua_role")
        c1, c2 = st.columns(2)
        password = c1.text_input("Password (at least 10 characters)", type="password", key="ua_password")
        again = c2.text_input("Password again", type="password", key="ua_again")
        submitted = st.form_submit_button("Add user", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("The two passwords differ.")
        return
    _apply(lambda: local.add_user(state, name.strip(), role, password, by=who), f"Added {name.strip()} ({role}).")


def change_form(state: StateDB, who: Identity, names: list[str]) -> None:
    with st.form("user_change", clear_on_submit=True):
        st.markdown("**Change a user's password and role, or remove them** (their sessions end)")
        c1, c2 = st.columns(2)
        name = c1.selectbox("User", names, key="uc_name")
        role = c2.selectbox("Role", ROLES, key="uc_role")
        password = st.text_input("New password", type="password", key="uc_password")
        c1, c2 = st.columns(2)
        change = c1.form_submit_button("Set password and role")
        remove = c2.form_submit_button("Remove user")
    if change:
        _apply(lambda: local.set_password(state, name, password, by=who, role=role), f"Changed {name} ({role}).")
    elif remove:
        if name == who.name:
            st.error("You cannot remove yourself; another admin can.")
            return
        _apply(lambda: local.remove_user(state, name, by=who), f"Removed {name}.")


inside_app_frame()
v = view()
who = signed_in()
st.title("Users")
said = st.session_state.pop(FLASH, None)
if said:
    st.success(md(said))
if allowed(who, Permission.USERS):
    names = _users_table(v.state, who)
    add_form(v.state, who)
    if names:
        change_form(v.state, who, names)
