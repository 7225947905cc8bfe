"""Verify a certificate's code against the database (and the audit log)."""

from __future__ import annotations

import streamlit as st

from ui.context import app_services, plain, require_actor

services = app_services()
require_actor()
st.title("Verify a certificate")
code = st.text_input("Verification code", value=st.query_params.get("code", ""), max_chars=40,
                     placeholder="CERT-XXXX-XXXX-XXXX")
if code.strip():
    check = services.certification.verify_certificate(code)
    if check.valid:
        issued = check.issued_at.strftime("%d %B %Y") if check.issued_at else "?"
        st.success(f"**Valid.** {plain(check.holder or '')} passed **{plain(check.campaign or '')}** with "
                   f"{check.score} / 100 on {issued}.", icon=":material/verified:")
    else:
        st.error(f"**Not valid:** {plain(check.message)}", icon=":material/gpp_bad:")
