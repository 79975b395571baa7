"""Who is looking at the dashboard: sign-in by the configured way, the sidebar's identity, sign-out, role checks.

``gate()`` runs in ``app.py`` before any page: it finds the visitor's identity (an OIDC sign-in by
``st.login``, an authenticating proxy's headers from a trusted address, a local session, or the
anonymous role when sign-in is off) or shows the sign-in and stops. Pages ask ``who()`` and pass
that identity to every write, which checks its role again on the server (``auth.roles.require``).

A local session lives in the state DB; the browser keeps its random token in a cookie
(``surgewatch_session``, SameSite=Strict, expiring with the session) set by a line of JavaScript,
because Streamlit cannot set a cookie from Python. A reload sends the cookie with the page's
connection, where ``st.context.cookies`` reads it back. The token is never in the URL, so a shared
link never carries a sign-in.
"""

from __future__ import annotations

import json

import streamlit as st

from auth import local, oidc, proxy
from auth.roles import WHAT, Identity, Permission, anonymous, roles_with
from pages.context import _resources
from pages.text import md

COOKIE = "surgewatch_session"
KEY = "signed_in"  # the local identity and its token, for this browser tab's session
PENDING = "session_cookie"  # the cookie to set (or clear) on the next run, once the page is drawn again

def _cookie_script() -> None:
    """Set (or clear) the session cookie asked for by the last sign-in (or sign-out)."""
    if PENDING not in st.session_state:
        return
    value, max_age = st.session_state.pop(PENDING)
    st.html(f"<script>document.cookie = {json.dumps(COOKIE)} + '=' + {json.dumps(value)} + "
            f"'; Path=/; SameSite=Strict; Max-Age={max_age}' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)


def _local_identity() -> Identity | None:
    settings, _, state = _resources()
    kept = st.session_state.get(KEY)
    token = kept["token"] if kept else st.context.cookies.get(COOKIE)
    found = local.resume(state, token)  # every run: a removed user or an ended session is signed out at once
    if found is None:
        st.session_state.pop(KEY, None)
        return None
    if kept is None:
        st.session_state[KEY] = {"token": token}
    return found


def identity() -> Identity | None:
    """The visitor's identity by the configured sign-in, or None when they are not signed in."""
    settings = _resources()[0].dashboard
    if settings.sign_in == "none":
        return anonymous(settings.anonymous_role)
    if settings.sign_in == "oidc":
        return oidc.identity(st.user.to_dict(), settings)
    if settings.sign_in == "proxy":
        peer = st.context.ip_address or "127.0.0.1"  # Streamlit gives None for a loopback peer
        return proxy.identity(dict(st.context.headers), peer, settings)
    return _local_identity()


def _local_form() -> None:
    settings, _, state = _resources()
    with st.form("sign_in"):
        name = st.text_input("User name", key="signin_user")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    d = settings.dashboard
    try:
        session = local.sign_in(state, name.strip(), password, session_hours=d.session_hours,
                                lock_after=d.lock_after, lock_minutes=d.lock_minutes)
    except local.SignInError as exc:
        st.error(f"Not signed in: {md(exc)}.")
        return
    st.session_state[KEY] = {"token": session.token}
    st.session_state[PENDING] = (session.token, int(d.session_hours * 3600))
    st.rerun()


def gate() -> Identity:
    """The visitor's identity; otherwise the sign-in page (the only page until then) and stop."""
    found = identity()
    if found is not None:
        return found
    st.navigation([st.Page(_sign_in_page, title="Sign in", icon="🔑", url_path="sign-in")], position="hidden").run()
    st.stop()


def _sign_in_page() -> None:
    """The sign-in: the form, the provider's button or how to come through the proxy."""
    mode = _resources()[0].dashboard.sign_in
    _cookie_script()
    st.title("Surgewatch")
    st.subheader("Sign in")
    if mode == "oidc":
        st.write("Sign in with your organisation's account.")
        if st.button("Sign in with your organisation", type="primary"):
            st.login()
    elif mode == "proxy":
        st.warning("Not signed in: open the dashboard through your organisation's sign-in proxy. "
                   "Sign-in headers sent from any other address are ignored.")
    else:
        _local_form()


def sidebar(who: Identity) -> None:
    """Who is signed in, with which role, and the sign-out."""
    mode = _resources()[0].dashboard.sign_in
    _cookie_script()
    if mode == "none":
        st.sidebar.caption(f"Not signed in: everyone is **anonymous** with the **{md(who.role)}** role.")
        return
    st.sidebar.caption(f"Signed in as **{md(who.name)}** · role **{md(who.role)}**")
    if mode == "proxy":
        return
    if st.sidebar.button("Sign out", key="sign_out"):
        if mode == "oidc":
            st.logout()
        kept = st.session_state.pop(KEY, None)
        local.sign_out(_resources()[2], kept["token"] if kept else st.context.cookies.get(COOKIE))
        st.session_state[PENDING] = ("", 0)
        st.rerun()


def manages_users(who: Identity) -> bool:
    """Whether the Users page is for them: an admin, when people sign in as local users."""
    return _resources()[0].dashboard.sign_in == "local" and who.can(Permission.USERS)


def who() -> Identity:
    """The identity ``app.py`` admitted (pages pass it to every write)."""
    found = identity()
    if found is None:
        st.stop()
    return found


def allowed(who: Identity, permission: Permission) -> bool:
    """Whether ``who`` may do it; otherwise a note saying which role it needs (the form is not shown)."""
    if who.can(permission):
        return True
    st.info(f"Signed in as {md(who.name)} with the {md(who.role)} role: {WHAT[permission]} needs the "
            f"{' or '.join(roles_with(permission))} role.")
    return False
