"""Streamlit entry point: page setup and navigation (which pages a role sees) only."""

import streamlit as st

from ui.context import chat_ui, current_actor
from ui.login import render_login

st.set_page_config(page_title="Difficult-customer practice", page_icon="🎧", layout="wide")
actor = current_actor()
PATHS = ("chat", "history", "report", "analytics", "review", "admin_settings")
if actor is None:
    # Always through st.navigation (without it Streamlit lists every file in pages/), and every page's address
    # shows the login form, so a deep link such as /report?session=5 opens that page once logged in.
    login_pages = [st.Page(render_login, title="Log in", url_path="login", default=True)]
    login_pages += [st.Page(render_login, title="Log in", url_path=path) for path in PATHS]
    st.navigation(login_pages, position="hidden").run()
else:
    pages = [
        st.Page("pages/chat.py", title="Practice chat", icon=":material/chat:", default=True),
        st.Page("pages/history.py", title="My progress", icon=":material/trending_up:"),
        st.Page("pages/report.py", title="Report", icon=":material/grading:"),
        st.Page("pages/analytics.py", title="Analytics", icon=":material/insights:"),
    ]
    if actor.role in ("trainer", "admin"):
        pages.append(st.Page("pages/review.py", title="Review", icon=":material/fact_check:"))
    if actor.role == "admin":
        pages.append(st.Page("pages/admin_settings.py", title="Settings", icon=":material/settings:"))
    page = st.navigation(pages)
    with st.sidebar:
        st.caption(f"Logged in as **{actor.username}** ({actor.role})")
        if st.button("Log out"):
            chat_ui().user_id = None
            chat_ui().session_id = None
            st.rerun()
    page.run()
