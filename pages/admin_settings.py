"""Settings (for admins): which backend is live, and a one-click connection test."""

from __future__ import annotations

import streamlit as st

from ui.context import app_services, plain

services = app_services()
st.title("Settings")
st.caption("Configuration comes from the environment (see the README); secrets are never shown.")
st.table([{"setting": k, "value": v} for k, v in services.admin.configuration().items()])
left, right = st.columns(2)
for column, target in ((left, "customer"), (right, "judge")):
    if column.button(f"Test the {target} model", use_container_width=True):
        result = services.admin.test_connection(target)
        latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
        (column.success if result.ok else column.error)(plain(f"{result.detail}{latency}"))
