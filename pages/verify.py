"""Verify a certificate's code against the database (and the audit log). Public: an employer checks a code
without an account; it shows only what the certificate itself shows, and each address has a few checks a
minute (the service counts them in the database)."""

from __future__ import annotations

import streamlit as st

from services import PracticeError, RateLimited
from ui.context import app_services, client_address, plain, public_page

public_page()
services = app_services()


st.title("Verify a certificate")
st.caption("Enter the verification code printed on the certificate (CERT-XXXX-XXXX-XXXX). No login is needed.")
with st.form("verify"):
    code = st.text_input("Verification code", value=st.query_params.get("code", ""), max_chars=40,
                         placeholder="CERT-XXXX-XXXX-XXXX")
    asked = st.form_submit_button("Check the code", type="primary")
if asked and not code.strip():
    st.error("Enter the code printed on the certificate.")
elif code.strip() and (asked or "code" in st.query_params):
    try:
        check = services.certification.check_certificate(code, client=client_address())
    except RateLimited as exc:
        st.warning(plain(str(exc)), icon=":material/hourglass:")
    except PracticeError as exc:  # e.g. the database is busy
        st.error(plain(str(exc)))
    else:
        if check.valid:
            issued = check.issued_at.strftime("%d %B %Y") if check.issued_at else "?"
            st.success(f"**Valid.** {plain(check.holder or '')} passed **{plain(check.campaign or '')}** with "
                       f"{check.score} / 100 on {issued}. Code `{check.code}`.", icon=":material/verified:")
        else:
            st.error(f"**Not valid.** {plain(check.message)}", icon=":material/gpp_bad:")
