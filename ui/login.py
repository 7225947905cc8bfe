"""Log in (password, or single sign-on through ``st.login`` when secrets.toml has an ``[auth]`` section), or
(on a fresh installation) create the first admin account. Rendered by app.py before any page."""

from __future__ import annotations

import streamlit as st

from services import PracticeError
from settings import get_settings
from ui.context import app_services, chat_ui


def render_login() -> None:
    st.title("Difficult-customer practice")
    if sso_configured():
        _single_sign_on()
    if app_services().auth.has_users():
        _login()
    else:
        _first_admin()


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
        ui.user_id = services.auth.sso_login(st.user.to_dict()).id
    except PracticeError as exc:
        st.error(str(exc))
        st.button("Sign out of single sign-on", on_click=st.logout)
        return
    st.rerun()


def _first_admin() -> None:
    services = app_services()
    ui = chat_ui()
    st.subheader("Create the first admin account")
    st.caption("No accounts exist yet. The first account is an admin, who can then create trainee and trainer "
               "accounts on the Settings page (or with `python -m db create-user`).")
    with st.form("first-admin"):
        username = st.text_input("Username", max_chars=40)
        password = st.text_input("Password (at least 8 characters)", type="password")
        again = st.text_input("Repeat the password", type="password")
        if st.form_submit_button("Create admin and log in", type="primary"):
            if password != again:
                st.error("The passwords differ.")
                return
            try:
                actor = services.auth.create_user(None, username=username, role="admin", password=password)
            except PracticeError as exc:
                st.error(str(exc))
                return
            ui.user_id = actor.id
            st.rerun()


def _login() -> None:
    services = app_services()
    ui = chat_ui()
    st.subheader("Log in")
    with st.form("login"):
        username = st.text_input("Username", max_chars=40)
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Log in", type="primary"):
            try:
                ui.user_id = services.auth.login(username, password).id
            except PracticeError as exc:
                st.error(str(exc))
                return
            st.rerun()
