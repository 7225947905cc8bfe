"""Streamlit entry point: page setup and navigation (which pages a role sees) only."""

import streamlit as st

from services import PracticeError
from ui.context import app_services, chat_ui, current_actor, plain, session_param
from ui.login import log_out, remember_browser, render_login, restore_login
from ui.notices import sidebar_notices, signal_layer_notice

st.set_page_config(page_title="Difficult-customer practice", page_icon="🎧", layout="wide")
st.set_option("client.showSidebarNavigation", True)  # our st.navigation only (see .streamlit/config.toml)
restore_login()  # a reload or a new tab: the login cookie logs the browser in again
actor = current_actor()
PATHS = ("chat", "rush", "history", "report", "analytics", "review", "scenarios", "certification", "cert_review",
         "campaigns", "verify", "admin_settings", "accounts", "calibration", "rubric")
if actor is None:
    # Always through st.navigation (without it Streamlit lists every file in pages/), and every page's address
    # shows the login form, so a deep link such as /report?session=5 opens that page once logged in.
    # The Verify page is public: an employer checks a certificate's code without an account.
    verify = st.Page("pages/verify.py", title="Verify a certificate", icon=":material/verified:", url_path="verify")
    login_pages = [st.Page(render_login, title="Log in", url_path="login", default=True), verify]
    login_pages += [st.Page(render_login, title="Log in", url_path=path) for path in PATHS if path != "verify"]
    shown = st.navigation(login_pages, position="hidden")
    shown.run()
    st.divider()
    if shown.url_path != "verify":
        st.page_link(verify, label="Verify a certificate (no login needed)", icon=":material/verified:")
    else:
        st.page_link(login_pages[0], label="Log in to practise", icon=":material/login:")
else:
    ui = chat_ui()
    in_attempt = False
    if actor.role == "trainee":
        try:  # a read: the certification page resumes the attempt (a reload) or ends it (left past the grace)
            in_attempt = app_services().certification.running_attempt(actor) is not None
        except PracticeError:
            in_attempt = False
    ui.attempt_locked = in_attempt
    certification = st.Page("pages/certification.py", title="Certification", icon=":material/workspace_premium:")
    pages = [
        st.Page("pages/chat.py", title="Practice chat", icon=":material/chat:", default=True),
        st.Page("pages/rush.py", title="Rush hour", icon=":material/timer:"),
        st.Page("pages/history.py", title="My progress", icon=":material/trending_up:"),
        st.Page("pages/report.py", title="Report", icon=":material/grading:"),
        st.Page("pages/analytics.py", title="Analytics", icon=":material/insights:"),
        certification,
        st.Page("pages/verify.py", title="Verify certificate", icon=":material/verified:"),
        # the address an attempt ran under: once it has ended, that address shows its result
        st.Page(lambda: st.switch_page(certification), title="Certification", url_path="attempt",
                visibility="hidden"),
    ]
    if actor.role in ("trainer", "admin"):
        pages.append(st.Page("pages/review.py", title="Review", icon=":material/fact_check:"))
        pages.append(st.Page("pages/scenarios.py", title="Scenarios", icon=":material/edit_note:"))
    if actor.role in ("trainer", "hr", "admin"):
        pages.append(st.Page("pages/cert_review.py", title="Certification review", icon=":material/rule:"))
    if actor.role in ("trainer", "admin"):
        pages.append(st.Page("pages/calibration.py", title="Calibration", icon=":material/balance:"))
        pages.append(st.Page("pages/rubric.py", title="Rubric", icon=":material/checklist:"))
    if actor.role in ("hr", "admin"):  # HR: certification and the trainees' accounts, not the rest of Settings
        pages.append(st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"))
    if actor.role == "hr":
        pages.append(st.Page("pages/accounts.py", title="Accounts and teams", icon=":material/group:"))
    if actor.role == "admin":
        pages.append(st.Page("pages/admin_settings.py", title="Settings", icon=":material/settings:"))
    if in_attempt:  # no other page (and so no feedback) while an attempt runs; every address leads to it
        attempt = st.Page("pages/certification.py", title="Certification", icon=":material/workspace_premium:",
                          url_path="attempt", default=True)
        pages = [attempt] + [st.Page(lambda: st.switch_page(attempt), title="Certification", url_path=path,
                                     visibility="hidden") for path in PATHS]
    page = st.navigation(pages, expanded=True)  # every page listed: staff have more than ten
    with st.sidebar:
        st.caption(f"Logged in as **{plain(actor.username)}** ({actor.role})")
        if st.button("Log out"):
            log_out()  # a password login: revoked, and its cookie cleared; single sign-on: st.logout()
            st.rerun()
        remember_browser()  # right after a password login: the page sets the login cookie (nothing visible)
        if not in_attempt:  # the report being opened marks its own news seen: not new on this screen
            sidebar_notices(actor, opening=session_param() if page.url_path == "report" else None)
        signal_layer_notice()  # the encoder is missing: grades and the customer fall back to phrase patterns
    page.run()
