"""Streamlit entry point: page setup and navigation only."""

import streamlit as st

st.set_page_config(page_title="Difficult-customer practice", page_icon="🎧", layout="wide")
page = st.navigation([
    st.Page("pages/chat.py", title="Practice chat", icon=":material/chat:", default=True),
    st.Page("pages/history.py", title="My progress", icon=":material/trending_up:"),
    st.Page("pages/report.py", title="Report", icon=":material/grading:"),
    st.Page("pages/admin_settings.py", title="Settings", icon=":material/settings:"),
])
page.run()
