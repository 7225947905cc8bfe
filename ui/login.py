"""Log in (password, or single sign-on through ``st.login`` when secrets.toml has an ``[auth]`` section), or
(on a fresh installation) create the first admin account. Rendered by app.py before any page.

A password login is remembered in this browser by an HTTP-only cookie (services/login_sessions.py): right after
the login the page hands a one-time code to ``POST /auth/session`` (server.py), which sets the cookie; a reload or
a new tab reads it once, at the start of its browser session (:func:`restore_login`)."""

from __future__ import annotations

import contextlib
import json

import streamlit as st
from streamlit import config

from services import Actor, LoginRefused, PracticeError
from services.login_sessions import COOKIE_NAME, DEVICE_COOKIE_NAME
from settings import get_settings
from ui.context import app_services, chat_ui, client_address, plain


def cookie_path() -> str:
    """Where the app lives (``server.baseUrlPath``), which is also the login cookie's path."""
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def auth_path(name: str) -> str:
    """The address of one of server.py's routes (``/auth/session``, ``/auth/logout``)."""
    return f"{cookie_path()}auth/{name}"


def restore_login() -> None:
    """Called by app.py first on every run: log a new browser session in from its login cookie, and log out a
    browser session whose login session was revoked (by an admin) or has expired since."""
    ui = chat_ui()
    state = ui.login
    try:
        if ui.user_id is None:
            if state.cookie_checked:
                return
            state.cookie_checked = True
            cookie = st.context.cookies.get(COOKIE_NAME)
            if cookie:
                resumed = app_services().login_sessions.resume(cookie)
                ui.user_id, state.login_session_id = resumed.actor.id, resumed.login_session_id
            return
        if state.login_session_id is not None and not app_services().login_sessions.is_active(
                state.login_session_id):
            raise LoginRefused("You were signed out (by an admin, or the login expired): please log in again.")
    except LoginRefused as exc:
        ui.user_id, ui.session_id = None, None
        state.login_session_id, state.notice, state.forget_cookie = None, str(exc), True
    except PracticeError as exc:  # the database is busy or unreachable: say so, and try again at the next run
        state.cookie_checked = ui.user_id is not None
        st.error(plain(str(exc)))
        st.stop()


def remember_browser() -> None:
    """Called by app.py once logged in: right after a password login, the page exchanges its one-time code for
    the login cookie (in the background: nothing on screen changes)."""
    state = chat_ui().login
    if state.cookie_code is None:
        return
    code, state.cookie_code = state.cookie_code, None
    body = json.dumps(json.dumps({"code": code}))
    _page_script(f"fetch({json.dumps(auth_path('session'))}, {{method: 'POST', credentials: 'same-origin', "
                 f"headers: {{'Content-Type': 'application/json'}}, body: {body}}});")


def log_out() -> None:
    """The Log out button: this browser's login session is revoked and the page clears the cookie."""
    ui = chat_ui()
    state = ui.login
    if state.login_session_id is not None and ui.user_id is not None:
        actor = app_services().auth.actor(ui.user_id)
        if actor is not None:
            with contextlib.suppress(PracticeError):  # the page clears the cookie below anyway
                app_services().login_sessions.end(actor, state.login_session_id)
    ui.user_id, ui.session_id = None, None
    state.login_session_id, state.cookie_code, state.forget_cookie = None, None, True
    forget_downloads()
    if st.user.to_dict().get("is_logged_in"):  # signed on through the identity provider: drop its cookie too
        st.logout()


def forget_downloads() -> None:
    """Delete the exports this browser could download until now, so that their ``/media/...`` addresses answer
    404 the moment it logs out (Streamlit would keep serving them, to anyone with the address, until two more
    script runs anywhere had passed).

    This run started by dropping the page's references to its files (the Log out button runs before any page), so
    they are orphans now; Streamlit deletes an orphaned download on its second pass (the first only marks it, so
    that a click in flight still lands). Other browsers' files on their screens are referenced and stay."""
    from streamlit import runtime

    if not runtime.exists():  # AppTest and bare scripts: no media files
        return
    files = runtime.get_instance().media_file_mgr
    files.remove_orphaned_files()
    files.remove_orphaned_files()


def _remember(actor: Actor) -> None:
    """Log this browser session in as ``actor`` and have the page remember it (the cookie)."""
    ui = chat_ui()
    ui.user_id = actor.id
    try:
        ticket = app_services().login_sessions.open(actor)
    except PracticeError:  # logged in all the same, only not remembered after a reload
        return
    ui.login.login_session_id, ui.login.cookie_code, ui.login.notice = ticket.login_session_id, ticket.code, None


