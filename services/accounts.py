"""Account management (admins; HR for trainee accounts only): list accounts, change full name, role and team,
disable and enable, reset a password. Every change is one transaction with its entry in the audit hash chain.

HR (``MANAGE_TRAINEE_ACCOUNTS``) lists, changes, disables, unlocks and resets trainee accounts only, and gives no
role but trainee: a trainer's, HR's or an admin's account is an admin's to change (see :func:`roles_given_by`).

The last enabled admin can be neither demoted nor disabled, so the installation always keeps someone who can
manage it. The count is taken inside the audited transaction: two admins demoting each other at once both
append to the chain from the same end, one of them is retried on the new end, and then sees the other's change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.models import User, utcnow
from db.repositories import UnitOfWork, Work
from services.auth import (
    ROLES,
    SSO_ONLY,
    AccountError,
    Actor,
    Role,
    check_new_password,
    clean_full_name,
    hash_password,
    require_account_manager,
    require_role_given,
    resolve_team,
    roles_given_by,
)
from services.views import PracticeError


@dataclass(frozen=True)
class Account:
    """One account as the Settings page lists it."""

    id: int
    username: str
    full_name: str | None
    role: str
    team: str | None
    #: Cannot log in; logged out at its next page load.
    disabled: bool
    #: Signs on through the identity provider only (no password to reset; role and team follow the provider).
    sso: bool
    #: Locked by failed logins until this time (UTC), if it is still in the future.
    locked_until: datetime | None

    @property
    def status(self) -> str:
        if self.disabled:
            return "disabled"
        return "locked" if self.locked_until is not None else "active"


def _account(user: User, now: datetime) -> Account:
    locked = user.locked_until if user.locked_until is not None and user.locked_until > now else None
    return Account(user.id, user.username, user.full_name, user.role, user.team, user.disabled,
                   user.password_hash == SSO_ONLY, locked)


class AccountService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.work = Work(sessions)

    def accounts(self, actor: Actor) -> list[Account]:
        """Every account for an admin; the trainee accounts for HR (the ones it may change)."""
        require_account_manager(actor, "list accounts")
        now, shown = utcnow(), roles_given_by(actor)
        with self.work() as uow:
            return [_account(u, now) for u in uow.users.all() if u.role in shown]

    @staticmethod
    def roles(actor: Actor) -> tuple[Role, ...]:
        """The roles ``actor`` may give an account (the Role choices of the account forms)."""
        return roles_given_by(actor)

    def update(self, actor: Actor, user_id: int, *, full_name: str | None, role: str, team: str | None) -> Account:
        """Change an account's full name, role and team (the team must exist). Nothing changed: nothing written."""
        require_account_manager(actor, "change accounts")
        if role not in ROLES:
            raise AccountError("role", f"Unknown role '{role}' (choose {', '.join(ROLES[:-1])} or {ROLES[-1]}).")
        require_role_given(actor, role, "give the {name} role")
        name = clean_full_name(full_name)
        with self.work() as uow:
            def change() -> User:
                seen = audit.chain_end(uow.db)
                user = self._manageable(uow, actor, user_id, "change the account of {role}")
                new_team = resolve_team(uow.users, team)
                if (user.full_name, user.role, user.team) == (name, role, new_team):
                    return user
                if user.role == "admin" and role != "admin":
                    self._keep_an_admin(uow, user, "demote")
                action = "user.role" if role != user.role else "user.updated"
                uow.users.update_account(user, full_name=name, role=role, team=new_team)
                audit.append(uow.db, actor=actor.username, action=action, subject_type="user", row=user, after=seen)
                return user

            return _account(uow.commit(change), utcnow())

    def set_disabled(self, actor: Actor, user_id: int, disabled: bool) -> Account:
        """Disable (or enable again) an account. An admin cannot disable themselves, nor the last enabled admin."""
        require_account_manager(actor, "disable or enable accounts")
        if disabled and actor.id == user_id:
            raise AccountError("disabled", "You cannot disable your own account (another admin can).")
        with self.work() as uow:
            def change() -> User:
                seen = audit.chain_end(uow.db)
                user = self._manageable(uow, actor, user_id, "disable or enable the account of {role}")
                if user.disabled == disabled:
                    return user
                if disabled and user.role == "admin":
                    self._keep_an_admin(uow, user, "disable")
                uow.users.set_disabled(user, disabled=disabled)
                audit.append(uow.db, actor=actor.username, action="user.disabled" if disabled else "user.enabled",
                             subject_type="user", row=user, after=seen)
                if disabled:
                    self._sign_out_everywhere(uow, user.id)
                return user

            return _account(uow.commit(change), utcnow())

    def unlock(self, actor: Actor, user_id: int) -> Account:
        """Lift a lockout after failed logins (someone may be locking the account on purpose: the owner, who knows
        the password, can log in at once). Recorded in the audit chain, with who did it."""
        require_account_manager(actor, "unlock accounts")
        with self.work() as uow:
            def change() -> User:
                user = self._manageable(uow, actor, user_id, "unlock the account of {role}")
                uow.users.clear_failed_logins(user.id)
                audit.append(uow.db, actor=actor.username, action="user.unlocked", subject_type="user", row=user)
                return user

            user = uow.commit(change)
            uow.db.refresh(user)
            return _account(user, utcnow())

    def reset_password(self, actor: Actor, user_id: int, password: str) -> Account:
        """Give a local account a new password (and lift a lockout). The hash is not in the audit fingerprint, but
        the reset is recorded in the chain, with who did it."""
        require_account_manager(actor, "reset passwords")
        with self.work() as uow:  # a refusal comes before the slow hash
            self._manageable(uow, actor, user_id, "reset the password of {role}")
        check_new_password(password)
        password_hash = hash_password(password)
        with self.work() as uow:
            def change() -> User:
                user = self._manageable(uow, actor, user_id, "reset the password of {role}")
                if user.password_hash == SSO_ONLY:
                    raise AccountError("password", f"'{user.username}' signs on through single sign-on and has "
                                                   "no password here.")
                uow.users.set_password(user, password_hash=password_hash)
                audit.append(uow.db, actor=actor.username, action="user.password_reset", subject_type="user",
                             row=user)
                self._sign_out_everywhere(uow, user.id)
                return user

            return _account(uow.commit(change), utcnow())

    @staticmethod
    def _user(uow: UnitOfWork, user_id: int) -> User:
        user = uow.users.get(user_id)
        if user is None:
            raise PracticeError(f"No account with id {user_id}.")
        return user

    @classmethod
    def _manageable(cls, uow: UnitOfWork, actor: Actor, user_id: int, doing: str) -> User:
        """The account, if ``actor`` may change accounts of its role (read in the change's transaction, so a role
        changed meanwhile is the one checked)."""
        user = cls._user(uow, user_id)
        require_role_given(actor, user.role, doing)
        return user

    @staticmethod
    def _sign_out_everywhere(uow: UnitOfWork, user_id: int) -> None:
        """Revoke the account's saved logins ("stay signed in" cookies) in the same transaction."""
        uow.users.revoke_user_logins(user_id=user_id, reason="admin")

    @staticmethod
    def _keep_an_admin(uow: UnitOfWork, user: User, doing: str) -> None:
        others = uow.users.count_enabled_admins(excluding=user.id)
        if not others:
            field = "role" if doing == "demote" else "disabled"
            raise AccountError(field, f"'{user.username}' is the last admin: make another account an admin "
                                      f"before you {doing} this one.")
