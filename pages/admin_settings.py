"""Settings (for admins): which backend is live, and a one-click connection test."""

from __future__ import annotations

import streamlit as st

from services import ROLES, PracticeError
from ui.context import app_services, plain, require_actor

services = app_services()
actor = require_actor()
st.title("Settings")
st.caption("Configuration comes from the environment (see the README); secrets are never shown.")
st.table([{"setting": k, "value": v} for k, v in services.admin.configuration(actor).items()])
left, right = st.columns(2)
for column, target in ((left, "customer"), (right, "judge")):
    if column.button(f"Test the {target} model", use_container_width=True):
        result = services.admin.test_connection(actor, target)
        latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
        (column.success if result.ok else column.error)(plain(f"{result.detail}{latency}"))

st.subheader("Accounts")
st.dataframe([{"username": u.username, "role": u.role, "team": u.team or ""} for u in services.auth.users(actor)],
             hide_index=True, use_container_width=True)
with st.form("new-account", clear_on_submit=True):
    st.markdown("**Create an account**")
    username = st.text_input("Username", max_chars=40)
    role = st.selectbox("Role", ROLES)
    team = st.text_input("Team (optional)", max_chars=60)
    password = st.text_input("Initial password (at least 8 characters)", type="password")
    if st.form_submit_button("Create account"):
        try:
            created = services.auth.create_user(actor, username=username, role=role, password=password, team=team)
            st.success(f"Created {created.role} '{created.username}'.")
        except PracticeError as exc:
            st.error(str(exc))
