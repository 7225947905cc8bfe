"""Accounts and teams (HR): the trainees' accounts and the teams, without the rest of Settings. The services decide
which accounts HR sees and may change (trainees') and which roles it may give (trainee); this page renders."""

from __future__ import annotations

import streamlit as st

from ui.accounts import render_accounts, render_teams
from ui.context import app_services, or_stop, require_actor

services = app_services()
actor = require_actor()
st.title("Accounts and teams")
st.caption("Trainee accounts: create them, set their teams, reset their passwords, disable them. Trainer, HR and "
           "admin accounts are an admin's (Settings).")
or_stop(lambda: services.accounts.accounts(actor))  # anyone else who forces this address reads the refusal
st.subheader("Accounts")
render_accounts(services, actor)
st.subheader("Teams")
render_teams(services, actor)
