"""Streamlit entry point: page setup and navigation (which pages a role sees) only."""

import streamlit as st

from services import PracticeError
from ui.context import app_services, chat_ui, current_actor
from ui.login import render_login

st.set_page_config(page_title="Difficult-customer practice", page_icon="🎧", layout="wide")
actor = current_actor()
PATHS = ("chat", "history", "report", "analytics", "review", "scenarios", "certification", "cert_review",
         "campaigns", "verify", "admin_settings")
if actor is None:
    # Always through st.navigation (without it Streamlit lists every file in pages/), and every page's address
    # shows the login form, so a deep link such as /report?session=5 opens that page once logged in.
    login_pages = [st.Page(render_login, title="Log in", url_path="login", default=True)]
    login_pages += [st.Page(render_login, title="Log in", url_path=path) for path in PATHS]
    st.navigation(login_pages, position="hidden").run()
else:
    ui = chat_ui()
    in_attempt = False
    if actor.role == "trainee" and ui.attempt_id is not None:
        try:  # reading does not take the attempt over; the certification page checks who holds it
            in_attempt = app_services().certification.attempt(actor, ui.attempt_id).active
        except PracticeError:
            ui.attempt_id = None
    pages = [
        st.Page("pages/chat.py", title="Practice chat", icon=":material/chat:", default=True),
        st.Page("pages/history.py", title="My progress", icon=":material/trending_up:"),
        st.Page("pages/report.py", title="Report", icon=":material/grading:"),
        st.Page("pages/analytics.py", title="Analytics", icon=":material/insights:"),
        st.Page("pages/certification.py", title="Certification", icon=":material/workspace_premium:"),
        st.Page("pages/verify.py", title="Verify certificate", icon=":material/verified:"),
    ]
    if actor.role in ("trainer", "admin"):
        pages.append(st.Page("pages/review.py", title="Review", icon=":material/fact_check:"))
        pages.append(st.Page("pages/scenarios.py", title="Scenarios", icon=":material/edit_note:"))
        pages.append(st.Page("pages/cert_review.py", title="Certification review", icon=":material/rule:"))
    if actor.role == "admin":
        pages.append(st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"))
        pages.append(st.Page("pages/admin_settings.py", title="Settings", icon=":material/settings:"))
    if in_attempt:  # no other page (and so no feedback) while an attempt runs
        pages = [st.Page("pages/certification.py", title="Certification", icon=":material/workspace_premium:",
                         default=True)]
    page = st.navigation(pages)
    with st.sidebar:
        st.caption(f"Logged in as **{actor.username}** ({actor.role})")
        if st.button("Log out"):
            chat_ui().user_id = None
            chat_ui().session_id = None
            if st.user.is_logged_in:  # signed on through the identity provider: drop its cookie too
                st.logout()
            st.rerun()
    page.run()
