"""The accounts and teams of the Settings page (admins) and of the Accounts and teams page (HR: trainee accounts):
render the lists and forms, hand every change to a service (which decides what the actor sees and may give).

Form buttons act in callbacks, which Streamlit runs before the page is drawn again, so the tables below show
a change at once. A refused change keeps what was typed and shows the reason under the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from services import Account, AccountError, Actor, PracticeError, Services, TeamView
from ui.context import plain

NO_TEAM = ""
#: Widget keys of the forms (their values survive a refused submit, and are cleared after a done one).
CREATE_FIELDS = {"username": "", "full_name": "", "role": "trainee", "team": NO_TEAM, "password": ""}


@dataclass
class AccountForms:
    """What the last submitted form left to show: errors by ``form.field``, and what was done."""

    errors: dict[str, str] = field(default_factory=dict)
    #: (form, what was done), shown under that form.
    done: tuple[str, str] | None = None
    #: The account whose disabling (or enabling) awaits a "yes".
    confirm: int | None = None


def _forms() -> AccountForms:
    if "account_forms" not in st.session_state:
        st.session_state["account_forms"] = AccountForms()
    forms: AccountForms = st.session_state["account_forms"]
    return forms


def _key(form: str, name: str) -> str:
    return f"accounts.{form}.{name}"


def _error_under(form: str, name: str) -> None:
    message = _forms().errors.get(f"{form}.{name}")
    if message:
        st.error(plain(message), icon=":material/error:")


def _outcome(form: str) -> None:
    """Under a form: what it just did, or a refusal not about one field."""
    _error_under(form, "form")
    done = _forms().done
    if done is not None and done[0] == form:
        st.success(plain(done[1]), icon=":material/check_circle:")


def _act(form: str, call: Callable[[], str], fields: dict[str, Any] | None = None) -> None:
    """Run one change: on success remember what was done (and clear the form's fields), else the error."""
    forms = _forms()
    forms.errors, forms.done = {}, None
    try:
        forms.done = (form, call())
    except AccountError as exc:
        forms.errors[f"{form}.{exc.field}"] = str(exc)
        return
    except PracticeError as exc:
        forms.errors[f"{form}.form"] = str(exc)
        return
    for name, default in (fields or {}).items():
        st.session_state[_key(form, name)] = default


def _team_label(name: str) -> str:
    return name or "(no team)"


def _status_label(account: Account) -> str:
    return {"disabled": "disabled", "locked": "locked (failed logins)", "active": "active"}[account.status]


def render_accounts(services: Services, actor: Actor) -> None:
    accounts = services.accounts.accounts(actor)  # HR: the trainee accounts only
    roles = services.accounts.roles(actor)  # the roles this actor may give (HR: trainee)
    teams = [NO_TEAM, *services.teams.names(actor)]
    st.dataframe([{"username": a.username, "full name": a.full_name or "", "role": a.role, "team": a.team or "",
                   "status": _status_label(a), "sign-on": "single sign-on" if a.sso else "password"}
                  for a in accounts], hide_index=True, width="stretch")
    create, change = st.tabs(["Create an account", "Change an account"])
    with create:
        _create_form(services, actor, teams, roles)
    with change:
        _change_forms(services, actor, accounts, teams, roles)


def _role_label(role: str) -> str:
    return "HR" if role == "hr" else role


def _create_form(services: Services, actor: Actor, teams: list[str], roles: tuple[str, ...]) -> None:
    for name, default in CREATE_FIELDS.items():
        st.session_state.setdefault(_key("create", name), default)
    if st.session_state[_key("create", "team")] not in teams:  # the team was renamed or deleted meanwhile
        st.session_state[_key("create", "team")] = NO_TEAM

    def create() -> None:
        def call() -> str:
            value = {name: st.session_state[_key("create", name)] for name in CREATE_FIELDS}
            made = services.auth.create_user(actor, username=value["username"], role=value["role"],
                                             password=value["password"], team=value["team"] or None,
                                             full_name=value["full_name"])
            return f"Created {_role_label(made.role)} '{made.username}'."

        _act("create", call, CREATE_FIELDS)

    with st.form("new-account", clear_on_submit=False):
        st.text_input("Username", max_chars=40, key=_key("create", "username"),
                      help="3-40 characters: lower-case letters, digits, '.', '_' or '-'")
        _error_under("create", "username")
        st.text_input("Full name (printed on certificates; optional)", max_chars=80, key=_key("create", "full_name"))
        _error_under("create", "full_name")
        st.selectbox("Role", roles, format_func=_role_label, key=_key("create", "role"))
        _error_under("create", "role")
        st.selectbox("Team", teams, format_func=_team_label, key=_key("create", "team"),
                     help="Teams are added, renamed and deleted under Teams below.")
        _error_under("create", "team")
        st.text_input("Initial password (at least 8 characters)", type="password", key=_key("create", "password"))
        _error_under("create", "password")
        st.form_submit_button("Create account", type="primary", on_click=create)
        _outcome("create")


def _change_forms(services: Services, actor: Actor, accounts: list[Account], teams: list[str],
                  roles: tuple[str, ...]) -> None:
    if not accounts:
        return
    by_id = {a.id: a for a in accounts}
    # the label is the username alone: the browser keeps a select box's choice by its label, so a label that
    # changes with the account's status or role made the picker jump to the first account after a change
    picked_id = st.selectbox("Account to change", list(by_id), key=_key("change", "account"),
                             format_func=lambda i: by_id[i].username if i in by_id else "?")
    if picked_id is None or picked_id not in by_id:
        return
    picked = by_id[picked_id]
    form = f"change-{picked.id}"
    values = {"full_name": picked.full_name or "", "role": picked.role, "team": picked.team or NO_TEAM}
    for name, current in values.items():  # the account's current values, once per account shown
        st.session_state.setdefault(_key(form, name), current)
    if st.session_state[_key(form, "team")] not in teams:
        st.session_state[_key(form, "team")] = values["team"] if values["team"] in teams else NO_TEAM

    def save() -> None:
        def call() -> str:
            done = services.accounts.update(actor, picked.id, full_name=st.session_state[_key(form, "full_name")],
                                            role=st.session_state[_key(form, "role")],
                                            team=st.session_state[_key(form, "team")] or None)
            return f"Saved '{done.username}': {done.role}, team {_team_label(done.team or NO_TEAM)}, full name " \
                   f"{done.full_name or '(none)'}."

        _act(form, call)

    with st.form(f"change-account-{picked.id}", clear_on_submit=False):
        st.markdown(f"**{plain(picked.username)}**")
        st.text_input("Full name", max_chars=80, key=_key(form, "full_name"))
        _error_under(form, "full_name")
        st.selectbox("Role", roles, format_func=_role_label, key=_key(form, "role"))
        _error_under(form, "role")
        if picked.sso:
            st.caption("Signs on through single sign-on: its role (and team, if the provider sends one) is set "
                       "again at its next sign-on.")
        st.selectbox("Team", teams, format_func=_team_label, key=_key(form, "team"))
        _error_under(form, "team")
        st.form_submit_button("Save changes", type="primary", on_click=save)
        _outcome(form)

    _password_form(services, actor, picked)
    _unlock_control(services, actor, picked)
    _disable_control(services, actor, picked)


def _unlock_control(services: Services, actor: Actor, picked: Account) -> None:
    """A lockout after failed logins can be someone else's doing (five wrong guesses lock any real account): the
    owner asks an admin, who lifts it here."""
    form = f"unlock-{picked.id}"
    if picked.status != "locked":
        _outcome(form)  # what an unlock just did
        return

    def unlock() -> None:
        _act(form, lambda: f"Unlocked '{services.accounts.unlock(actor, picked.id).username}': they can log in "
                           "with their password now.")

    st.button(f"Unlock {plain(picked.username)}", icon=":material/lock_open:", on_click=unlock, key=_key(form, "go"),
              help="Locked after failed logins. If the owner did not make them, someone may be guessing: the "
                   "address limits still apply to them.")
    _outcome(form)


def _password_form(services: Services, actor: Actor, picked: Account) -> None:
    if picked.sso:
        return
    form = f"password-{picked.id}"
    fields = {"password": "", "again": ""}

    def reset() -> None:
        def call() -> str:
            password, again = (st.session_state[_key(form, n)] for n in fields)
            if password != again:
                raise AccountError("again", "The two passwords differ.")
            done = services.accounts.reset_password(actor, picked.id, password)
            return f"New password set for '{done.username}' (any lockout lifted; their saved logins are signed out)."

        _act(form, call, fields)

    with st.form(f"reset-password-{picked.id}", clear_on_submit=False):
        st.markdown(f"**Reset the password of {plain(picked.username)}**")
        st.text_input("New password (at least 8 characters)", type="password", key=_key(form, "password"))
        _error_under(form, "password")
        st.text_input("Repeat the new password", type="password", key=_key(form, "again"))
        _error_under(form, "again")
        st.form_submit_button("Reset password", on_click=reset)
        _outcome(form)


def _disable_control(services: Services, actor: Actor, picked: Account) -> None:
    form = f"disable-{picked.id}"
    forms = _forms()
    disable = not picked.disabled
    if disable and picked.id == actor.id:
        st.caption("You cannot disable your own account (another admin can).")
        return

    def ask(account_id: int | None) -> None:
        forms.confirm, forms.errors, forms.done = account_id, {}, None

    def toggle() -> None:
        def call() -> str:
            done = services.accounts.set_disabled(actor, picked.id, disable)
            return (f"Disabled '{done.username}': they cannot log in and are logged out at their next page load."
                    if done.disabled else f"Enabled '{done.username}' again: they can log in.")

        forms.confirm = None
        _act(form, call)

    label = f"Disable {plain(picked.username)}" if disable else f"Enable {plain(picked.username)}"
    if forms.confirm != picked.id:
        st.button(label + "…", icon=":material/block:" if disable else ":material/check:", on_click=ask,
                  args=(picked.id,), key=_key(form, "ask"))
    else:
        with st.container(border=True):
            st.warning(f"Disable **{plain(picked.username)}**? They cannot log in any more and are logged out at "
                       "their next page load; their chats, grades and certificates stay." if disable else
                       f"Enable **{plain(picked.username)}** again? They can then log in with their password.")
            yes, no = st.columns([1, 4])
            yes.button(f"Yes, {label.lower()}", type="primary", on_click=toggle, key=_key(form, "confirm"))
            no.button("Cancel", on_click=ask, args=(None,), key=_key(form, "cancel"))
    _error_under(form, "disabled")
    _outcome(form)


def render_teams(services: Services, actor: Actor) -> None:
    teams = services.teams.teams(actor)
    if teams:
        st.dataframe([{"team": t.name, "accounts (any role)": t.members, "campaigns": t.campaigns} for t in teams],
                     hide_index=True, width="stretch")
    else:
        st.info("No teams yet: add the first one below.")
    add, rename, delete = st.tabs(["Add a team", "Rename a team", "Delete a team"])
    with add:
        _add_team_form(services, actor)
    if teams:
        with rename:
            _rename_team_form(services, actor, teams)
        with delete:
            _delete_team_form(services, actor, teams)


def _add_team_form(services: Services, actor: Actor) -> None:
    fields = {"name": ""}

    def add() -> None:
        def call() -> str:
            return f"Added the team '{services.teams.create(actor, st.session_state[_key('team-add', 'name')]).name}'."

        _act("team-add", call, fields)

    st.session_state.setdefault(_key("team-add", "name"), "")
    with st.form("add-team", clear_on_submit=False):
        st.text_input("Team name", max_chars=60, key=_key("team-add", "name"),
                      help="Unique whatever its case: 'Team North' and 'team north' are one team.")
        _error_under("team-add", "name")
        st.form_submit_button("Add team", on_click=add)
        _outcome("team-add")


def _pick_team(form: str, teams: list[TeamView]) -> int | None:
    by_id = {t.id: t for t in teams}
    if st.session_state.get(_key(form, "team")) not in by_id:  # renamed away or deleted meanwhile
        st.session_state[_key(form, "team")] = teams[0].id
    picked: int | None = st.selectbox("Team", list(by_id), key=_key(form, "team"),
                                      format_func=lambda i: by_id[i].name if i in by_id else "?")
    return picked


def _rename_team_form(services: Services, actor: Actor, teams: list[TeamView]) -> None:
    fields = {"name": ""}
    st.session_state.setdefault(_key("team-rename", "name"), "")

    def rename() -> None:
        def call() -> str:
            team_id = st.session_state[_key("team-rename", "team")]
            done = services.teams.rename(actor, team_id, st.session_state[_key("team-rename", "name")])
            return (f"Renamed the team to '{done.name}' ({done.members} account(s) and {done.campaigns} "
                    "campaign(s) follow).")

        _act("team-rename", call, fields)

    with st.form("rename-team", clear_on_submit=False):
        _pick_team("team-rename", teams)
        st.text_input("New name", max_chars=60, key=_key("team-rename", "name"))
        _error_under("team-rename", "name")
        st.form_submit_button("Rename team", on_click=rename)
        _outcome("team-rename")


def _delete_team_form(services: Services, actor: Actor, teams: list[TeamView]) -> None:
    def delete() -> None:
        def call() -> str:
            return f"Deleted the team '{services.teams.delete(actor, st.session_state[_key('team-delete', 'team')])}'."

        _act("team-delete", call)

    with st.form("delete-team", clear_on_submit=False):
        _pick_team("team-delete", teams)
        st.caption("Only a team without accounts and campaigns can be deleted.")
        st.form_submit_button("Delete team", on_click=delete)
        _error_under("team-delete", "delete")
        _outcome("team-delete")
