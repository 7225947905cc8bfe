"""Streamlit entry point: page setup and navigation only."""

import streamlit as st

st.set_page_config(page_title="Difficult-customer practice", page_icon="🎧", layout="wide")
page = st.navigation([st.Page("pages/chat.py", title="Practice chat", icon="💬", default=True)])
page.run()
