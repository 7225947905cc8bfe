"""Settings (for admins): which backend is live, a one-click connection test, accounts and teams."""

from __future__ import annotations

import streamlit as st

from ui.accounts import render_accounts, render_teams
from ui.context import app_services, or_stop, plain, require_actor
from ui.login import render_sign_out_everywhere

services = app_services()
actor = require_actor()
st.title("Settings")
st.caption("Configuration comes from the environment (see the README); secrets are never shown.")
configuration = or_stop(lambda: services.admin.configuration(actor))  # a forced address reads the refusal
st.table([{"setting": k, "value": v} for k, v in configuration.items()])
left, right = st.columns(2)
for column, target in ((left, "customer"), (right, "judge")):
    if column.button(f"Test the {target} model", width="stretch"):
        result = services.admin.test_connection(actor, target)
        latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
        (column.success if result.ok else column.error)(plain(f"{result.detail}{latency}"))

st.subheader("Accounts")
render_accounts(services, actor)
st.subheader("Teams")
render_teams(services, actor)

render_sign_out_everywhere(actor)