def _page_script(script: str) -> None:
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width=1)


def render_login() -> None:
    st.title("Difficult-customer practice")
    state = chat_ui().login
    if state.notice:
        st.info(plain(state.notice))
    if sso_configured():
        _single_sign_on()
    if app_services().auth.has_users():
        _login()
    else:
        _first_admin()
    if state.forget_cookie:  # after Log out, or a cookie that no longer logs anyone in: the page clears it
        state.forget_cookie = False
        _page_script(f"fetch({json.dumps(auth_path('logout'))}, {{method: 'POST', credentials: 'same-origin'}});")


def sso_configured() -> bool:
    """Whether secrets.toml configures an OIDC provider for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _single_sign_on() -> None:
    services = app_services()
    ui = chat_ui()
    provider = get_settings().sso_provider
    if not st.user.is_logged_in:
        st.button("Sign in with single sign-on", type="primary", icon=":material/login:",
                  on_click=lambda: st.login(provider) if provider else st.login())
        st.caption("Or log in with a local account below.")
        return
    try:  # the provider vouched for this identity (its cookie survives reloads): map it to an account
        ui.user_id = services.auth.sso_login(st.user.to_dict(), client=client_address()).id
    except PracticeError as exc:
        st.error(plain(str(exc)))
        st.button("Sign out of single sign-on", on_click=st.logout)
        return
    st.rerun()


def _first_admin() -> None:
    services = app_services()
    needs_token = services.first_run.needs_token(client_address())
    st.subheader("Create the first admin account")
    if needs_token:
        st.caption("No accounts exist yet. To prove you run this server, enter the **setup token** it printed to "
                   "its log when it started (\"Setup token: ...\"); it works once and expires. On the server, "
                   "`python -m db setup-token` prints a new one, and `python -m db create-user` creates accounts "
                   "without it.")
    else:
        st.warning("**Development mode** (`ENVIRONMENT=development`), on this machine: whoever opens this page "
                   "first here becomes the admin, with no setup token (from another machine the form asks for the "
                   "token in the server's log). Set `ENVIRONMENT=production` on any server others can reach.",
                   icon=":material/construction:")
        st.caption("The admin can then create trainee and trainer accounts on the Settings page (or with "
                   "`python -m db create-user`).")
    with st.form("first-admin"):
        token = st.text_input("Setup token (from the server's log)", type="password", max_chars=100) \
            if needs_token else None
        username = st.text_input("Username", max_chars=40)
        password = st.text_input("Password (at least 8 characters)", type="password", max_chars=256)
        again = st.text_input("Repeat the password", type="password", max_chars=256)
        if st.form_submit_button("Create admin and log in", type="primary"):
            if password != again:
                st.error("The passwords differ.")
                return
            try:
                actor = services.first_run.create_first_admin(username=username, password=password, token=token,
                                                              client=client_address())
            except PracticeError as exc:
                st.error(plain(str(exc)))
                return
            _remember(actor)
            st.rerun()


def _login() -> None:
    services = app_services()
    st.subheader("Log in")
    with st.form("login"):
        username = st.text_input("Username", max_chars=40)
        password = st.text_input("Password", type="password", max_chars=256)
        if st.form_submit_button("Log in", type="primary"):
            try:
                device = services.login_sessions.known_device(st.context.cookies.get(DEVICE_COOKIE_NAME))
                actor = services.auth.login(username, password, client=client_address(), known_device=device)
            except PracticeError as exc:
                st.error(plain(str(exc)))
                return
            _remember(actor)
            st.rerun()


def render_sign_out_everywhere(actor: Actor) -> None:
    """Settings page (admins): end every password login of one account, in every browser."""
    services = app_services()
    st.subheader("Sign out everywhere")
    st.caption("Ends every password login of an account in every browser: an open page is logged out at its next "
               "click, a reload shows the login form. The person can log in again with the password (change it "
               "too if it leaked).")
    accounts = [u for u in services.auth.users(actor) if u.id is not None]
    with st.form("sign-out-everywhere"):
        chosen = st.selectbox("Account", accounts, format_func=lambda u: u.username, index=None,
                              placeholder="Choose an account")
        if st.form_submit_button("Sign out everywhere"):
            if chosen is None or chosen.id is None:
                st.error("Choose an account first.")
                return
            try:
                count = services.login_sessions.revoke_user(actor, chosen.id)
            except PracticeError as exc:
                st.error(plain(str(exc)))
                return
            st.success(f"Signed {plain(chosen.username)} out of {count} browser login(s)."
                       if count else f"{chosen.username} was not logged in with a password anywhere.")
